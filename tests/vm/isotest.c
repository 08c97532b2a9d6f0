/* SPDX-License-Identifier: MIT */
/*
 * isotest.c - one guest's side of the isolation test (issue 4): run on the
 * host as a forwarded guest (LD_PRELOAD, its own token), two at once, or
 * natively in the driver VM.  It knows nothing of vdri: plain ioctl(2) with
 * the UAPI structs, so whatever it sees is what any guest program would.
 *
 *   vdri-isotest NODE fill MIB          dumb buffers until ENOMEM, then again
 *   vdri-isotest NODE alloc COUNT MIB   buffers written and read back through
 *                                       fresh mappings
 *   vdri-isotest NODE export OUTFILE    a 1 MiB buffer's flink name, dma-buf fd
 *                                       number, mmap offset and handle, for
 *                                       the other guest's attack; held until
 *                                       stdin ends (120 s at most)
 *   vdri-isotest NODE attack INFILE     the other guest's names, used here:
 *                                       each step must be refused
 *   vdri-isotest NODE loop N            create/map/check/destroy N times
 *   vdri-isotest NODE master            SET_MASTER + DROP_MASTER
 *   vdri-isotest NODE reopen            a buffer round trip, every file closed,
 *                                       the hold (the test restarts the
 *                                       driver VM), then a round trip again
 *
 * One line per step ("key value ..."), flushed at once.  A failed
 * expectation prints "FAIL <what> <errno name or why>"; the exit status is
 * 0 when every expectation held, 1 otherwise, 2 for an error in "loop" (the
 * test kills this guest's worker under it and wants an error, not a hang).
 * Dumb buffers need a card node (their ioctls are not allowed on render
 * nodes).  ISOTEST_HOLD_FILE (fill, alloc, reopen): once the buffers exist, create that file
 * and wait until the test script removes it (it reads the daemon's state
 * meanwhile).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>
#include <xf86drm.h>

#include "tests/vm/say.h"

#define MIB (1024u * 1024u)
#define FILL_MAX 100000u
#define HOLD_SECONDS 120

/* 0 or -errno (drmIoctl retries EINTR/EAGAIN, as libdrm's callers get). */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return drmIoctl(fd, cmd, arg) ? -errno : 0;
}

static int open_node(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		FAIL("open %s", ename(errno));
	return fd;
}

/* ---- dumb buffers ---------------------------------------------------------- */

struct bo {
	uint32_t handle;
	uint64_t size;
};

static int bo_create(int fd, uint32_t mib, struct bo *bo)
{
	struct drm_mode_create_dumb c = {.width = 1024, .height = mib * 256, .bpp = 32};
	int r = xioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c);

	if (r)
		return r;
	bo->handle = c.handle;
	bo->size = c.size;
	return 0;
}

static int bo_destroy(int fd, const struct bo *bo)
{
	struct drm_mode_destroy_dumb d = {.handle = bo->handle};

	return xioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &d);
}

/* A fresh mapping of the whole buffer, or NULL with *err set. */
static uint32_t *bo_map(int fd, const struct bo *bo, int *err)
{
	struct drm_mode_map_dumb m = {.handle = bo->handle};
	void *p;

	*err = xioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m);
	if (*err)
		return NULL;
	p = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)m.offset);
	if (p == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	return p;
}

static uint32_t pattern(uint32_t seed, size_t i)
{
	return (seed * 0x9e3779b9u) ^ (uint32_t)(i * 2654435761u) ^ 0x5a5a0000u;
}

static void bo_fill(uint32_t *p, uint64_t size, uint32_t seed)
{
	for (size_t i = 0; i < size / 4; i++)
		p[i] = pattern(seed, i);
}

static int bo_check(const uint32_t *p, uint64_t size, uint32_t seed)
{
	for (size_t i = 0; i < size / 4; i++)
		if (p[i] != pattern(seed, i))
			return 0;
	return 1;
}

/*
 * Write the pattern through one mapping, unmap (a forwarded guest publishes
 * there), check it through a second one: the bytes went to the device and
 * came back.  0, -errno, or 1 for a wrong pattern.
 */
static int bo_write(int fd, const struct bo *bo, uint32_t seed)
{
	int err;
	uint32_t *p = bo_map(fd, bo, &err);

	if (!p)
		return err;
	bo_fill(p, bo->size, seed);
	return munmap(p, bo->size) ? -errno : 0;
}

static int bo_verify(int fd, const struct bo *bo, uint32_t seed)
{
	int err, ok;
	uint32_t *p = bo_map(fd, bo, &err);

	if (!p)
		return err;
	ok = bo_check(p, bo->size, seed);
	if (munmap(p, bo->size))
		return -errno;
	return ok ? 0 : 1;
}

static void destroy_all(int fd, struct bo *bos, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		int r = bo_destroy(fd, &bos[i]);

		if (r) {
			FAIL("destroy %s", ename(-r));
			return;
		}
	}
}

/* ---- the hold file ---------------------------------------------------------- */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ISOTEST_HOLD_FILE: say "full", wait until the script removes the file. */
static void hold(void)
{
	const char *path = getenv("ISOTEST_HOLD_FILE");
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "w");
	if (!f || fputs("full\n", f) < 0 || fclose(f)) {
		FAIL("hold_file %s", ename(errno));
		return;
	}
	SAY("hold %s", path);
	for (int i = 0; i < HOLD_SECONDS * 20; i++) {
		if (access(path, F_OK))
			break;
		sleep_ms(50);
	}
	if (!access(path, F_OK)) {
		FAIL("hold ETIMEDOUT");
		return;
	}
	SAY("hold released");
}

/* ---- fill ------------------------------------------------------------------ */

/* Create buffers until one fails; the count, or -1 after a FAIL. */
static long fill_up(int fd, uint32_t mib, struct bo *bos)
{
	uint32_t n = 0;
	int r = 0;

	while (n < FILL_MAX) {
		r = bo_create(fd, mib, &bos[n]);
		if (r)
			break;
		n++;
	}
	if (n == FILL_MAX) {
		FAIL("fill no_limit %u buffers", n);
	} else if (r != -ENOMEM) {
		FAIL("fill %s after %u buffers", ename(-r), n);
	} else if (!n) {
		FAIL("fill none_created ENOMEM");
	} else {
		SAY("fill created %u errno %s", n, ename(-r));
		return n;
	}
	destroy_all(fd, bos, n);
	return -1;
}

static int cmd_fill(int fd, uint32_t mib)
{
	struct bo *bos = calloc(FILL_MAX, sizeof(*bos));
	long n;
	int r;

	if (!bos) {
		FAIL("fill ENOMEM (test's own memory)");
		return 1;
	}
	n = fill_up(fd, mib, bos);
	if (n < 0)
		goto out;
	r = bo_destroy(fd, &bos[n - 1]);
	if (!r)
		r = bo_create(fd, mib, &bos[n - 1]);
	if (r) {
		FAIL("refill %s", ename(-r));
		destroy_all(fd, bos, (uint32_t)n - 1);
		goto out;
	}
	SAY("refill ok");
	hold();
	destroy_all(fd, bos, (uint32_t)n);
	for (long i = 0; i < n; i++) {
		r = bo_create(fd, mib, &bos[i]);
		if (r) {
			FAIL("again %s after %ld of %ld", ename(-r), i, n);
			destroy_all(fd, bos, (uint32_t)i);
			goto out;
		}
	}
	SAY("again created %ld", n);
	destroy_all(fd, bos, (uint32_t)n);
	SAY("fill done");
out:
	free(bos);
	return failures ? 1 : 0;
}

/* ---- alloc ----------------------------------------------------------------- */

static int cmd_alloc(int fd, uint32_t count, uint32_t mib)
{
	struct bo *bos = calloc(count ? count : 1, sizeof(*bos));
	uint32_t n = 0;
	int r = 0;

	if (!bos) {
		FAIL("alloc ENOMEM (test's own memory)");
		return 1;
	}
	for (; n < count; n++) {
		r = bo_create(fd, mib, &bos[n]);
		if (r) {
			FAIL("alloc_create %s at %u", ename(-r), n);
			goto out;
		}
		r = bo_write(fd, &bos[n], n + 1);
		if (r) {
			n++;
			FAIL("alloc_write %s at %u", ename(-r), n - 1);
			goto out;
		}
	}
	for (uint32_t i = 0; i < count; i++) {
		r = bo_verify(fd, &bos[i], i + 1);
		if (r < 0)
			FAIL("alloc_read %s at %u", ename(-r), i);
		else if (r)
			FAIL("alloc_verify mismatch at %u", i);
		if (r)
			goto out;
	}
	SAY("alloc ok %u", count);
	hold();
out:
	destroy_all(fd, bos, n);
	free(bos);
	return failures ? 1 : 0;
}

/* ---- export ---------------------------------------------------------------- */

static int write_export(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	if (fputs(text, f) < 0) {
		fclose(f);
		return -EIO;
	}
	if (fclose(f))
		return -errno;
	return rename(tmp, path) ? -errno : 0;
}

/* Until stdin ends (or errs), HOLD_SECONDS at most. */
static void wait_stdin_eof(void)
{
	time_t end = time(NULL) + HOLD_SECONDS;
	char buf[256];

	while (time(NULL) < end) {
		struct pollfd p = {.fd = 0, .events = POLLIN};
		int r = poll(&p, 1, 1000);

		if (r < 0 && errno != EINTR)
			return;
		if (r > 0 && read(0, buf, sizeof(buf)) <= 0)
			return;
	}
}

static int cmd_export(int fd, const char *path)
{
	struct bo bo;
	struct drm_gem_flink fl = {0};
	struct drm_mode_map_dumb md = {0};
	char text[256];
	uint8_t *p;
	int r, dmabuf = -1;

	r = bo_create(fd, 1, &bo);
	if (r) {
		FAIL("export_create %s", ename(-r));
		return 1;
	}
	p = (uint8_t *)bo_map(fd, &bo, &r);
	if (p) {
		memset(p, 0xa5, bo.size);
		r = munmap(p, bo.size) ? -errno : 0;
	}
	if (r)
		FAIL("export_fill %s", ename(-r));
	fl.handle = bo.handle;
	r = xioctl(fd, DRM_IOCTL_GEM_FLINK, &fl);
	if (r)
		FAIL("export_flink %s", ename(-r));
	r = drmPrimeHandleToFD(fd, bo.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf) ? -errno : 0;
	if (r)
		FAIL("export_prime %s", ename(-r));
	md.handle = bo.handle;
	r = xioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md);
	if (r)
		FAIL("export_map_dumb %s", ename(-r));
	snprintf(text, sizeof(text), "name %u\nfd %d\noffset %llu\nhandle %u\n", fl.name, dmabuf,
		 (unsigned long long)md.offset, bo.handle);
	r = write_export(path, text);
	if (r)
		FAIL("export_write %s", ename(-r));
	fputs(text, stdout);
	SAY("export ready");
	wait_stdin_eof();
	SAY("export done");
	if (dmabuf >= 0)
		close(dmabuf);
	bo_destroy(fd, &bo);
	return failures ? 1 : 0;
}

/* ---- attack ---------------------------------------------------------------- */

struct victim {
	unsigned long long name, fd, offset, handle;
};

static int read_victim(const char *path, struct victim *v)
{
	FILE *f = fopen(path, "r");
	char key[32];
	unsigned long long val;
	int got = 0;

	if (!f)
		return -errno;
	while (fscanf(f, "%31s %llu", key, &val) == 2) {
		if (!strcmp(key, "name"))
			v->name = val, got |= 1;
		else if (!strcmp(key, "fd"))
			v->fd = val, got |= 2;
		else if (!strcmp(key, "offset"))
			v->offset = val, got |= 4;
		else if (!strcmp(key, "handle"))
			v->handle = val, got |= 8;
	}
	fclose(f);
	return got == 15 ? 0 : -EINVAL;
}

/* A step that must be refused: r is 0 (it was allowed) or -errno. */
static void refused(const char *step, int r)
{
	if (r)
		SAY("refused %s errno %s", step, ename(-r));
	else
		FAIL("%s allowed", step);
}

/* The first CRTC of the node, or 1 when it has none (vgem: no KMS). */
static uint32_t first_crtc(int fd)
{
	struct drm_mode_card_res res = {0};
	uint32_t crtcs[64];

	if (xioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res) || !res.count_crtcs)
		return 1;
	if (res.count_crtcs > 64)
		res.count_crtcs = 64;
	res.count_fbs = res.count_connectors = res.count_encoders = 0;
	res.crtc_id_ptr = (uint64_t)(uintptr_t)crtcs;
	if (xioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res) || !res.count_crtcs)
		return 1;
	return crtcs[0];
}

static void attack_gem_open(int fd, const struct victim *v)
{
	struct drm_gem_open o = {.name = (uint32_t)v->name};
	int r = xioctl(fd, DRM_IOCTL_GEM_OPEN, &o);

	refused("gem_open", r);
	if (!r) {
		struct drm_gem_close c = {.handle = o.handle};

		xioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
	}
}

static void attack_prime_import(int fd, const struct victim *v)
{
	struct drm_prime_handle ph = {.fd = (int32_t)v->fd, .flags = 0};
	int r = xioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph);

	refused("prime_import", r);
	if (!r) {
		struct drm_gem_close c = {.handle = ph.handle};

		xioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
	}
}

static void attack_mmap(int fd, const struct victim *v)
{
	void *p = mmap(NULL, MIB, PROT_READ, MAP_SHARED, fd, (off_t)v->offset);

	if (p != MAP_FAILED) {
		FAIL("mmap_offset allowed first byte 0x%02x", *(volatile uint8_t *)p);
		munmap(p, MIB);
		return;
	}
	refused("mmap_offset", -errno);
}

static void attack_master(int fd)
{
	int r = xioctl(fd, DRM_IOCTL_SET_MASTER, NULL);

	refused("set_master", r);
	if (!r)
		xioctl(fd, DRM_IOCTL_DROP_MASTER, NULL);
}

static void attack_setcrtc(int fd)
{
	struct drm_mode_crtc c = {.crtc_id = first_crtc(fd), .fb_id = 0};

	SAY("setcrtc crtc %u", c.crtc_id);
	refused("setcrtc", xioctl(fd, DRM_IOCTL_MODE_SETCRTC, &c));
}

static int cmd_attack(const char *node, const char *path)
{
	struct victim v = {0};
	struct drm_gem_close gc;
	int fd, r = read_victim(path, &v);

	if (r) {
		FAIL("attack_input %s", ename(-r));
		return 1;
	}
	SAY("victim name %llu fd %llu offset %llu handle %llu", v.name, v.fd, v.offset, v.handle);
	fd = open_node(node);
	if (fd < 0)
		return 1;
	attack_gem_open(fd, &v);
	attack_prime_import(fd, &v);
	attack_mmap(fd, &v);
	/* our file has created no handle: the victim's number names nothing here */
	gc.handle = (uint32_t)v.handle;
	gc.pad = 0;
	r = xioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
	refused("gem_close", r);
	if (r && r != -EINVAL)
		FAIL("gem_close %s (expected EINVAL)", ename(-r));
	attack_master(fd);
	attack_setcrtc(fd);
	close(fd);
	SAY("attack done");
	return failures ? 1 : 0;
}

/* ---- loop, master ------------------------------------------------------------ */

static int loop_one(int fd, uint32_t i)
{
	struct bo bo;
	int r = bo_create(fd, 1, &bo), r2;

	if (r)
		return r;
	r = bo_write(fd, &bo, i);
	if (!r)
		r = bo_verify(fd, &bo, i);
	r2 = bo_destroy(fd, &bo);
	if (r == 1) {
		FAIL("loop_verify mismatch at %u", i);
		return 0;
	}
	return r ? r : r2;
}

static int cmd_loop(int fd, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		int r = loop_one(fd, i);

		if (r) {
			SAY("loop error %u errno %s", i, ename(-r));
			return 2;
		}
		if (failures)
			return 1;
		if (i % 10 == 0)
			SAY("loop %u", i);
	}
	SAY("loop done %u", n);
	return 0;
}

static int cmd_master(int fd)
{
	int r = xioctl(fd, DRM_IOCTL_SET_MASTER, NULL);

	if (r) {
		SAY("refused set_master errno %s", ename(-r));
		return 0;
	}
	r = xioctl(fd, DRM_IOCTL_DROP_MASTER, NULL);
	if (r)
		SAY("refused drop_master errno %s", ename(-r));
	else
		SAY("master ok");
	return 0;
}

/* Open, create/write/check/destroy one buffer, close: 0 or -errno (printed). */
static int round_trip(const char *node, const char *step)
{
	int fd = open(node, O_RDWR | O_CLOEXEC), r;

	if (fd < 0) {
		r = -errno;
		FAIL("%s_open %s", step, ename(errno));
		return r;
	}
	r = loop_one(fd, 7);
	if (r)
		FAIL("%s_buffer %s", step, ename(-r));
	close(fd);
	return r;
}

/* The frontend must connect again, to a new session, when a file is opened after a restart. */
static int cmd_reopen(const char *node)
{
	if (round_trip(node, "reopen_first") || failures)
		return 1;
	SAY("reopen first ok");
	hold();
	if (round_trip(node, "reopen") || failures)
		return 1;
	SAY("reopen ok");
	return failures ? 1 : 0;
}

/* ---- main ------------------------------------------------------------------ */

static int number(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: vdri-isotest NODE fill MIB | alloc COUNT MIB | export OUTFILE |\n"
			"                    attack INFILE | loop N | master | reopen\n");
	return 64;
}

static int run(int fd, int argc, char **argv)
{
	const char *cmd = argv[2];
	uint32_t a = 0, b = 0;

	if (!strcmp(cmd, "fill") && argc == 4 && !number(argv[3], 4096, &a) && a)
		return cmd_fill(fd, a);
	if (!strcmp(cmd, "alloc") && argc == 5 && !number(argv[3], FILL_MAX, &a) &&
	    !number(argv[4], 4096, &b) && b)
		return cmd_alloc(fd, a, b);
	if (!strcmp(cmd, "export") && argc == 4)
		return cmd_export(fd, argv[3]);
	if (!strcmp(cmd, "loop") && argc == 4 && !number(argv[3], UINT32_MAX, &a))
		return cmd_loop(fd, a);
	if (!strcmp(cmd, "master") && argc == 3)
		return cmd_master(fd);
	return usage();
}

int main(int argc, char **argv)
{
	int fd, r;

	if (argc < 3)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* these open the node themselves (attack: a file with no handle yet) */
	if (!strcmp(argv[2], "attack"))
		return argc == 4 ? cmd_attack(argv[1], argv[3]) : usage();
	if (!strcmp(argv[2], "reopen"))
		return argc == 3 ? cmd_reopen(argv[1]) : usage();
	fd = open_node(argv[1]);
	if (fd < 0)
		return 1;
	r = run(fd, argc, argv);
	close(fd);
	return r;
}
