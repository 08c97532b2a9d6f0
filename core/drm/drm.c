/* SPDX-License-Identifier: MIT */
/*
 * drm.c - the class "drm": which files it covers and its tables.
 *
 * Character major 226 is DRM (card*, renderD*; controlD* in old kernels).
 * Files created by its ioctls (dma-buf, sync_file, syncobj fds, lease fds)
 * belong to it too, so the dma-buf/sync_file table sits beside the core
 * and KMS tables.  A driver's table is chosen by the name DRM_IOCTL_VERSION
 * reports; drivers we cannot run here are checked against their UAPI
 * headers at compile time (see the README in this folder).
 */
#include "drm_class.h"

#define DRM_MAJOR 226u

static int drm_match(uint32_t major, uint32_t minor)
{
	return major == DRM_MAJOR;
}

static const struct m_table *const drm_tables[] = {
    &vdri_drm_core_table,
    &vdri_drm_kms_table,
    &vdri_drm_dmabuf_table,
};

static const struct vdri_driver *const drm_drivers[] = {
    &vdri_drm_vgem,
    &vdri_drm_virtio_gpu,
    /* drivers checked against their UAPI headers only (no such device here) */
    &vdri_drm_i915,
    &vdri_drm_amdgpu,
    &vdri_drm_xe,
    &vdri_drm_nouveau,
    &vdri_drm_msm,
    &vdri_drm_panfrost,
    NULL,
};

const struct vdri_class vdri_class_drm = {
    .name = "drm",
    .match = drm_match,
    .tables = drm_tables,
    .ntables = CT_COUNT(drm_tables),
    .flags = VDRI_CLASS_SYNC_BY_DESC,
    .drivers = drm_drivers,
    .variants = &vdri_drm_variants_table,
};
