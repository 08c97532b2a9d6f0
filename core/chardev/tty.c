/* SPDX-License-Identifier: MIT */
/*
 * tty.c - class "tty": pseudo-terminals (/dev/ptmx, the pts peers), serial
 * and virtual consoles.
 *
 * Most tty ioctls are pre-_IOC numbers (0x54xx) that encode neither size
 * nor direction, so they carry M_F_SIZE with the kernel's own structs from
 * <asm/termbits.h> (struct termios is the kernel's 36-byte one, not
 * glibc's).
 *
 * Left out on purpose:
 *  - process ids and sessions: TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY,
 *    TIOCNOTTY, TIOCSIG (its int is even a value despite _IOW).  pids and
 *    process groups are the driver VM's, not the guest's: they do not cross
 *    machines, and job-control signals raised by the backend's tty layer
 *    reach nobody in the guest.
 *  - TIOCSTI (injects input: the classic tty escape), TIOCSETD (may load a
 *    line discipline module in the driver VM), TIOCCONS, TIOCVHANGUP,
 *    TIOCSLCKTRMIOS: privileged or dangerous; the policy can add them.
 *  - FIONBIO, FIOASYNC: flags of the guest's open file, kept by the
 *    frontend (the backend's file must not turn non-blocking under it).
 *  - TIOCGDEV, TIOCGSERIAL, TIOCGRS485 and friends: driver-VM device
 *    numbers and hardware details.
 */
#include <asm/termios.h> /* struct termios, termios2, termio, winsize; TC* and TIOC* */

#include "chardev.h"

vdri_static_assert(sizeof(struct termios) == 36, "the kernel's struct termios");
vdri_static_assert(sizeof(struct termios2) == 44, "struct termios2");
vdri_static_assert(sizeof(struct termio) == 18, "struct termio");
vdri_static_assert(sizeof(struct winsize) == 8, "struct winsize");
CT_ASSERT_IOC(TCGETS2, struct termios2);
CT_ASSERT_IOC(TCSETS2, struct termios2);
CT_ASSERT_IOC(TCSETSW2, struct termios2);
CT_ASSERT_IOC(TCSETSF2, struct termios2);
CT_ASSERT_IOC(TIOCGPTN, unsigned int);
CT_ASSERT_IOC(TIOCSPTLCK, int);
CT_ASSERT_IOC(TIOCGPKT, int);
CT_ASSERT_IOC(TIOCGPTLCK, int);
CT_ASSERT_IOC(TIOCGEXCL, int);
vdri_static_assert(m_ioc_size(TIOCGPTPEER) == 0, "TIOCGPTPEER takes open flags by value");

/* clang-format off */
static const struct m_ioctl tty_ioctls[] = {
	CT_SIZED(TCGETS, struct termios, M_OUT),
	CT_SIZED(TCSETS, struct termios, M_IN),
	/* TCSETSW/TCSETSF wait for output to drain */
	{.cmd = TCSETSW, .flags = M_F_SIZE | M_F_MAY_BLOCK, .size = sizeof(struct termios),
	 .dir = M_IN, .name = "TCSETSW"},
	{.cmd = TCSETSF, .flags = M_F_SIZE | M_F_MAY_BLOCK, .size = sizeof(struct termios),
	 .dir = M_IN, .name = "TCSETSF"},
	CT_SIZED(TCGETA, struct termio, M_OUT),
	CT_SIZED(TCSETA, struct termio, M_IN),
	{.cmd = TCSETAW, .flags = M_F_SIZE | M_F_MAY_BLOCK, .size = sizeof(struct termio),
	 .dir = M_IN, .name = "TCSETAW"},
	{.cmd = TCSETAF, .flags = M_F_SIZE | M_F_MAY_BLOCK, .size = sizeof(struct termio),
	 .dir = M_IN, .name = "TCSETAF"},
	CT_VALUE(TCSBRK, M_F_MAY_BLOCK),
	CT_VALUE(TCXONC, 0),
	CT_VALUE(TCFLSH, 0),
	CT_NOARG(TIOCEXCL, 0),
	CT_NOARG(TIOCNXCL, 0),
	CT_SIZED(TIOCOUTQ, int, M_OUT),
	CT_SIZED(TIOCGWINSZ, struct winsize, M_OUT),
	CT_SIZED(TIOCSWINSZ, struct winsize, M_IN),
	CT_SIZED(TIOCMGET, int, M_OUT),
	CT_SIZED(TIOCMBIS, int, M_IN),
	CT_SIZED(TIOCMBIC, int, M_IN),
	CT_SIZED(TIOCMSET, int, M_IN),
	CT_SIZED(FIONREAD, int, M_OUT), /* also TIOCINQ */
	CT_SIZED(TIOCPKT, int, M_IN),
	CT_SIZED(TIOCGETD, int, M_OUT),
	CT_VALUE(TCSBRKP, M_F_MAY_BLOCK),
	CT_NOARG(TIOCSBRK, 0),
	CT_NOARG(TIOCCBRK, 0),
	/* _IO: arg is the peer's open flags; returns the peer's fd */
	CT_VALUE(TIOCGPTPEER, M_F_RET_FD),
	CT_SIZED(TIOCGLCKTRMIOS, struct termios, M_OUT),
	CT_IOC(TIOCSPTLCK),
	CT_IOC(TCSETS2),
	{.cmd = TCSETSW2, .flags = M_F_MAY_BLOCK, .name = "TCSETSW2"},
	{.cmd = TCSETSF2, .flags = M_F_MAY_BLOCK, .name = "TCSETSF2"},
	CT_IOC(TIOCGPTN),
	CT_IOC(TIOCGPKT),
	CT_IOC(TIOCGPTLCK),
	CT_IOC(TIOCGEXCL),
	CT_IOC(TCGETS2),
};
/* clang-format on */

static const struct m_table tty_table = {"tty", tty_ioctls, CT_COUNT(tty_ioctls)};
static const struct m_table *const tty_tables[] = {&tty_table};

/*
 * 5:2 /dev/ptmx, 136-143 the pts peers, 4 virtual consoles and serial
 * lines, 5:0 /dev/tty.  /dev/tty opens the opener's controlling terminal:
 * forwarded, that is the backend worker's (normally none: ENXIO), so a
 * configuration forwards it only on purpose.
 */
static int tty_match(uint32_t major, uint32_t minor)
{
	if (major == 5)
		return minor == 0 || minor == 2;
	return major == 4 || (major >= 136 && major <= 143);
}

const struct vdri_class vdri_class_tty = {
    .name = "tty",
    .match = tty_match,
    .tables = tty_tables,
    .ntables = CT_COUNT(tty_tables),
};
