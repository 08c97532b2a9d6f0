/* SPDX-License-Identifier: MIT */
/*
 * drm_ops.c - DRM operation latencies, run natively in the driver VM and
 * through libvdri-front.so in the same VM (bench/drm.sh does both in one
 * boot, so both see the same emulated CPU).  One line per operation:
 *   NAME median_us p99_us iterations
 * Operations:
 *   gem_create_close  vgem dumb buffer create + destroy (64 KiB)
 *   dumb_map_rw_mib   map a 1 MiB dumb buffer, write it, publish, read it
 *                     back after a refresh: per MiB
 *   syncobj_wait      syncobj create + signal + wait + destroy
 *   virtio_exec       virtio_gpu EXECBUFFER (empty) with an out-fence,
 *                     poll the fence, close it
 *   getparam          virtio_gpu GETPARAM (the cheapest driver ioctl)
 *
 * Load mode, for the scaling benchmark (many of these at once):
 *   drm_ops -d SECONDS -o OP [-S START_MS]
 * opens the node first, waits until CLOCK_REALTIME reaches START_MS (ms since
 * the epoch; so that N processes start together), then repeats OP for SECONDS
 * and prints one line:
 *   OP ops N median_us p99_us max_us seconds
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
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

#include "bench/bench_util.h"
#include "core/drm/uapi/virtgpu_drm.h"
#include "tests/vm/dri_node.h"

typedef int (*op_fn)(int fd);

static void measure(const char *name, op_fn fn, int fd, int n)
{
	double *t = malloc(sizeof(double) * (size_t)n);

	if (fd < 0 || !t) {
		printf("%s - - 0\n", name);
		free(t);
		return;
	}
	for (int i = 0; i < n / 10 + 1; i++)
		fn(fd); /* warm-up */
	for (int i = 0; i < n; i++) {
		double t0 = now_us();

		if (fn(fd)) {
			printf("%s error %s 0\n", name, strerror(errno));
			free(t);
			return;
		}
		t[i] = now_us() - t0;
	}
	qsort(t, (size_t)n, sizeof(double), cmp_double);
	printf("%s %.1f %.1f %d\n", name, t[n / 2], t[n * 99 / 100], n);
	fflush(stdout);
	free(t);
}

static int op_gem(int fd)
{
	struct drm_mode_create_dumb cd = {.width = 128, .height = 128, .bpp = 32};
	struct drm_mode_destroy_dumb dd;

	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd))
		return -1;
	dd.handle = cd.handle;
	return ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
}

static int op_dumb_rw(int fd)
{
	struct drm_mode_create_dumb cd = {.width = 512, .height = 512, .bpp = 32};
	struct drm_mode_map_dumb md = {0};
	struct drm_mode_destroy_dumb dd;
	volatile uint8_t sum = 0;
	uint8_t *p;
	int r = -1;

	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd))
		return -1;
	md.handle = cd.handle;
	if (!ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md)) {
		p = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)md.offset);
		if (p != MAP_FAILED) {
			memset(p, 0x5a, cd.size);
			msync(p, cd.size, MS_SYNC);
			msync(p, cd.size, MS_SYNC | MS_INVALIDATE);
			for (size_t i = 0; i < cd.size; i += 4096)
				sum += p[i];
			munmap(p, cd.size);
			r = 0;
		}
	}
	dd.handle = cd.handle;
	ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
	return r;
}

static int op_syncobj(int fd)
{
	uint32_t h;
	int r = drmSyncobjCreate(fd, 0, &h);

	if (r)
		return r;
	r = drmSyncobjSignal(fd, &h, 1);
	r = r ? r : drmSyncobjWait(fd, &h, 1, 0, 0, NULL);
	drmSyncobjDestroy(fd, h);
	return r;
}

static int op_exec(int fd)
{
	struct drm_virtgpu_execbuffer eb = {.flags = VIRTGPU_EXECBUF_FENCE_FD_OUT, .fence_fd = -1};
	struct pollfd pf;

	if (ioctl(fd, DRM_IOCTL_VIRTGPU_EXECBUFFER, &eb))
		return -1;
	pf = (struct pollfd){.fd = eb.fence_fd, .events = POLLIN};
	poll(&pf, 1, 5000);
	return close(eb.fence_fd);
}

static int op_getparam(int fd)
{
	int v = 0;
	struct drm_virtgpu_getparam gp = {.param = VIRTGPU_PARAM_3D_FEATURES,
					  .value = (uint64_t)(uintptr_t)&v};

	return ioctl(fd, DRM_IOCTL_VIRTGPU_GETPARAM, &gp);
}

static const struct {
	const char *name;
	op_fn fn;
	int vgem; /* 1: on vgem's card node, 0: on virtio_gpu's render node */
} load_ops[] = {
    {"getparam", op_getparam, 0},
    {"gem_create_close", op_gem, 1},
    {"syncobj_wait", op_syncobj, 0},
    {"virtio_exec", op_exec, 0},
};

static double realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Repeats one operation for a while; see the top of the file. */
static int load(const char *op, double seconds, double start_ms)
{
	size_t i, n = 0, cap = 1 << 14;
	double *t = malloc(sizeof(double) * cap), t_end, t0, wait;
	int fd = -1, k = -1;

	for (i = 0; i < sizeof(load_ops) / sizeof(load_ops[0]); i++)
		if (!strcmp(op, load_ops[i].name))
			k = (int)i;
	if (k < 0 || !t || seconds <= 0) {
		fprintf(stderr, "drm_ops: unknown operation '%s' or bad duration\n", op);
		free(t);
		return 2;
	}
	fd = load_ops[k].vgem ? dri_open_node("card", "vgem")
			      : dri_open_node("renderD", "virtio_gpu");
	if (fd < 0) {
		fprintf(stderr, "drm_ops: no %s node\n", load_ops[k].vgem ? "vgem" : "virtio_gpu");
		free(t);
		return 1;
	}
	wait = start_ms - realtime_ms();
	if (wait > 0 && wait < 600e3)
		usleep((useconds_t)(wait * 1e3));
	t0 = now_us();
	t_end = t0 + seconds * 1e6;
	for (;;) {
		double a = now_us(), b;

		if (a >= t_end)
			break;
		if (load_ops[k].fn(fd)) {
			fprintf(stderr, "drm_ops: %s: %s\n", op, strerror(errno));
			free(t);
			close(fd);
			return 1;
		}
		b = now_us();
		if (n == cap) {
			double *nt = realloc(t, sizeof(double) * cap * 2);

			if (!nt) {
				free(t);
				close(fd);
				return 1;
			}
			t = nt;
			cap *= 2;
		}
		t[n++] = b - a;
	}
	seconds = (now_us() - t0) / 1e6;
	if (n == 0) {
		printf("%s ops 0 - - - %.3f\n", op, seconds);
	} else {
		qsort(t, n, sizeof(double), cmp_double);
		printf("%s ops %zu %.1f %.1f %.1f %.3f\n", op, n, t[n / 2], t[n * 99 / 100],
		       t[n - 1], seconds);
	}
	free(t);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int n, c, vgem, vg;
	const char *op = NULL;
	double seconds = 0, start_ms = 0;

	while ((c = getopt(argc, argv, "d:o:S:")) != -1) {
		switch (c) {
		case 'd':
			seconds = atof(optarg);
			break;
		case 'o':
			op = optarg;
			break;
		case 'S':
			start_ms = atof(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: drm_ops [ITER] | drm_ops -d SECONDS -o OP [-S START_MS]\n");
			return 2;
		}
	}
	if (op || seconds > 0)
		return load(op ? op : "", seconds, start_ms);
	n = optind < argc ? atoi(argv[optind]) : 500;
	vgem = dri_open_node("card", "vgem");
	vg = dri_open_node("renderD", "virtio_gpu");

	measure("getparam", op_getparam, vg, n);
	measure("gem_create_close", op_gem, vgem, n);
	measure("dumb_map_rw_mib", op_dumb_rw, vgem, n / 10 + 1);
	measure("syncobj_wait", op_syncobj, vg, n);
	measure("virtio_exec", op_exec, vg, n / 5 + 1);
	return 0;
}
