/* SPDX-License-Identifier: MIT */
/*
 * drm_res_rules.c - the buffer rules of the DRM class: which ioctls create,
 * free, export, import, name, map, show or stop showing a buffer object,
 * and where in their argument the handle, size, name, fd, offset or
 * framebuffer id is.  Offsets are offsetof() on the UAPI structs, and
 * iso_res_rules_check() proves each lies inside the ioctl's size.
 *
 * Sizes: what the call will allocate is estimated before it (to refuse it
 * past the partition before the driver allocates anything), and taken from
 * the argument afterwards where the driver says (dumb buffers).  Domains:
 * device-local memory (VRAM) where the call asks for it (amdgpu VRAM
 * domain, xe placements beyond system memory, nouveau VRAM, virtio-gpu
 * host-side blobs), system/GTT otherwise.
 */
#include <stddef.h>

#include <amdgpu_drm.h>
#include <drm.h>
#include <drm_mode.h>
#include <i915_drm.h>

#include "core/drm/uapi/msm_drm.h"
#include "core/drm/uapi/nouveau_drm.h"
#include "core/drm/uapi/panfrost_drm.h"
#include "core/drm/uapi/virtgpu_drm.h"
#include "core/drm/uapi/xe_drm.h"
#include "isolation/drm_res_private.h"

#define PAGE 4096ull

static uint64_t page_up(uint64_t v)
{
	if (v > RES_SIZE_MAX)
		return RES_SIZE_MAX;
	return v ? (v + PAGE - 1) & ~(PAGE - 1) : PAGE;
}

static uint64_t est_dumb(const void *arg, int *dom)
{
	const struct drm_mode_create_dumb *c = arg;
	uint64_t pitch = (uint64_t)c->width * ((c->bpp + 7u) / 8u);

	*dom = ISO_DOM_SYSTEM;
	if (c->height && pitch > RES_SIZE_MAX / c->height)
		return RES_SIZE_MAX;
	return page_up(pitch * c->height);
}

static uint64_t est_virtio_res(const void *arg, int *dom)
{
	*dom = ISO_DOM_SYSTEM;
	return page_up(((const struct drm_virtgpu_resource_create *)arg)->size);
}

static uint64_t est_virtio_blob(const void *arg, int *dom)
{
	const struct drm_virtgpu_resource_create_blob *b = arg;

	/* HOST3D lives in the host's memory behind the device: device-local */
	*dom = b->blob_mem == VIRTGPU_BLOB_MEM_HOST3D ? ISO_DOM_VRAM : ISO_DOM_SYSTEM;
	return page_up(b->size);
}

static uint64_t est_i915(const void *arg, int *dom)
{
	/* placement lists of CREATE_EXT are not read: counted as system memory */
	*dom = ISO_DOM_SYSTEM;
	return page_up(((const struct drm_i915_gem_create *)arg)->size);
}

static uint64_t est_amdgpu(const void *arg, int *dom)
{
	const union drm_amdgpu_gem_create *c = arg;

	*dom = (c->in.domains & AMDGPU_GEM_DOMAIN_VRAM) ? ISO_DOM_VRAM : ISO_DOM_SYSTEM;
	return page_up(c->in.bo_size);
}

static uint64_t est_xe(const void *arg, int *dom)
{
	const struct drm_xe_gem_create *c = arg;

	/* placement bit 0 is system memory; any other bit is a VRAM region */
	*dom = (c->placement & ~1u) ? ISO_DOM_VRAM : ISO_DOM_SYSTEM;
	return page_up(c->size);
}

static uint64_t est_msm(const void *arg, int *dom)
{
	*dom = ISO_DOM_SYSTEM;
	return page_up(((const struct drm_msm_gem_new *)arg)->size);
}

static uint64_t est_panfrost(const void *arg, int *dom)
{
	*dom = ISO_DOM_SYSTEM;
	return page_up(((const struct drm_panfrost_create_bo *)arg)->size);
}

static uint64_t est_nouveau(const void *arg, int *dom)
{
	const struct drm_nouveau_gem_new *n = arg;

	*dom = (n->info.domain & NOUVEAU_GEM_DOMAIN_VRAM) ? ISO_DOM_VRAM : ISO_DOM_SYSTEM;
	return page_up(n->info.size);
}

static int msm_get_offset(const void *arg)
{
	return ((const struct drm_msm_gem_info *)arg)->info == MSM_INFO_GET_OFFSET;
}

#define NO RES_NONE
#define OFF(t, f) ((uint16_t)offsetof(t, f))

/* clang-format off */
#define CREATE(drv, cmd, t, hout, est, szout, mapout) \
	{drv, cmd, R_CREATE, NO, 0, OFF(t, hout), NO, mapout, szout, est, NULL}
#define MAP(drv, cmd, t, hin, off) \
	{drv, cmd, R_MAP, OFF(t, hin), 1, NO, NO, OFF(t, off), NO, NULL, NULL}

const struct iso_res_rule iso_res_rules[] = {
	/* every DRM driver */
	CREATE(NULL, DRM_IOCTL_MODE_CREATE_DUMB, struct drm_mode_create_dumb, handle, est_dumb,
	       OFF(struct drm_mode_create_dumb, size), NO),
	{NULL, DRM_IOCTL_MODE_DESTROY_DUMB, R_CLOSE, OFF(struct drm_mode_destroy_dumb, handle), 1,
	 NO, NO, NO, NO, NULL, NULL},
	{NULL, DRM_IOCTL_GEM_CLOSE, R_CLOSE, OFF(struct drm_gem_close, handle), 1, NO, NO, NO, NO,
	 NULL, NULL},
	MAP(NULL, DRM_IOCTL_MODE_MAP_DUMB, struct drm_mode_map_dumb, handle, offset),
	{NULL, DRM_IOCTL_PRIME_HANDLE_TO_FD, R_EXPORT, OFF(struct drm_prime_handle, handle), 1, NO,
	 NO, NO, NO, NULL, NULL},
	{NULL, DRM_IOCTL_PRIME_FD_TO_HANDLE, R_IMPORT, NO, 0, OFF(struct drm_prime_handle, handle),
	 OFF(struct drm_prime_handle, fd), NO, NO, NULL, NULL},
	{NULL, DRM_IOCTL_GEM_FLINK, R_FLINK, OFF(struct drm_gem_flink, handle), 1, NO, NO,
	 OFF(struct drm_gem_flink, name), NO, NULL, NULL},
	{NULL, DRM_IOCTL_GEM_OPEN, R_OPEN_NAME, NO, 0, OFF(struct drm_gem_open, handle),
	 OFF(struct drm_gem_open, name), NO, NO, NULL, NULL},
	{NULL, DRM_IOCTL_MODE_ADDFB, R_FB_ADD, OFF(struct drm_mode_fb_cmd, handle), 1, NO, NO,
	 OFF(struct drm_mode_fb_cmd, fb_id), NO, NULL, NULL},
	{NULL, DRM_IOCTL_MODE_ADDFB2, R_FB_ADD, OFF(struct drm_mode_fb_cmd2, handles), 4, NO, NO,
	 OFF(struct drm_mode_fb_cmd2, fb_id), NO, NULL, NULL},
	{NULL, DRM_IOCTL_MODE_RMFB, R_FB_RM, NO, 0, NO, 0, NO, NO, NULL, NULL},

	/* virtio_gpu (runs in the test rig) */
	CREATE("virtio_gpu", DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, struct drm_virtgpu_resource_create,
	       bo_handle, est_virtio_res, NO, NO),
	CREATE("virtio_gpu", DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB,
	       struct drm_virtgpu_resource_create_blob, bo_handle, est_virtio_blob, NO, NO),
	MAP("virtio_gpu", DRM_IOCTL_VIRTGPU_MAP, struct drm_virtgpu_map, handle, offset),

	/* the rest: checked against their UAPI, no such hardware here */
	CREATE("i915", DRM_IOCTL_I915_GEM_CREATE, struct drm_i915_gem_create, handle, est_i915,
	       OFF(struct drm_i915_gem_create, size), NO),
	CREATE("i915", DRM_IOCTL_I915_GEM_CREATE_EXT, struct drm_i915_gem_create_ext, handle,
	       est_i915, OFF(struct drm_i915_gem_create_ext, size), NO),
	MAP("i915", DRM_IOCTL_I915_GEM_MMAP_OFFSET, struct drm_i915_gem_mmap_offset, handle, offset),
	CREATE("amdgpu", DRM_IOCTL_AMDGPU_GEM_CREATE, union drm_amdgpu_gem_create, out.handle,
	       est_amdgpu, NO, NO),
	MAP("amdgpu", DRM_IOCTL_AMDGPU_GEM_MMAP, union drm_amdgpu_gem_mmap, in.handle,
	    out.addr_ptr),
	CREATE("xe", DRM_IOCTL_XE_GEM_CREATE, struct drm_xe_gem_create, handle, est_xe, NO, NO),
	MAP("xe", DRM_IOCTL_XE_GEM_MMAP_OFFSET, struct drm_xe_gem_mmap_offset, handle, offset),
	CREATE("msm", DRM_IOCTL_MSM_GEM_NEW, struct drm_msm_gem_new, handle, est_msm, NO, NO),
	{"msm", DRM_IOCTL_MSM_GEM_INFO, R_MAP, OFF(struct drm_msm_gem_info, handle), 1, NO, NO,
	 OFF(struct drm_msm_gem_info, value), NO, NULL, msm_get_offset},
	CREATE("panfrost", DRM_IOCTL_PANFROST_CREATE_BO, struct drm_panfrost_create_bo, handle,
	       est_panfrost, NO, NO),
	MAP("panfrost", DRM_IOCTL_PANFROST_MMAP_BO, struct drm_panfrost_mmap_bo, handle, offset),
	CREATE("nouveau", DRM_IOCTL_NOUVEAU_GEM_NEW, struct drm_nouveau_gem_new, info.handle,
	       est_nouveau, NO, OFF(struct drm_nouveau_gem_new, info.map_handle)),
};
/* clang-format on */

const unsigned iso_res_nrules = sizeof(iso_res_rules) / sizeof(iso_res_rules[0]);
