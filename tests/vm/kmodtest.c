/* SPDX-License-Identifier: MIT */
/*
 * kmodtest.c - a statically linked program that talks to vdri_front.ko's
 * nodes with raw system calls only (syscall(SYS_ioctl), no libdrm, no
 * LD_PRELOAD): what the kernel-module frontend must serve that the preload
 * library cannot.  Run in the guest VM by tests/vm/kmod.sh.
 *
 *   vdri-kmodtest NODE version        DRM_IOCTL_VERSION: "version NAME MAJ.MIN.PATCH"
 *   vdri-kmodtest NODE gem            dumb buffer create, PRIME export to a
 *                                     dma-buf fd (lseek SEEK_END = size),
 *                                     import back, GEM close (twice: EINVAL)
 *   vdri-kmodtest NODE events         non-blocking read: EAGAIN; poll: nothing
 *   vdri-kmodtest NODE map            mmap of a dumb buffer: written pages reach
 *                                     the device at DMA_BUF_IOCTL_SYNC (exactly
 *                                     the written ones, from the module's
 *                                     counters), a new mapping sees them, an
 *                                     old one sees device-side changes after
 *                                     the next SYNC, munmap publishes, the
 *                                     dma-buf fd maps the same bytes
 *   vdri-kmodtest NODE threads N      8 threads on one fd, each N times: dumb
 *                                     create, VERSION, GEM close (replies
 *                                     matched to the right callers); prints
 *                                     the time per ioctl
 *   vdri-kmodtest NODE hang FILE      a child blocks in read(), the parent
 *                                     repeats VERSION and appends a count to
 *                                     FILE; both report the first error
 *                                     ("hang error ERRNO after N", exit 2)
 *
 * Output: one line per result; "FAIL ..." lines and exit 1 on a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>
#include <linux/dma-buf.h>

static int failures;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		printf("FAIL " __VA_ARGS__);                                                       \
		printf("\n");                                                                      \
		failures++;                                                                        \
	} while (0)

/* The raw system call, so nothing in libc or libdrm can stand in between. */
static int raw_ioctl(int fd, unsigned long cmd, void *arg)
{
	long r = syscall(SYS_ioctl, fd, cmd, arg);

	return r < 0 ? -errno : (int)r;
}

static int raw_open(const char *path, int flags)
{
	long r = syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0);

	return r < 0 ? -errno : (int)r;
}

static const char *errname(int e)
{
	switch (e < 0 ? -e : e) {
	case EIO:
		return "EIO";
	case ENODEV:
		return "ENODEV";
	case EAGAIN:
		return "EAGAIN";
	case EINVAL:
		return "EINVAL";
	case EBADF:
		return "EBADF";
	case EINTR:
		return "EINTR";
	case ENOTTY:
		return "ENOTTY";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	default:
		return strerror(e < 0 ? -e : e);
	}
}

static int version(int fd, char *name, size_t len)
{
	struct drm_version v = {.name_len = len - 1, .name = name};
	int r = raw_ioctl(fd, DRM_IOCTL_VERSION, &v);

	if (r == 0) {
		if (v.name_len >= len)
			return -ENAMETOOLONG;
		name[v.name_len] = '\0';
		printf("version %s %d.%d.%d\n", name, v.version_major, v.version_minor,
		       v.version_patchlevel);
	}
	return r;
}

static int cmd_version(int fd)
{
	char name[64];
	int r = version(fd, name, sizeof(name));

	if (r)
		FAIL("DRM_IOCTL_VERSION: %s", errname(r));
	return 0;
}

static int cmd_gem(int fd)
{
	struct drm_mode_create_dumb cd = {.width = 64, .height = 64, .bpp = 32};
	struct drm_prime_handle ph = {0};
	struct drm_gem_close gc = {0};
	off_t size;
	int r;

	r = raw_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd);
	if (r) {
		FAIL("MODE_CREATE_DUMB: %s", errname(r));
		return 0;
	}
	printf("dumb handle %u pitch %u size %llu\n", cd.handle, cd.pitch,
	       (unsigned long long)cd.size);
	if (cd.handle == 0 || cd.pitch < 64 * 4 || cd.size < 64ull * 64 * 4)
		FAIL("dumb buffer with handle %u pitch %u size %llu", cd.handle, cd.pitch,
		     (unsigned long long)cd.size);

	/* an fd the ioctl creates: a dma-buf file in this guest */
	ph.handle = cd.handle;
	ph.flags = DRM_CLOEXEC | DRM_RDWR;
	r = raw_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph);
	if (r) {
		FAIL("PRIME_HANDLE_TO_FD: %s", errname(r));
	} else {
		size = lseek(ph.fd, 0, SEEK_END);
		printf("dmabuf fd %d size %lld\n", ph.fd, (long long)size);
		if (size != (off_t)cd.size)
			FAIL("dma-buf lseek(SEEK_END) %lld, buffer %llu", (long long)size,
			     (unsigned long long)cd.size);
		/* and back in: the same buffer, so the same handle */
		struct drm_prime_handle back = {.fd = ph.fd};

		r = raw_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &back);
		if (r)
			FAIL("PRIME_FD_TO_HANDLE: %s", errname(r));
		else if (back.handle != cd.handle)
			FAIL("PRIME_FD_TO_HANDLE gave handle %u, not %u", back.handle, cd.handle);
		else
			printf("prime import handle %u\n", back.handle);
		close(ph.fd);
	}

	gc.handle = cd.handle;
	r = raw_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
	if (r)
		FAIL("GEM_CLOSE: %s", errname(r));
	r = raw_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
	if (r != -EINVAL)
		FAIL("second GEM_CLOSE of handle %u: %s, expected EINVAL", gc.handle, errname(r));
	else
		printf("gem close ok, again: EINVAL\n");
	return 0;
}

/* pages published so far (the module's counters) */
static long long published(void)
{
	long long f = -1, p = -1, i = -1;
	FILE *s = fopen("/sys/module/vdri_front/parameters/stats", "r");

	if (s) {
		if (fscanf(s, "fetched %lld published %lld invalidated %lld", &f, &p, &i) != 3)
			p = -1;
		fclose(s);
	}
	return p;
}

/* every byte of page pg of m is v */
static int page_is(const uint8_t *m, int pg, uint8_t v)
{
	for (int i = 0; i < 4096; i++)
		if (m[pg * 4096 + i] != v)
			return 0;
	return 1;
}

static int dmabuf_sync(int dfd)
{
	struct dma_buf_sync s = {.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW};
	int r = raw_ioctl(dfd, DMA_BUF_IOCTL_SYNC, &s);

	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	return r ? r : raw_ioctl(dfd, DMA_BUF_IOCTL_SYNC, &s);
}

static int cmd_map(int fd)
{
	struct drm_mode_create_dumb cd = {.width = 1024, .height = 4, .bpp = 32}; /* 4 pages */
	struct drm_mode_map_dumb md = {0};
	struct drm_prime_handle ph = {0};
	uint8_t *m1, *m2, *m3, *md1;
	long long p0, p1;
	int r;

	r = raw_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd);
	if (r || cd.size != 4 * 4096) {
		FAIL("MODE_CREATE_DUMB 1024x4x32: %s size %llu", errname(r),
		     (unsigned long long)cd.size);
		return 0;
	}
	md.handle = ph.handle = cd.handle;
	ph.flags = DRM_CLOEXEC | DRM_RDWR;
	if ((r = raw_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md)) ||
	    (r = raw_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph))) {
		FAIL("MAP_DUMB / PRIME_HANDLE_TO_FD: %s", errname(r));
		return 0;
	}
	m1 = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)md.offset);
	if (m1 == MAP_FAILED) {
		FAIL("mmap of the dumb buffer: %s", errname(errno));
		return 0;
	}
	if (!page_is(m1, 0, 0) || !page_is(m1, 3, 0))
		FAIL("a new dumb buffer is not zero through the mapping");
	/* write pages 0 and 2 only: exactly those two must travel */
	memset(m1, 0xa1, 4096);
	memset(m1 + 2 * 4096, 0xa2, 4096);
	p0 = published();
	r = dmabuf_sync(ph.fd);
	p1 = published();
	if (r)
		FAIL("DMA_BUF_IOCTL_SYNC: %s", errname(r));
	printf("map published %lld pages for 2 written\n", p1 - p0);
	if (p1 - p0 != 2)
		FAIL("published %lld pages at SYNC, expected exactly the 2 written", p1 - p0);
	/* a second mapping fetches from the device: it sees what was published */
	m2 = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)md.offset);
	if (m2 == MAP_FAILED) {
		FAIL("second mmap: %s", errname(errno));
		return 0;
	}
	if (page_is(m2, 0, 0xa1) && page_is(m2, 1, 0) && page_is(m2, 2, 0xa2) && page_is(m2, 3, 0))
		printf("map second mapping sees the published pages\n");
	else
		FAIL("second mapping: pages %02x %02x %02x %02x, expected a1 00 a2 00", m2[0],
		     m2[4096], m2[8192], m2[12288]);
	/* a change through m2, published; m1 (stale copy) sees it after SYNC */
	memset(m2 + 4096, 0xb1, 4096);
	if (m1[4096] != 0)
		FAIL("the first mapping saw another mapping's write before any SYNC");
	r = dmabuf_sync(ph.fd);
	if (r)
		FAIL("DMA_BUF_IOCTL_SYNC: %s", errname(r));
	if (page_is(m1, 1, 0xb1) && page_is(m1, 0, 0xa1))
		printf("map first mapping refreshed after SYNC\n");
	else
		FAIL("first mapping after SYNC: page 1 is %02x, expected b1", m1[4096]);
	/* munmap publishes */
	memset(m2 + 3 * 4096, 0xc3, 4096);
	munmap(m2, cd.size);
	m3 = mmap(NULL, cd.size, PROT_READ, MAP_SHARED, fd, (off_t)md.offset);
	if (m3 == MAP_FAILED) {
		FAIL("third mmap: %s", errname(errno));
		return 0;
	}
	if (page_is(m3, 3, 0xc3))
		printf("map munmap published the last write\n");
	else
		FAIL("after munmap page 3 is %02x, expected c3", m3[3 * 4096]);
	/* the dma-buf maps the same buffer */
	md1 = mmap(NULL, cd.size, PROT_READ, MAP_SHARED, ph.fd, 0);
	if (md1 == MAP_FAILED)
		FAIL("mmap of the dma-buf fd: %s", errname(errno));
	else if (page_is(md1, 0, 0xa1) && page_is(md1, 1, 0xb1) && page_is(md1, 3, 0xc3))
		printf("map dma-buf mapping sees the same bytes\n");
	else
		FAIL("dma-buf mapping: %02x %02x %02x, expected a1 b1 c3", md1[0], md1[4096],
		     md1[3 * 4096]);
	if (md1 != MAP_FAILED)
		munmap(md1, cd.size);
	munmap(m3, cd.size);
	munmap(m1, cd.size);
	close(ph.fd);
	struct drm_gem_close gc = {.handle = cd.handle};
	raw_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
	return 0;
}

static int cmd_events(const char *node)
{
	struct pollfd p;
	char buf[256];
	long n;
	int fd, r;

	fd = raw_open(node, O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		FAIL("open %s O_NONBLOCK: %s", node, errname(fd));
		return 0;
	}
	n = syscall(SYS_read, fd, buf, sizeof(buf));
	if (n >= 0 || errno != EAGAIN)
		FAIL("non-blocking read with no event: %ld (%s), expected EAGAIN", n,
		     n < 0 ? errname(errno) : "data");
	else
		printf("read: EAGAIN\n");
	p.fd = fd;
	p.events = POLLIN;
	r = poll(&p, 1, 200);
	if (r != 0)
		FAIL("poll with no event: %d revents %#x, expected a timeout", r, p.revents);
	else
		printf("poll: timeout, no event\n");
	close(fd);
	return 0;
}

struct worker {
	int fd, n, bad;
	pthread_t t;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char name[64];

	for (int i = 0; i < w->n; i++) {
		/* a width per call, so a reply given to the wrong caller shows */
		struct drm_mode_create_dumb cd = {
		    .width = 16 + (unsigned)i, .height = 16, .bpp = 32};
		struct drm_version v = {.name_len = sizeof(name) - 1, .name = name};
		struct drm_gem_close gc = {0};

		if (raw_ioctl(w->fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd) ||
		    cd.pitch != (16 + (unsigned)i) * 4)
			w->bad++;
		if (raw_ioctl(w->fd, DRM_IOCTL_VERSION, &v) || v.name_len >= sizeof(name))
			w->bad++;
		gc.handle = cd.handle;
		if (raw_ioctl(w->fd, DRM_IOCTL_GEM_CLOSE, &gc))
			w->bad++;
	}
	return NULL;
}

static int cmd_threads(int fd, int n)
{
	struct worker w[8];
	struct timespec t0, t1;
	int bad = 0;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){.fd = fd, .n = n};
		pthread_create(&w[i].t, NULL, worker_run, &w[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(w[i].t, NULL);
		bad += w[i].bad;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (bad)
		FAIL("%d of %d ioctls from 8 threads went wrong", bad, 8 * n * 3);
	else
		printf("threads ok: 8 x %d x 3 ioctls in %.0f ms, %.0f us per ioctl\n", n, ms,
		       ms * 1e3 / (8.0 * n * 3));
	return 0;
}

static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

/* Touch a mapping whose pages were never fetched: 1 if that raised SIGBUS. */
static int touch_gets_sigbus(volatile uint8_t *p)
{
	struct sigaction sa = {.sa_handler = on_bus}, old;
	int bus = 0;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1) == 0)
		(void)p[0];
	else
		bus = 1;
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

static int cmd_hang(int fd, const char *node, const char *file)
{
	struct drm_mode_create_dumb cd = {.width = 1024, .height = 4, .bpp = 32};
	struct drm_mode_map_dumb md = {0};
	uint8_t *map = MAP_FAILED;
	char name[64], buf[256];
	unsigned long i;
	pid_t child;
	int rfd, r, st;
	long n;
	FILE *f;

	/* a mapping none of whose pages is fetched before the driver VM dies */
	if (raw_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd) == 0) {
		md.handle = cd.handle;
		if (raw_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md) == 0)
			map = mmap(NULL, cd.size, PROT_READ, MAP_SHARED, fd, (off_t)md.offset);
	}
	if (map == MAP_FAILED)
		FAIL("dumb buffer mapping for the loss test");
	/* the child waits in a blocking read: DRM has no event for it */
	rfd = raw_open(node, O_RDWR);
	if (rfd < 0) {
		FAIL("open %s: %s", node, errname(rfd));
		return 0;
	}
	child = fork();
	if (child == 0) {
		n = syscall(SYS_read, rfd, buf, sizeof(buf));
		printf("reader: read returned %ld (%s)\n", n, n < 0 ? errname(errno) : "data");
		fflush(stdout);
		_exit(n < 0 && (errno == EIO || errno == ENODEV) ? 0 : 1);
	}
	for (i = 0;; i++) {
		r = version(fd, name, sizeof(name));
		if (r)
			break;
		if (i % 10 == 0 && (f = fopen(file, "w"))) {
			fprintf(f, "%lu\n", i);
			fclose(f);
		}
	}
	printf("hang error %s after %lu\n", errname(r), i);
	fflush(stdout);
	if (map != MAP_FAILED)
		printf("hang mmap after loss: %s\n",
		       touch_gets_sigbus(map) ? "SIGBUS" : "no signal");
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		FAIL("the blocked reader did not end with EIO/ENODEV");
		return 1;
	}
	printf("reader ended\n");
	return 2;
}

int main(int argc, char **argv)
{
	int fd, r = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: %s NODE version|gem|map|events|threads N|hang FILE\n",
			argv[0]);
		return 2;
	}
	if (!strcmp(argv[2], "events"))
		return cmd_events(argv[1]) || failures ? 1 : 0;
	fd = raw_open(argv[1], O_RDWR);
	if (fd < 0) {
		FAIL("open %s: %s", argv[1], errname(fd));
		return 1;
	}
	if (!strcmp(argv[2], "version"))
		r = cmd_version(fd);
	else if (!strcmp(argv[2], "gem"))
		r = cmd_gem(fd);
	else if (!strcmp(argv[2], "map"))
		r = cmd_map(fd);
	else if (!strcmp(argv[2], "threads") && argc > 3)
		r = cmd_threads(fd, atoi(argv[3]));
	else if (!strcmp(argv[2], "hang") && argc > 3)
		r = cmd_hang(fd, argv[1], argv[3]);
	else {
		fprintf(stderr, "unknown command %s\n", argv[2]);
		return 2;
	}
	close(fd);
	if (failures)
		return 1;
	return r;
}
