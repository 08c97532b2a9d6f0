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
CT_ASSERT_IOC(TUNSETIFF, int);
CT_ASSERT_IOC(TUNSETQUEUE, int);
CT_ASSERT_IOC(TUNSETSNDBUF, int);
CT_ASSERT_IOC(TUNSETVNETHDRSZ, int);
CT_ASSERT_IOC(TUNSETIFINDEX, unsigned int);
CT_ASSERT_IOC(TUNSETVNETLE, int);
CT_ASSERT_IOC(TUNSETVNETBE, int);
CT_ASSERT_IOC(TUNSETCARRIER, int);
CT_ASSERT_IOC(TUNGETFEATURES, unsigned int);
/* TUNGETIFF: the number says unsigned int, the kernel writes an ifreq */
CT_ASSERT_IOC(TUNGETIFF, unsigned int);
CT_ASSERT_IOC(TUNGETSNDBUF, int);
CT_ASSERT_IOC(TUNGETVNETHDRSZ, int);
CT_ASSERT_IOC(TUNGETVNETLE, int);
CT_ASSERT_IOC(TUNGETVNETBE, int);

/* clang-format off */
static const struct m_ioctl tun_ioctls[] = {
	/* socket ioctls on the tun fd: an ifreq in (name), hwaddr in or out */
	CT_SIZED(SIOCSIFHWADDR, struct ifreq, M_IN),
	CT_SIZED(SIOCGIFHWADDR, struct ifreq, M_INOUT),
	CT_VALUE(TUNSETNOCSUM, 0),
	CT_VALUE(TUNSETDEBUG, 0),
	CT_SIZED(TUNSETIFF, struct ifreq, M_INOUT),
	CT_VALUE(TUNSETPERSIST, 0),
	CT_VALUE(TUNSETOWNER, 0),
	CT_VALUE(TUNSETLINK, 0),
	CT_VALUE(TUNSETGROUP, 0),
	CT_VALUE(TUNSETOFFLOAD, 0),
	CT_IOC(TUNSETSNDBUF),
	CT_IOC(TUNSETVNETHDRSZ),
	CT_SIZED(TUNSETQUEUE, struct ifreq, M_IN),
	CT_IOC(TUNSETIFINDEX),
	CT_IOC(TUNSETVNETLE),
	CT_IOC(TUNSETVNETBE),
	CT_IOC(TUNSETCARRIER),
	CT_IOC(TUNGETFEATURES),
	CT_SIZED(TUNGETIFF, struct ifreq, M_OUT),
	CT_IOC(TUNGETSNDBUF),
	CT_IOC(TUNGETVNETHDRSZ),
	CT_IOC(TUNGETVNETLE),
	CT_IOC(TUNGETVNETBE),
};
/* clang-format on */

static const struct m_table tun_table = {"tun", tun_ioctls, CT_COUNT(tun_ioctls)};
static const struct m_table *const tun_tables[] = {&tun_table};

static int tun_match(uint32_t major, uint32_t minor)
{
	return major == 10 && minor == 200;
}

const struct vdri_class vdri_class_tun = {
    .name = "tun",
    .match = tun_match,
    .tables = tun_tables,
    .ntables = CT_COUNT(tun_tables),
};
