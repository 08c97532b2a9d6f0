/* SPDX-License-Identifier: MIT */
/*
 * virtio_gpu.c - driver "virtio_gpu" (QEMU/crosvm virtio-gpu, with virgl
 * or venus contexts).  UAPI: virtgpu_drm.h of the driver VM's kernel
 * (core/drm/uapi/; libdrm's copy lacks RESOURCE_CREATE_BLOB and
 * CONTEXT_INIT).
 *
 * Shapes the numbers do not say:
 *  - GETPARAM's value is a user pointer to an int the kernel writes;
 *  - EXECBUFFER carries the command stream (size bytes), a BO handle list,
 *    and fence_fd, which goes in with FENCE_FD_IN, comes out with
 *    FENCE_FD_OUT, and with both goes in and is replaced on success;
 *  - GET_CAPS writes size bytes at addr; CREATE_BLOB reads cmd_size bytes
 *    at cmd; CONTEXT_INIT reads num_params parameter structs.
 * Coherence: guest writes are published before EXECBUFFER and
 * TRANSFER_TO_HOST (the host reads guest backing pages then); device
 * writes reach the guest after WAIT (TRANSFER_FROM_HOST only queues a
 * copy; the guest waits for it before reading).
 */
#include "drm_class.h"

#include "uapi/virtgpu_drm.h"

#define VG_FENCE (VIRTGPU_EXECBUF_FENCE_FD_IN | VIRTGPU_EXECBUF_FENCE_FD_OUT)
#define VG_MAX_BOS 4096u
#define VG_MAX_CAPS (64u << 10)
#define VG_MAX_PARAMS 64u

/* clang-format off */
static const struct m_field vg_getparam_fields[] = {
	M_FIXED_F(struct drm_virtgpu_getparam, value, sizeof(int), 1, M_OUT),
	M_END_F,
};

static const struct m_field vg_execbuffer_fields[] = {
	M_ARRAY_F(struct drm_virtgpu_execbuffer, command, size, 1, DRM_MAX_CMD, M_IN),
	M_ARRAY_F(struct drm_virtgpu_execbuffer, bo_handles, num_bo_handles, sizeof(uint32_t),
		  VG_MAX_BOS, M_IN),
	M_FD_WHEN_F(struct drm_virtgpu_execbuffer, fence_fd, M_IN, flags, VG_FENCE,
		    VIRTGPU_EXECBUF_FENCE_FD_IN),
	M_FD_WHEN_F(struct drm_virtgpu_execbuffer, fence_fd, M_OUT, flags, VG_FENCE,
		    VIRTGPU_EXECBUF_FENCE_FD_OUT),
	M_FD_WHEN_F(struct drm_virtgpu_execbuffer, fence_fd, M_INOUT, flags, VG_FENCE, VG_FENCE),
	M_END_F,
};

static const struct m_field vg_get_caps_fields[] = {
	M_ARRAY_F(struct drm_virtgpu_get_caps, addr, size, 1, VG_MAX_CAPS, M_OUT),
	M_END_F,
};

static const struct m_field vg_blob_fields[] = {
	M_ARRAY_F(struct drm_virtgpu_resource_create_blob, cmd, cmd_size, 1, DRM_MAX_CMD, M_IN),
	M_END_F,
};

static const struct m_field vg_context_init_fields[] = {
	M_ARRAY_F(struct drm_virtgpu_context_init, ctx_set_params, num_params,
		  sizeof(struct drm_virtgpu_context_set_param), VG_MAX_PARAMS, M_IN),
	M_END_F,
};

static const struct m_ioctl vg_ioctls[] = {
	DRM_IOC(DRM_IOCTL_VIRTGPU_MAP, struct drm_virtgpu_map, 0, NULL),
	DRM_IOC(DRM_IOCTL_VIRTGPU_EXECBUFFER, struct drm_virtgpu_execbuffer, M_F_PUBLISH,
		vg_execbuffer_fields),
	DRM_IOC(DRM_IOCTL_VIRTGPU_GETPARAM, struct drm_virtgpu_getparam, 0, vg_getparam_fields),
	DRM_IOC(DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, struct drm_virtgpu_resource_create, 0, NULL),
	DRM_IOC(DRM_IOCTL_VIRTGPU_RESOURCE_INFO, struct drm_virtgpu_resource_info, 0, NULL),
	DRM_IOC(DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST, struct drm_virtgpu_3d_transfer_from_host, 0,
		NULL),
	DRM_IOC(DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, struct drm_virtgpu_3d_transfer_to_host,
		M_F_PUBLISH, NULL),
	DRM_IOC(DRM_IOCTL_VIRTGPU_WAIT, struct drm_virtgpu_3d_wait, M_F_REFRESH | M_F_MAY_BLOCK,
		NULL),
	DRM_IOC(DRM_IOCTL_VIRTGPU_GET_CAPS, struct drm_virtgpu_get_caps, 0, vg_get_caps_fields),
	DRM_IOC(DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, struct drm_virtgpu_resource_create_blob, 0,
		vg_blob_fields),
	DRM_IOC(DRM_IOCTL_VIRTGPU_CONTEXT_INIT, struct drm_virtgpu_context_init, 0,
		vg_context_init_fields),
};
/* clang-format on */

static const struct m_table vg_table = {"virtio_gpu", vg_ioctls, CT_COUNT(vg_ioctls)};

const struct vdri_driver vdri_drm_virtio_gpu = {
    .name = "virtio_gpu",
    .table = &vg_table,
    .note = "tested in the QEMU driver VM (virtio-vga-gl, virgl)",
};
