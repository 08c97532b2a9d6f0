/* SPDX-License-Identifier: MIT */
/*
 * drmtest.c - DRM conformance checks run twice with the same binary:
 * natively inside the driver VM and forwarded from a guest (the host,
 * through libvdri-front.so).  Every check prints one line whose text
 * depends only on what the device did (results, errnos, pixel patterns),
 * never on timings, fd numbers or ids, so the two outputs must be equal
 * line for line; tests/vm/drm.sh compares them.  Lines starting with "~"
 * are known, documented differences: printed, not compared.
 *
 * Nodes are found by driver name (card and render numbers change with
 * module load order).  Usage: vdri-drmtest [check...] (default: all).
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

#include <linux/dma-buf.h>

#include <drm.h>
#include <drm_mode.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "core/drm/uapi/vgem_drm.h"
#include "core/drm/uapi/virtgpu_drm.h"
#include "tests/vm/dri_node.h"

static int failures;

#define SAY(...) (printf(__VA_ARGS__), putchar('\n'), fflush(stdout))
#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			printf("FAIL %s:%d: ", __func__, __LINE__);                                \
			SAY(__VA_ARGS__);                                                          \
		}                                                                                  \
	} while (0)

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static int same(const uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed + i * 7))
			return 0;
	return 1;
}

/* ---- checks --------------------------------------------------------------------- */

static void check_version(void)
{
	static const char *const drivers[] = {"virtio_gpu", "vgem"};

	for (unsigned i = 0; i < 2; i++) {
		int fd = dri_open_node("card", drivers[i]);
		drmVersionPtr v = fd >= 0 ? drmGetVersion(fd) : NULL;
		uint64_t cap = 0;

		EXPECT(v, "%s: no card node", drivers[i]);
		if (!v)
			continue;
		SAY("version %s %d.%d desc=%s", v->name, v->version_major, v->version_minor,
		    v->desc);
		SAY("cap dumb_buffer=%d prime=%d",
		    drmGetCap(fd, DRM_CAP_DUMB_BUFFER, &cap) ? -1 : (int)cap,
		    drmGetCap(fd, DRM_CAP_PRIME, &cap) ? -1 : (int)cap);
		SAY("cap syncobj=%d timeline=%d",
		    drmGetCap(fd, DRM_CAP_SYNCOBJ, &cap) ? -1 : (int)cap,
		    drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &cap) ? -1 : (int)cap);
		drmFreeVersion(v);
		close(fd);
	}
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = {.flags = flags};

	return xioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

/* vgem: dumb buffer, mmap patterns both ways, PRIME between two opens, fences. */
static void check_vgem(void)
{
	int a = dri_open_node("card", "vgem"), b = dri_open_node("card", "vgem");
	struct drm_mode_create_dumb cd = {.width = 256, .height = 64, .bpp = 32};
	struct drm_mode_map_dumb md = {0};
	uint32_t hb = 0;
	int dmabuf = -1;
	uint8_t *pa, *pb;

	EXPECT(a >= 0 && b >= 0, "vgem: no node");
	if (a < 0 || b < 0)
		return;
	EXPECT(!xioctl(a, DRM_IOCTL_MODE_CREATE_DUMB, &cd), "create_dumb");
	SAY("vgem dumb size=%llu pitch=%u", (unsigned long long)cd.size, cd.pitch);
	md.handle = cd.handle;
	EXPECT(!xioctl(a, DRM_IOCTL_MODE_MAP_DUMB, &md), "map_dumb");
	pa = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, a, (off_t)md.offset);
	EXPECT(pa != MAP_FAILED, "mmap a: %s", strerror(errno));
	if (pa == MAP_FAILED)
		return;
	fill(pa, cd.size, 3);
	/* PRIME: export from a, import into b, map b's handle */
	EXPECT(!drmPrimeHandleToFD(a, cd.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf), "export");
	EXPECT(!drmPrimeFDToHandle(b, dmabuf, &hb), "import");
	struct drm_mode_map_dumb mb = {.handle = hb};
	EXPECT(!xioctl(b, DRM_IOCTL_MODE_MAP_DUMB, &mb), "map_dumb b");
	/*
	 * CPU access to a shared buffer is bracketed with DMA_BUF_IOCTL_SYNC
	 * (msync fails natively on DRM mappings: the file has no fsync).
	 * a's writes, then b maps and sees them.
	 */
	EXPECT(!dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE), "sync end");
	pb = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, b, (off_t)mb.offset);
	EXPECT(pb != MAP_FAILED, "mmap b");
	if (pb == MAP_FAILED)
		return;
	SAY("vgem prime a->b pattern %s", same(pb, cd.size, 3) ? "ok" : "bad");
	/* b writes a page; a sees it after a dma-buf sync (START: device writes visible) */
	fill(pb + 4096, 4096, 99);
	EXPECT(!dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE), "sync end b");
	EXPECT(!dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), "sync start a");
	SAY("vgem prime b->a page %s, rest %s", same(pa + 4096, 4096, 99) ? "ok" : "bad",
	    same(pa, 4096, 3) ? "ok" : "bad");
	/* mmap through the dma-buf fd itself */
	uint8_t *pd = mmap(NULL, cd.size, PROT_READ, MAP_SHARED, dmabuf, 0);
	SAY("vgem dmabuf mmap %s", pd != MAP_FAILED && same(pd + 4096, 4096, 99) ? "ok" : "bad");
	if (pd != MAP_FAILED)
		munmap(pd, cd.size);
	/* fences: attach a write fence, the dma-buf is busy until it is signalled */
	struct drm_vgem_fence_attach fa = {.handle = cd.handle, .flags = VGEM_FENCE_WRITE};
	EXPECT(!xioctl(a, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa), "fence attach");
	struct pollfd pf = {.fd = dmabuf, .events = POLLIN};
	SAY("vgem fenced poll=%d", poll(&pf, 1, 0));
	struct drm_vgem_fence_signal fs = {.fence = fa.out_fence};
	EXPECT(!xioctl(a, DRM_IOCTL_VGEM_FENCE_SIGNAL, &fs), "fence signal");
	pf.revents = 0;
	int pr = poll(&pf, 1, 2000);
	SAY("vgem signalled poll=%d revents=%#x", pr, pf.revents);
	SAY("vgem signal again: %d", xioctl(a, DRM_IOCTL_VGEM_FENCE_SIGNAL, &fs));
	munmap(pa, cd.size);
	munmap(pb, cd.size);
	close(dmabuf);
	close(a);
	close(b);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* syncobj: wait with a timeout, signal, export/import, timeline query. */
static void check_syncobj(void)
{
	int fd = dri_open_node("card", "virtio_gpu");
	uint32_t h = 0, h2 = 0, first = 0;
	int sfd = -1;

	if (fd < 0)
		return;
	uint64_t cap = 0;
	if (drmGetCap(fd, DRM_CAP_SYNCOBJ, &cap) || !cap) {
		/* virtio_gpu and vgem of the 6.1 kernel have no syncobjs */
		SAY("syncobj: not supported by virtio_gpu here (%s)",
		    strerror(-drmSyncobjCreate(fd, 0, &h)));
		close(fd);
		return;
	}
	EXPECT(!drmSyncobjCreate(fd, 0, &h), "create");
	int64_t t0 = now_ns();
	int r = drmSyncobjWait(fd, &h, 1, t0 + 50000000, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
			       &first);
	int64_t waited = (now_ns() - t0) / 1000000;
	SAY("syncobj unsignalled wait: %s, waited %s", r ? strerror(-r) : "ok",
	    waited >= 40 && waited < 5000 ? "about the timeout" : "WRONG");
	EXPECT(!drmSyncobjSignal(fd, &h, 1), "signal");
	r = drmSyncobjWait(fd, &h, 1, now_ns() + 1000000000, 0, &first);
	SAY("syncobj signalled wait: %s", r ? strerror(-r) : "ok");
	EXPECT(!drmSyncobjHandleToFD(fd, h, &sfd), "to fd");
	EXPECT(!drmSyncobjFDToHandle(fd, sfd, &h2), "from fd");
	r = drmSyncobjWait(fd, &h2, 1, 0, 0, &first);
	SAY("syncobj imported wait: %s", r ? strerror(-r) : "ok");
	/* a sync_file export of a signalled syncobj polls readable */
	int sync_file = -1;
	r = drmSyncobjExportSyncFile(fd, h, &sync_file);
	struct pollfd pf = {.fd = sync_file, .events = POLLIN};
	SAY("syncobj sync_file export: %s poll=%d", r ? strerror(-r) : "ok",
	    r ? -1 : poll(&pf, 1, 1000));
	uint64_t point = 0;
	uint32_t t = 0;
	EXPECT(!drmSyncobjCreate(fd, 0, &t), "create timeline");
	uint64_t p5 = 5;
	r = drmSyncobjTimelineSignal(fd, &t, &p5, 1);
	r = r ? r : drmSyncobjQuery(fd, &t, &point, 1);
	SAY("syncobj timeline signal 5, query: %s point=%llu", r ? strerror(-r) : "ok",
	    (unsigned long long)point);
	drmSyncobjDestroy(fd, h);
	drmSyncobjDestroy(fd, h2);
	drmSyncobjDestroy(fd, t);
	close(sfd);
	if (sync_file >= 0)
		close(sync_file);
	close(fd);
}

/* virtio_gpu: params, a resource, map, transfers, submissions with fences. */
static void check_virtio(void)
{
	int fd = dri_open_node("renderD", "virtio_gpu");
	int v3d = 0, out_fence = -1, out2 = -1;

	EXPECT(fd >= 0, "no virtio_gpu render node");
	if (fd < 0)
		return;
	struct drm_virtgpu_getparam gp = {.param = VIRTGPU_PARAM_3D_FEATURES,
					  .value = (uint64_t)(uintptr_t)&v3d};
	EXPECT(!xioctl(fd, DRM_IOCTL_VIRTGPU_GETPARAM, &gp), "getparam");
	SAY("virtio 3d=%d", v3d);
	struct drm_virtgpu_resource_create rc = {.target = 2 /* PIPE_TEXTURE_2D */,
						 .format = 1 /* B8G8R8A8 */,
						 .bind = 1 << 1 /* render target */,
						 .width = 64,
						 .height = 64,
						 .depth = 1,
						 .array_size = 1,
						 .size = 64 * 64 * 4,
						 .stride = 64 * 4};
	int r = xioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc);
	SAY("virtio resource_create: %s", r ? strerror(-r) : "ok");
	if (r) {
		close(fd);
		return;
	}
	struct drm_virtgpu_map map = {.handle = rc.bo_handle};
	EXPECT(!xioctl(fd, DRM_IOCTL_VIRTGPU_MAP, &map), "map");
	uint8_t *p = mmap(NULL, rc.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map.offset);
	EXPECT(p != MAP_FAILED, "mmap");
	if (p != MAP_FAILED)
		fill(p, rc.size, 42);
	struct drm_virtgpu_3d_transfer_to_host th = {.bo_handle = rc.bo_handle,
						     .box = {.w = 64, .h = 64, .d = 1}};
	r = xioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &th);
	SAY("virtio transfer_to_host: %s", r ? strerror(-r) : "ok");
	/* wipe the guest copy, bring the host's back: it must be the pattern */
	struct drm_virtgpu_3d_wait wt = {.handle = rc.bo_handle};
	r = xioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &wt);
	if (p != MAP_FAILED) {
		memset(p, 0, rc.size);
		msync(p, rc.size, MS_SYNC);
	}
	struct drm_virtgpu_3d_transfer_from_host fh = {.bo_handle = rc.bo_handle,
						       .box = {.w = 64, .h = 64, .d = 1}};
	r = r ? r : xioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST, &fh);
	r = r ? r : xioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &wt);
	SAY("virtio round trip through the host: %s pattern %s", r ? strerror(-r) : "ok",
	    p != MAP_FAILED && same(p, rc.size, 42) ? "ok" : "bad");
	/* an empty submission with an out-fence, then one waiting on it */
	uint32_t bos[1] = {rc.bo_handle};
	struct drm_virtgpu_execbuffer eb = {.flags = VIRTGPU_EXECBUF_FENCE_FD_OUT,
					    .bo_handles = (uint64_t)(uintptr_t)bos,
					    .num_bo_handles = 1,
					    .fence_fd = -1};
	r = xioctl(fd, DRM_IOCTL_VIRTGPU_EXECBUFFER, &eb);
	out_fence = eb.fence_fd;
	struct pollfd pf = {.fd = out_fence, .events = POLLIN};
	SAY("virtio execbuffer out-fence: %s fd=%s poll=%d", r ? strerror(-r) : "ok",
	    out_fence >= 0 ? "yes" : "no", out_fence >= 0 ? poll(&pf, 1, 5000) : -1);
	struct drm_virtgpu_execbuffer eb2 = {.flags = VIRTGPU_EXECBUF_FENCE_FD_IN |
						      VIRTGPU_EXECBUF_FENCE_FD_OUT,
					     .fence_fd = out_fence};
	r = xioctl(fd, DRM_IOCTL_VIRTGPU_EXECBUFFER, &eb2);
	out2 = eb2.fence_fd;
	pf.fd = out2;
	SAY("virtio execbuffer in+out fence: %s new=%s poll=%d", r ? strerror(-r) : "ok",
	    out2 >= 0 && out2 != out_fence ? "yes" : "no", out2 >= 0 ? poll(&pf, 1, 5000) : -1);
	/* an unknown fd as in-fence */
	struct drm_virtgpu_execbuffer eb3 = {.flags = VIRTGPU_EXECBUF_FENCE_FD_IN, .fence_fd = 999};
	r = xioctl(fd, DRM_IOCTL_VIRTGPU_EXECBUFFER, &eb3);
	SAY("virtio execbuffer bad in-fence: %s", r ? "refused" : "accepted");
	if (out_fence >= 0)
		close(out_fence);
	if (out2 >= 0)
		close(out2);
	if (p != MAP_FAILED)
		munmap(p, rc.size);
	close(fd);
}

/* The id of the property called name on an object, or 0. */
static uint32_t prop_id(int fd, uint32_t obj, uint32_t type, const char *name)
{
	drmModeObjectPropertiesPtr op = drmModeObjectGetProperties(fd, obj, type);
	uint32_t id = 0;

	for (uint32_t i = 0; op && i < op->count_props && !id; i++) {
		drmModePropertyPtr pr = drmModeGetProperty(fd, op->props[i]);

		if (pr && !strcmp(pr->name, name))
			id = pr->prop_id;
		drmModeFreeProperty(pr);
	}
	drmModeFreeObjectProperties(op);
	return id;
}

/*
 * Atomic commits with fences, as kmscube -A makes them: a commit that asks
 * for the CRTC's out-fence (OUT_FENCE_PTR: the kernel writes a new fd at a
 * pointer), then one whose primary plane waits on that fence (IN_FENCE_FD).
 */
static void check_atomic_fences(int fd, uint32_t crtc, uint32_t fb)
{
	drmModePlaneResPtr pl = drmModeGetPlaneResources(fd);
	uint32_t plane = 0, out_ptr = prop_id(fd, crtc, DRM_MODE_OBJECT_CRTC, "OUT_FENCE_PTR");
	int32_t out_fd = -1, out2 = -1;
	drmModeAtomicReqPtr req;
	int r;

	for (uint32_t i = 0; pl && i < pl->count_planes && !plane; i++) {
		drmModePlanePtr p = drmModeGetPlane(fd, pl->planes[i]);

		if (p && p->crtc_id == crtc)
			plane = p->plane_id;
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(pl);
	req = drmModeAtomicAlloc();
	drmModeAtomicAddProperty(req, crtc, out_ptr, (uint64_t)(uintptr_t)&out_fd);
	r = drmModeAtomicCommit(fd, req, 0, NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	struct pollfd pf = {.fd = out_fd, .events = POLLIN};
	int pr = out_fd >= 0 ? poll(&pf, 1, 5000) : -1;
	SAY("kms atomic out-fence: %s fence=%s poll=%d", r ? strerror(-r) : "ok",
	    out_fd >= 0 ? "yes" : "no", pr);
	req = drmModeAtomicAlloc();
	drmModeAtomicAddProperty(req, plane, prop_id(fd, plane, DRM_MODE_OBJECT_PLANE, "FB_ID"),
				 fb);
	drmModeAtomicAddProperty(req, plane,
				 prop_id(fd, plane, DRM_MODE_OBJECT_PLANE, "IN_FENCE_FD"),
				 (uint64_t)(int64_t)out_fd);
	drmModeAtomicAddProperty(req, crtc, out_ptr, (uint64_t)(uintptr_t)&out2);
	r = plane && out_fd >= 0 ? (drmModeAtomicCommit(fd, req, 0, NULL) ? -errno : 0) : -ENOENT;
	drmModeAtomicFree(req);
	SAY("kms atomic in-fence from that out-fence, new out-fence: %s fence=%s",
	    r ? strerror(-r) : "ok", out2 >= 0 && out2 != out_fd ? "yes" : "no");
	if (out_fd >= 0)
		close(out_fd);
	if (out2 >= 0)
		close(out2);
}

/* KMS: resources and properties as libdrm reads them, a dumb modeset, a flip event. */
static void check_kms(void)
{
	int fd = dri_open_node("card", "virtio_gpu");
	drmModeResPtr res;

	if (fd < 0)
		return;
	res = drmModeGetResources(fd);
	EXPECT(res, "getresources: %s", strerror(errno));
	if (!res) {
		close(fd);
		return;
	}
	SAY("kms crtcs=%d connectors=%d encoders=%d max=%ux%u", res->count_crtcs,
	    res->count_connectors, res->count_encoders, res->max_width, res->max_height);
	drmModeConnectorPtr con = NULL;
	for (int i = 0; i < res->count_connectors && !con; i++) {
		con = drmModeGetConnector(fd, res->connectors[i]);
		if (con && (con->connection != DRM_MODE_CONNECTED || !con->count_modes)) {
			drmModeFreeConnector(con);
			con = NULL;
		}
	}
	EXPECT(con, "no connected connector");
	if (!con) {
		drmModeFreeResources(res);
		close(fd);
		return;
	}
	SAY("kms connector type=%u modes=%d first=%s props=%d", con->connector_type,
	    con->count_modes, con->modes[0].name, con->count_props);
	for (int i = 0; i < con->count_props && i < 3; i++) {
		drmModePropertyPtr pr = drmModeGetProperty(fd, con->props[i]);
		SAY("kms prop %s flags=%#x values=%d enums=%d", pr ? pr->name : "?",
		    pr ? pr->flags : 0, pr ? pr->count_values : -1, pr ? pr->count_enums : -1);
		drmModeFreeProperty(pr);
	}
	drmModePlaneResPtr pl = drmModeGetPlaneResources(fd);
	SAY("kms planes=%d", pl ? (int)pl->count_planes : -1);
	drmModeFreePlaneResources(pl);
	/* dumb framebuffer, modeset, one page flip with an event */
	drmModeModeInfo *mode = &con->modes[0];
	struct drm_mode_create_dumb cd = {
	    .width = mode->hdisplay, .height = mode->vdisplay, .bpp = 32};
	uint32_t fb = 0;
	int r = xioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd);
	r = r									      ? r
	    : drmModeAddFB(fd, cd.width, cd.height, 24, 32, cd.pitch, cd.handle, &fb) ? -errno
										      : 0;
	uint32_t crtc = res->crtcs[0], conn_id = con->connector_id;
	r = r ? r : drmModeSetCrtc(fd, crtc, fb, 0, 0, &conn_id, 1, mode) ? -errno : 0;
	SAY("kms setcrtc %ux%u: %s", cd.width, cd.height, r ? strerror(-r) : "ok");
	if (!r) {
		r = drmModePageFlip(fd, crtc, fb, DRM_MODE_PAGE_FLIP_EVENT, (void *)0x1234) ? -errno
											    : 0;
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int pr = r ? -1 : poll(&pf, 1, 5000);
		char buf[256];
		ssize_t n = pr > 0 ? read(fd, buf, sizeof(buf)) : -1;
		struct drm_event_vblank *ev = (struct drm_event_vblank *)buf;
		SAY("kms page flip: %s poll=%d event=%s data=%s", r ? strerror(-r) : "ok", pr,
		    n >= (ssize_t)sizeof(*ev) && ev->base.type == DRM_EVENT_FLIP_COMPLETE ? "flip"
											  : "none",
		    n >= (ssize_t)sizeof(*ev) && ev->user_data == 0x1234 ? "ok" : "bad");
	}
	/* atomic: a test-only commit of the CRTC's ACTIVE property */
	drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1);
	drmModeObjectPropertiesPtr op = drmModeObjectGetProperties(fd, crtc, DRM_MODE_OBJECT_CRTC);
	uint32_t active = 0;
	for (uint32_t i = 0; op && i < op->count_props; i++) {
		drmModePropertyPtr pr = drmModeGetProperty(fd, op->props[i]);
		if (pr && !strcmp(pr->name, "ACTIVE"))
			active = pr->prop_id;
		drmModeFreeProperty(pr);
	}
	drmModeAtomicReqPtr req = drmModeAtomicAlloc();
	drmModeAtomicAddProperty(req, crtc, active, 1);
	r = active ? drmModeAtomicCommit(fd, req, DRM_MODE_ATOMIC_TEST_ONLY, NULL) : -ENOENT;
	SAY("kms atomic test-only: %s", r ? strerror(-r < 0 ? r : errno) : "ok");
	drmModeAtomicFree(req);
	drmModeFreeObjectProperties(op);
	if (fb)
		check_atomic_fences(fd, crtc, fb);
	if (fb)
		drmModeRmFB(fd, fb);
	drmModeFreeConnector(con);
	drmModeFreeResources(res);
	close(fd);
}

/* Bad input: the same errors natively and forwarded. */
static void check_bad_input(void)
{
	int fd = dri_open_node("card", "virtio_gpu");
	uint32_t ids[4];

	if (fd < 0)
		return;
	struct drm_mode_card_res huge = {.crtc_id_ptr = (uint64_t)(uintptr_t)ids,
					 .count_crtcs = 0x80000000u};
	int r = xioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &huge);
	/*
	 * Natively the kernel fills the one CRTC id it has and succeeds;
	 * forwarded, a count above the descriptor's bound is EINVAL before
	 * anything is allocated.  A known difference: "~" lines are shown,
	 * not compared.
	 */
	SAY("~bad huge count: %s", r ? strerror(-r) : "ok");
	struct drm_mode_card_res bogus = {.crtc_id_ptr = 16, .count_crtcs = 4};
	r = xioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &bogus);
	SAY("bad pointer: %s", r ? strerror(-r) : "ok");
	r = xioctl(fd, DRM_IOCTL_VERSION, (void *)16);
	SAY("bad argument pointer: %s", r ? strerror(-r) : "ok");
	/*
	 * A driver ioctl no table describes: natively the driver has no such
	 * number (EINVAL); forwarded, the backend refuses it (ENOTTY, logged)
	 * unless its policy allows flat forwarding.  A known difference.
	 */
	struct drm_virtgpu_map m = {0};
	r = xioctl(fd, DRM_IOWR(DRM_COMMAND_BASE + 0x3f, struct drm_virtgpu_map), &m);
	SAY("~unknown driver ioctl: %s", r ? strerror(-r) : "ok");
	close(fd);
}

/*
 * A buffer shared with a process of the driver VM itself (a "device-side"
 * writer): this side writes a pattern, publishes it, and names the buffer
 * (GEM_FLINK); the peer, run natively in the driver VM by the test job
 * (vdri-drmtest --peer NAME), opens the name, checks the pattern, writes
 * its own into the second page; this side makes device writes visible
 * (DMA_BUF_IOCTL_SYNC START) and checks.  Natively both are plain
 * processes of one machine; forwarded, the pages cross the wire both ways.
 * Needs VDRI_PEER_DIR (the job's request/answer folder); skipped without.
 */
static int wait_file(const char *path, int secs)
{
	for (int i = 0; i < secs * 20; i++) {
		if (!access(path, F_OK))
			return 0;
		usleep(50000);
	}
	return -1;
}

static void check_peer(void)
{
	const char *dir = getenv("VDRI_PEER_DIR");
	struct drm_mode_create_dumb cd = {.width = 64, .height = 64, .bpp = 32};
	char req[512], ack[512], tmp[512], line[128] = "";
	int fd = dri_open_node("card", "vgem"), dmabuf = -1;
	struct drm_gem_flink fl = {0};
	FILE *f;

	if (!dir || fd < 0) {
		SAY("peer: skipped (%s)", dir ? "no vgem" : "no VDRI_PEER_DIR");
		return;
	}
	snprintf(req, sizeof(req), "%s/req", dir);
	snprintf(tmp, sizeof(tmp), "%s/req.tmp", dir);
	snprintf(ack, sizeof(ack), "%s/ack", dir);
	unlink(ack);
	EXPECT(!xioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd), "create");
	struct drm_mode_map_dumb md = {.handle = cd.handle};
	EXPECT(!xioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md), "map");
	uint8_t *p = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)md.offset);
	EXPECT(p != MAP_FAILED, "mmap");
	if (p == MAP_FAILED)
		return;
	fill(p, cd.size, 5);
	EXPECT(!drmPrimeHandleToFD(fd, cd.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf), "export");
	EXPECT(!dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE), "publish");
	fl.handle = cd.handle;
	EXPECT(!xioctl(fd, DRM_IOCTL_GEM_FLINK, &fl), "flink");
	f = fopen(tmp, "w");
	if (f) {
		fprintf(f, "%u %llu\n", fl.name, (unsigned long long)cd.size);
		fclose(f);
		rename(tmp, req);
	}
	if (wait_file(ack, 60)) {
		EXPECT(0, "the peer did not answer");
	} else if ((f = fopen(ack, "r"))) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\n")] = '\0';
	}
	SAY("peer in the driver VM: %s", line);
	EXPECT(!dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), "refresh");
	SAY("peer's page visible here: %s, own pages kept: %s",
	    same(p + 4096, 4096, 77) ? "ok" : "bad",
	    same(p, 4096, 5) && same(p + 8192, cd.size - 8192, (uint8_t)(5 + 8192 * 7)) ? "ok"
											: "bad");
	munmap(p, cd.size);
	close(dmabuf);
	close(fd);
}

/* The peer side (run natively in the driver VM): open the name, check, write page 2. */
static int peer_main(const char *name_s, const char *size_s)
{
	struct drm_gem_open op = {.name = (uint32_t)strtoul(name_s, NULL, 10)};
	uint64_t size = strtoull(size_s, NULL, 10);
	int fd = dri_open_node("card", "vgem");
	uint8_t *p;

	if (fd < 0 || xioctl(fd, DRM_IOCTL_GEM_OPEN, &op) || op.size != size)
		return printf("cannot open the buffer\n"), 1;
	struct drm_mode_map_dumb md = {.handle = op.handle};
	if (xioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md))
		return printf("cannot map the buffer\n"), 1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)md.offset);
	if (p == MAP_FAILED)
		return printf("mmap failed\n"), 1;
	printf("saw the pattern %s, wrote page 2\n", same(p, size, 5) ? "ok" : "BAD");
	fill(p + 4096, 4096, 77);
	munmap(p, size);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} checks[] = {{"version", check_version}, {"vgem", check_vgem}, {"syncobj", check_syncobj},
		      {"virtio", check_virtio},	  {"kms", check_kms},	{"bad", check_bad_input},
		      {"peer", check_peer}};

	if (argc == 4 && !strcmp(argv[1], "--peer"))
		return peer_main(argv[2], argv[3]);
	for (unsigned i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		int want = argc < 2;

		for (int a = 1; a < argc; a++)
			want |= !strcmp(argv[a], checks[i].name);
		if (want)
			checks[i].fn();
	}
	SAY("done failures=%d", failures);
	return failures ? 1 : 0;
}
