/* SPDX-License-Identifier: MIT */
/*
 * vgem.c - driver "vgem": the virtual GEM driver (CPU-only buffers,
 * dma-buf sharing, fences a test signals by hand).  UAPI: vgem_drm.h of
 * the driver VM's kernel (core/drm/uapi/).  Buffers are made with the KMS
 * dumb-buffer ioctls and mapped with MODE_MAP_DUMB offsets.
 *
 * FENCE_ATTACH returns a fence id (not an fd); FENCE_SIGNAL publishes
 * guest writes first: signalling says "the producer is done writing".
 */
#include "drm_class.h"

#include "uapi/vgem_drm.h"

/* clang-format off */
static const struct m_ioctl vgem_ioctls[] = {
	DRM_IOC(DRM_IOCTL_VGEM_FENCE_ATTACH, struct drm_vgem_fence_attach, 0, NULL),
	DRM_IOC(DRM_IOCTL_VGEM_FENCE_SIGNAL, struct drm_vgem_fence_signal, M_F_PUBLISH, NULL),
};
/* clang-format on */

static const struct m_table vgem_table = {"vgem", vgem_ioctls, CT_COUNT(vgem_ioctls)};

const struct vdri_driver vdri_drm_vgem = {
    .name = "vgem",
    .table = &vgem_table,
    .note = "tested in the QEMU driver VM",
};
