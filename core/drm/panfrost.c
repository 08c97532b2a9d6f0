/* SPDX-License-Identifier: MIT */
/*
 * panfrost.c - driver "panfrost" (Arm Mali Midgard/Bifrost).  UAPI:
 * panfrost_drm.h of the driver VM's kernel, 6.1 (core/drm/uapi/; libdrm has
 * none); every entry's size is checked against it at compile time.  No such
 * device in the test rig: the table is checked, never run against real
 * hardware.
 *
 * Shapes the numbers do not say:
 *  - SUBMIT: in_syncs (u32 syncobj handles) and bo_handles (u32 GEM
 *    handles) arrays; jc is a GPU address and out_sync a syncobj handle;
 *  - WAIT_BO: timeout_ns is an absolute CLOCK_MONOTONIC deadline with the
 *    syncobj semantics (drm_timeout_abs_to_jiffies: 0 polls, the past
 *    polls), so it travels relative (M_TIME): the driver VM's clock is not
 *    the guest's.  Mesa passes 0 or INT64_MAX, both kept.
 *
 * Left out: PERFCNT_DUMP.  The kernel writes the whole counter buffer at
 * buf_ptr, and its size (counters per block x blocks, from the GPU's core
 * count) is known to the kernel only, not said by the struct; a buffer of a
 * guessed size would be read short or written past.  PERFCNT_ENABLE is
 * plain and forwarded (it needs the kernel's unstable_ioctls parameter).
 *
 * Coherence: SUBMIT publishes guest writes first (M_F_PUBLISH); WAIT_BO
 * refreshes the guest's copies afterwards (M_F_REFRESH).
 */
#include "drm_class.h"

#include "uapi/panfrost_drm.h"

/* clang-format off */
#define PAN_MAX_HANDLES 4096u

static const struct m_field pan_submit_fields[] = {
	M_ARRAY_F(struct drm_panfrost_submit, in_syncs, in_sync_count, sizeof(__u32),
		  PAN_MAX_HANDLES, M_IN),
	M_ARRAY_F(struct drm_panfrost_submit, bo_handles, bo_handle_count, sizeof(__u32),
		  PAN_MAX_HANDLES, M_IN),
	M_END_F,
};

static const struct m_field pan_wait_bo_fields[] = {
	M_TIME_F(struct drm_panfrost_wait_bo, timeout_ns),
	M_END_F,
};

static const struct m_ioctl pan_ioctls[] = {
	DRM_IOC(DRM_IOCTL_PANFROST_SUBMIT, struct drm_panfrost_submit, M_F_PUBLISH,
		pan_submit_fields),
	DRM_IOC(DRM_IOCTL_PANFROST_WAIT_BO, struct drm_panfrost_wait_bo,
		M_F_REFRESH | M_F_MAY_BLOCK, pan_wait_bo_fields),
	DRM_IOC(DRM_IOCTL_PANFROST_CREATE_BO, struct drm_panfrost_create_bo, 0, NULL),
	DRM_IOC(DRM_IOCTL_PANFROST_MMAP_BO, struct drm_panfrost_mmap_bo, 0, NULL),
	DRM_IOC(DRM_IOCTL_PANFROST_GET_PARAM, struct drm_panfrost_get_param, 0, NULL),
	DRM_IOC(DRM_IOCTL_PANFROST_GET_BO_OFFSET, struct drm_panfrost_get_bo_offset, 0, NULL),
	DRM_IOC(DRM_IOCTL_PANFROST_PERFCNT_ENABLE, struct drm_panfrost_perfcnt_enable, 0, NULL),
	DRM_IOC(DRM_IOCTL_PANFROST_MADVISE, struct drm_panfrost_madvise, 0, NULL),
};
/* clang-format on */

static const struct m_table pan_table = {"panfrost", pan_ioctls, CT_COUNT(pan_ioctls)};

const struct vdri_driver vdri_drm_panfrost = {
    .name = "panfrost",
    .table = &pan_table,
    .note = "UAPI-checked only; no such device in the test rig",
};
