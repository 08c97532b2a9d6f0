/* SPDX-License-Identifier: MIT */
/*
 * tun.c - class "tun": /dev/net/tun (misc 10:200).
 *
 * The tun driver's numbers often lie (drivers/net/tun.c, __tun_chr_ioctl):
 * TUNSETIFF and TUNSETQUEUE say _IOW(int) but copy a whole struct ifreq
 * (TUNSETIFF copies it back), and TUNSETPERSIST, TUNSETOWNER, TUNSETGROUP,
 * TUNSETLINK, TUNSETDEBUG, TUNSETNOCSUM and TUNSETOFFLOAD say _IOW(int)
 * but use arg itself as the value.  Only the int-pointer ones are what
 * their number says.  TUNSETOWNER/TUNSETGROUP ids are the driver VM's.
 *
 * Left out on purpose:
 *  - TUNATTACHFILTER, TUNDETACHFILTER, TUNGETFILTER: the kernel keeps the
 *    caller's filter pointer (tun->fprog) and reads it again on a later
 *    queue attach, and TUNGETFILTER hands that pointer back: a pointer into
 *    the backend that outlives the call cannot be forwarded.
 *  - TUNSETTXFILTER: a struct with a trailing variable array, not a
 *    pointer; descriptors cannot say that yet.
 *  - TUNSETSTEERINGEBPF, TUNSETFILTEREBPF (a BPF program fd),
 *    TUNGETDEVNETNS, SIOCGSKNS (the driver VM's network namespace):
 *    objects that are not device files.
 */
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/ioctl.h>
#include <linux/sockios.h>

#include "chardev.h"

vdri_static_assert(sizeof(struct ifreq) == 40, "struct ifreq");
/* TUNSETIFF, TUNSETQUEUE: the number says int, the kernel copies an ifreq */
CD_ASSERT_IOC(TUNSETIFF, int);
CD_ASSERT_IOC(TUNSETQUEUE, int);
CD_ASSERT_IOC(TUNSETSNDBUF, int);
CD_ASSERT_IOC(TUNSETVNETHDRSZ, int);
CD_ASSERT_IOC(TUNSETIFINDEX, unsigned int);
CD_ASSERT_IOC(TUNSETVNETLE, int);
CD_ASSERT_IOC(TUNSETVNETBE, int);
CD_ASSERT_IOC(TUNSETCARRIER, int);
CD_ASSERT_IOC(TUNGETFEATURES, unsigned int);
/* TUNGETIFF: the number says unsigned int, the kernel writes an ifreq */
CD_ASSERT_IOC(TUNGETIFF, unsigned int);
CD_ASSERT_IOC(TUNGETSNDBUF, int);
CD_ASSERT_IOC(TUNGETVNETHDRSZ, int);
CD_ASSERT_IOC(TUNGETVNETLE, int);
CD_ASSERT_IOC(TUNGETVNETBE, int);

/* clang-format off */
static const struct m_ioctl tun_ioctls[] = {
	/* socket ioctls on the tun fd: an ifreq in (name), hwaddr in or out */
	CD_SIZED(SIOCSIFHWADDR, struct ifreq, M_IN),
	CD_SIZED(SIOCGIFHWADDR, struct ifreq, M_INOUT),
	CD_VALUE(TUNSETNOCSUM, 0),
	CD_VALUE(TUNSETDEBUG, 0),
	CD_SIZED(TUNSETIFF, struct ifreq, M_INOUT),
	CD_VALUE(TUNSETPERSIST, 0),
	CD_VALUE(TUNSETOWNER, 0),
	CD_VALUE(TUNSETLINK, 0),
	CD_VALUE(TUNSETGROUP, 0),
	CD_VALUE(TUNSETOFFLOAD, 0),
	CD_IOC(TUNSETSNDBUF),
	CD_IOC(TUNSETVNETHDRSZ),
	CD_SIZED(TUNSETQUEUE, struct ifreq, M_IN),
	CD_IOC(TUNSETIFINDEX),
	CD_IOC(TUNSETVNETLE),
	CD_IOC(TUNSETVNETBE),
	CD_IOC(TUNSETCARRIER),
	CD_IOC(TUNGETFEATURES),
	CD_SIZED(TUNGETIFF, struct ifreq, M_OUT),
	CD_IOC(TUNGETSNDBUF),
	CD_IOC(TUNGETVNETHDRSZ),
	CD_IOC(TUNGETVNETLE),
	CD_IOC(TUNGETVNETBE),
};
/* clang-format on */

static const struct m_table tun_table = {"tun", tun_ioctls, CD_COUNT(tun_ioctls)};
static const struct m_table *const tun_tables[] = {&tun_table};

static int tun_match(uint32_t major, uint32_t minor)
{
	return major == 10 && minor == 200;
}

const struct vdri_class vdri_class_tun = {
    .name = "tun",
    .match = tun_match,
    .tables = tun_tables,
    .ntables = CD_COUNT(tun_tables),
};
