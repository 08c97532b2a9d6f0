/* SPDX-License-Identifier: MIT */
/*
 * test_chardev.c - the class registry and the character-device tables:
 * every table passes m_table_check, every entry survives a round trip
 * through the engine, and the ones our host tests forward (TUNSETIFF,
 * TCGETS, TIOCGPTPEER, LOOP_CONFIGURE ...) carry what they should.
 */
#include <asm/termbits.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/ioctl.h>
#include <linux/loop.h>
#include <stdint.h>
#include <sys/sysmacros.h>

#include "marshal_fake.h"
#include "runner.h"
#include "vdri/classes.h"

/* asm/ioctls.h numbers (glibc's <termios.h> would clash with the kernel's struct termios) */
#define T_TCGETS 0x5401
#define T_TCSETS 0x5402
#define T_TIOCEXCL 0x540C
#define T_TIOCGPTPEER 0x5441
#define T_TIOCSTI 0x5412

static const struct m_ioctl *find(const char *cls, uint32_t cmd)
{
	const struct vdri_class *c = vdri_class_by_name(cls);
	const struct m_ioctl *d;

	if (!c)
		FAILF("no class %s", cls);
	d = vdri_class_find(c, cmd);
	if (!d)
		FAILF("%s has no %#x", cls, cmd);
	return d;
}

TEST(every_table_passes_check)
{
	const struct vdri_class *const *c;
	const char *entry, *reason;
	uint32_t i, n = 0;

	for (c = vdri_classes; *c; c++) {
		CHECK((*c)->name && (*c)->match && (*c)->ntables);
		for (i = 0; i < (*c)->ntables; i++) {
			if (m_table_check_reason((*c)->tables[i], &entry, &reason))
				FAILF("%s: %s: %s", (*c)->name, entry, reason);
			CHECK_EQ(m_table_check((*c)->tables[i], &entry), 0);
			n += (*c)->tables[i]->count;
		}
	}
	test_log("%u descriptors checked", n);
	CHECK(n > 50);
}

TEST(class_lookup)
{
	CHECK_EQ(vdri_class_for_rdev(makedev(5, 2)), vdri_class_by_name("tty"));
	CHECK_EQ(vdri_class_for_rdev(makedev(5, 0)), vdri_class_by_name("tty"));
	CHECK_EQ(vdri_class_for_rdev(makedev(136, 3)), vdri_class_by_name("tty"));
	CHECK_EQ(vdri_class_for_rdev(makedev(143, 1000)), vdri_class_by_name("tty"));
	CHECK_EQ(vdri_class_for_rdev(makedev(4, 64)), vdri_class_by_name("tty"));
	CHECK_EQ(vdri_class_for_rdev(makedev(10, 200)), vdri_class_by_name("tun"));
	CHECK_EQ(vdri_class_for_rdev(makedev(10, 237)), vdri_class_by_name("loop"));
	CHECK(vdri_class_for_rdev(makedev(5, 1)) == NULL);    /* /dev/console */
	CHECK(vdri_class_for_rdev(makedev(10, 229)) == NULL); /* /dev/fuse */
	CHECK(vdri_class_for_rdev(makedev(7, 0)) == NULL);    /* char 7 is vcs */
	CHECK(vdri_class_for_rdev(makedev(1, 3)) == NULL);
	CHECK_EQ(vdri_class_for_blkdev(makedev(7, 3)), vdri_class_by_name("loop"));
	CHECK(vdri_class_for_blkdev(makedev(8, 0)) == NULL);
	CHECK(vdri_class_by_name("nope") == NULL);
	CHECK(vdri_class_by_name("tt") == NULL);
	CHECK(vdri_class_find(vdri_class_by_name("tty"), T_TIOCSTI) == NULL);
	CHECK(vdri_class_find(vdri_class_by_name("tty"), TUNSETIFF) == NULL);
	CHECK(vdri_class_find(NULL, T_TCGETS) == NULL);
	CHECK(find("loop", LOOP_CTL_GET_FREE) != NULL);
	CHECK(find("loop", LOOP_CONFIGURE) != NULL);
	CHECK_EQ(find("tty", T_TCGETS)->size, 36);
	CHECK_EQ(find("tun", TUNSETIFF)->size, 40);
}

/* ---- every entry, generically --------------------------------------------- */

struct k_generic {
	uint32_t size, dir;
	int ret_fd;
};

static int64_t k_generic(struct m_call *c, void *ctx)
{
	const struct k_generic *k = ctx;
	uint8_t *p = (uint8_t *)m_call_arg(c);
	uint32_t i;

	if (k->size && (k->dir & M_OUT)) {
		for (i = 0; i < k->size; i++)
			p[i] = (uint8_t)(0x40 + i);
	}
	return k->ret_fd ? 9 : 0;
}

static void round_trip_entry(const struct m_ioctl *d)
{
	static uint8_t guest[4096] __attribute__((aligned(8)));
	struct k_generic k = {.ret_fd = !!(d->flags & M_F_RET_FD)};
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;
	uint64_t arg = 0;
	uint32_t i;

	m_top(d, d->cmd, &k.size, &k.dir);
	memset(guest, 0, sizeof(guest));
	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, guest, sizeof(guest), 1);
	mf_guest_add_fd(&g, 0, 60); /* zeroed fd fields and fd args name guest fd 0 */
	mf_back_add(&b, 60, 66);
	if (k.size)
		arg = MF_U(guest);
	mf_trip_init(&t);
	if (mf_round_trip(d, d->cmd, arg, &g, &b, k_generic, &k, &t))
		FAILF("%s: enc %d dec %d rep %d app %d", d->name, t.enc, t.dec, t.rep, t.app);
	for (i = 0; i < k.size; i++)
		if (guest[i] != ((k.dir & M_OUT) ? (uint8_t)(0x40 + i) : 0))
			FAILF("%s: byte %u is %#x", d->name, i, guest[i]);
	if (k.ret_fd)
		CHECK_EQ(t.result, 1000);
	mf_trip_fini(&t);
}

/* The character-device classes (DRM has test_drm_tables.c). */
TEST(every_entry_round_trips)
{
	const struct vdri_class *const *c;
	uint32_t i, j;

	for (c = vdri_classes; *c; c++)
		for (i = 0; i < (*c)->ntables && strcmp((*c)->name, "drm"); i++)
			for (j = 0; j < (*c)->tables[i]->count; j++)
				round_trip_entry(&(*c)->tables[i]->ioctls[j]);
}

/* ---- the ones the host tests use ------------------------------------------ */

static int64_t k_tunsetiff(struct m_call *c, void *ctx)
{
	struct ifreq *ifr = (struct ifreq *)m_call_arg(c);

	CHECK_EQ(m_call_cmd(c), TUNSETIFF);
	CHECK_STREQ(ifr->ifr_name, "tap%d");
	CHECK_EQ(ifr->ifr_flags, IFF_TAP | IFF_NO_PI);
	strcpy(ifr->ifr_name, "tap0");
	return 0;
}

TEST(tunsetiff_round_trip)
{
	struct ifreq ifr;
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "tap%d");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, &ifr, sizeof(ifr), 1);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(find("tun", TUNSETIFF), TUNSETIFF, MF_U(&ifr), &g, &b, k_tunsetiff,
			       NULL, &t),
		 0);
	CHECK_STREQ(ifr.ifr_name, "tap0");
	CHECK_EQ(ifr.ifr_flags, IFF_TAP | IFF_NO_PI);
	/* header, 40 bytes in; reply: result, counts, 40 bytes out */
	CHECK_EQ(t.req_len, 24 + 8 + 40);
	CHECK_EQ(t.reply_len, 16 + 8 + 40);
	mf_trip_fini(&t);
}

static int64_t k_tcgets(struct m_call *c, void *ctx)
{
	struct termios *tio = (struct termios *)m_call_arg(c);

	CHECK_EQ(tio->c_lflag, 0); /* OUT only: zeroed, not the guest's bytes */
	tio->c_lflag = ICANON | ECHO;
	tio->c_cc[VMIN] = 1;
	return 0;
}

TEST(tcgets_tcsets_round_trip)
{
	struct termios tio;
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	memset(&tio, 0xee, sizeof(tio));
	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, &tio, sizeof(tio), 1);
	mf_trip_init(&t);
	CHECK_EQ(
	    mf_round_trip(find("tty", T_TCGETS), T_TCGETS, MF_U(&tio), &g, &b, k_tcgets, NULL, &t),
	    0);
	CHECK_EQ(t.req_len, 24 + 8); /* an OUT-only record has no data */
	CHECK_EQ(tio.c_lflag, ICANON | ECHO);
	CHECK_EQ(tio.c_cc[VMIN], 1);
	CHECK_EQ(tio.c_iflag, 0);
	mf_trip_fini(&t);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(find("tty", T_TCSETS), T_TCSETS, MF_U(&tio), &g, &b, NULL, NULL, &t),
		 0);
	CHECK_EQ(t.req_len, 24 + 8 + 40); /* 36 bytes padded to 40 */
	CHECK(memcmp(t.req + 32, &tio, sizeof(tio)) == 0);
	CHECK_EQ(t.reply_len, 16);
	mf_trip_fini(&t);
}

static int64_t k_ptpeer(struct m_call *c, void *ctx)
{
	CHECK_EQ(m_call_arg(c), 02);
	return 12; /* the peer's fd in the backend */
}

TEST(tiocgptpeer_returns_a_file)
{
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	mf_guest_init(&g);
	mf_back_init(&b);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(find("tty", T_TIOCGPTPEER), T_TIOCGPTPEER, 02, &g, &b, k_ptpeer,
			       NULL, &t),
		 0);
	CHECK_EQ(t.result, 1000);
	CHECK_EQ(b.registered[0], 12);
	mf_trip_fini(&t);
}

static int64_t k_noarg(struct m_call *c, void *ctx)
{
	CHECK_EQ(m_call_arg(c), 0);
	return 0;
}

TEST(no_argument_sends_zero)
{
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	mf_guest_init(&g);
	mf_back_init(&b);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(find("tty", T_TIOCEXCL), T_TIOCEXCL, 0x7ffe1234, &g, &b, k_noarg,
			       NULL, &t),
		 0);
	mf_trip_fini(&t);
}

static int64_t k_loop_configure(struct m_call *c, void *ctx)
{
	struct loop_config *lc = (struct loop_config *)m_call_arg(c);

	CHECK_EQ(lc->fd, 33);
	CHECK_EQ(lc->block_size, 4096);
	CHECK_STREQ((char *)lc->info.lo_file_name, "disk.img");
	return 0;
}

static int64_t k_loop_set_fd(struct m_call *c, void *ctx)
{
	CHECK_EQ(m_call_arg(c), 33);
	return 0;
}

TEST(loop_fds_are_translated)
{
	struct loop_config lc;
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	memset(&lc, 0, sizeof(lc));
	lc.fd = 5;
	lc.block_size = 4096;
	strcpy((char *)lc.info.lo_file_name, "disk.img");
	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, &lc, sizeof(lc), 0);
	mf_guest_add_fd(&g, 5, 3);
	mf_back_add(&b, 3, 33);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(find("loop", LOOP_CONFIGURE), LOOP_CONFIGURE, MF_U(&lc), &g, &b,
			       k_loop_configure, NULL, &t),
		 0);
	CHECK_EQ(lc.fd, 5);
	mf_trip_fini(&t);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(find("loop", LOOP_SET_FD), LOOP_SET_FD, 5, &g, &b, k_loop_set_fd,
			       NULL, &t),
		 0);
	mf_trip_fini(&t);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(find("loop", LOOP_SET_FD), LOOP_SET_FD, 6, &g, &b, NULL, NULL, &t),
		 -EBADF); /* not a forwarded file */
	mf_trip_fini(&t);
}
