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
 */
#include <errno.h>
#include <fcntl.h>
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

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 500;
	int vgem = dri_open_node("card", "vgem"), vg = dri_open_node("renderD", "virtio_gpu");

	measure("getparam", op_getparam, vg, n);
	measure("gem_create_close", op_gem, vgem, n);
	measure("dumb_map_rw_mib", op_dumb_rw, vgem, n / 10 + 1);
	measure("syncobj_wait", op_syncobj, vg, n);
	measure("virtio_exec", op_exec, vg, n / 5 + 1);
	return 0;
}
