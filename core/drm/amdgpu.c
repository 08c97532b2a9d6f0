/* SPDX-License-Identifier: MIT */
/*
 * amdgpu.c - driver "amdgpu" (AMD GCN and later).  UAPI: libdrm-dev's
 * amdgpu_drm.h (2.4.114, the same layouts as the 6.1 kernel); every entry's
 * size is checked against it at compile time.  No such device in the test
 * rig: the table is checked, never run against real hardware.
 *
 * Shapes the numbers do not say:
 *  - INFO writes at most return_size bytes at return_pointer; its query
 *    input (the union after query) is plain data for every query;
 *  - SCHED names another amdgpu file by fd (in.fd);
 *  - everything else is plain data: handles, GPU virtual addresses, ids.
 *
 * Refused subset:
 *  - FENCE_TO_HANDLE with what = GET_SYNCOBJ_FD or GET_SYNC_FILE_FD: the
 *    new fd comes back in out.handle, which overlays in.fence.ctx_id, and
 *    the engine's backend sets an M_OUT fd field to -1 before the call (so
 *    that a stale value cannot pass for a new fd), which would destroy the
 *    context id the kernel reads there.  what = GET_SYNCOBJ (a plain
 *    handle) is forwarded.  The refusal hangs on in.fence.ctx_id: with
 *    ctx_id 0 the kernel finds no context and creates nothing.  Engine
 *    feature: fd out-fields that overlay input fields (in/out unions).
 *
 * Left out:
 *  - CS: chunks points at an array of u64 pointers to drm_amdgpu_cs_chunk,
 *    each with chunk_data of length_dw dwords.  The array of pointers is
 *    expressible (an M_STRUCTS of 8-byte elements whose only field is a
 *    one-element M_STRUCTS), but what chunk_data holds depends on chunk_id:
 *    an AMDGPU_CHUNK_ID_BO_HANDLES chunk is a drm_amdgpu_bo_list_in with a
 *    bo_info_ptr of its own (strided, see BO_LIST), every other chunk is
 *    plain.  Engine features: two variants of one pointer field chosen by
 *    a tag (exclusive cond_val variants for pointer fields, as for fds),
 *    and strided arrays.
 *  - BO_LIST: bo_info_ptr holds bo_number entries bo_info_size bytes apart
 *    (the kernel copies min(bo_info_size, 8) bytes of each).  The engine's
 *    element size is fixed: describing 8-byte elements would let a guest
 *    with bo_info_size > 8 make the kernel read past the copy, in the
 *    backend's memory.  Engine feature: a stride (or a byte count that is
 *    the product of two fields).
 *  - WAIT_FENCES: union drm_amdgpu_wait_fences puts out.status and
 *    out.first_signaled where in.fences (the pointer) was; the engine puts
 *    the guest's pointer value back over that after the call, so the guest
 *    would read its own pointer as the result.  Engine feature: restore a
 *    pointer only when the kernel left it alone (in/out unions).
 *  - GEM_OP: value is a pointer (to a drm_amdgpu_gem_create_in the kernel
 *    writes) only for op GET_GEM_CREATE_INFO, which is 0; conditions can
 *    test bits and non-zero values, not "equal to 0".  Engine feature: a
 *    condition "field == 0" (or a negated condition).
 *  - GEM_USERPTR: makes an object of the caller's own memory; the caller is
 *    the backend, whose memory is not the guest's.
 *
 * Known limits: the WAIT_CS and GEM_WAIT_IDLE timeouts are absolute
 * CLOCK_MONOTONIC ns, but unsigned, with anything >= 2^63 meaning "forever"
 * (AMDGPU_TIMEOUT_INFINITE is ~0).  M_TIME treats a negative deadline as
 * "already passed", which would turn every infinite wait into a poll, so
 * they travel untranslated: infinite waits and polls (0) are right, finite
 * deadlines are off by the difference of the two machines' clocks.  Engine
 * feature: an M_TIME variant with amdgpu's "top bit means forever".
 *
 * Coherence: WAIT_CS and GEM_WAIT_IDLE refresh the guest's copies
 * afterwards (M_F_REFRESH).  Nothing here submits work (CS is left out), so
 * nothing publishes.
 */
#include "drm_class.h"

#include <amdgpu_drm.h>

/* clang-format off */
#define AMDGPU_MAX_INFO (1u << 20) /* INFO bytes (VBIOS images are the largest) */

#define AMDGPU_OFF(type, f) __builtin_offsetof(type, f)

static const struct m_field amdgpu_info_fields[] = {
	M_ARRAY_F(struct drm_amdgpu_info, return_pointer, return_size, 1, AMDGPU_MAX_INFO, M_OUT),
	M_END_F,
};

/*
 * A refusal (the engine has no field kind that fails a call): a pointer
 * field that can never pass.  Active when in.what has bit 0 or 1 set
 * (GET_SYNCOBJ_FD = 1, GET_SYNC_FILE_FD = 2), its count is the u32 one byte
 * below in.what, i.e. in.what << 8 plus a byte of seq_no, which is then at
 * least 256, above its max of 255; its pointer is in.fence.ctx_id.  A
 * non-zero ctx_id fails the call with -EINVAL on both sides; with 0 the
 * kernel finds no context and returns -EINVAL itself.  Little-endian.
 */
static const struct m_field amdgpu_fence_to_handle_fields[] = {
	{.kind = M_ARRAY, .dir = M_IN, .ptr_size = 4,
	 .ptr_off = AMDGPU_OFF(union drm_amdgpu_fence_to_handle, in.fence.ctx_id),
	 .count_size = 4,
	 .count_off = AMDGPU_OFF(union drm_amdgpu_fence_to_handle, in.what) - 1,
	 .elem_size = 1, .max = 255,
	 .cond_off = AMDGPU_OFF(union drm_amdgpu_fence_to_handle, in.what),
	 .cond_mask = AMDGPU_FENCE_TO_HANDLE_GET_SYNCOBJ_FD |
		      AMDGPU_FENCE_TO_HANDLE_GET_SYNC_FILE_FD,
	 .name = "in.fence.ctx_id (fd results refused)"},
	M_END_F,
};

static const struct m_field amdgpu_sched_fields[] = {
	M_FD_F(union drm_amdgpu_sched, in.fd, M_IN),
	M_END_F,
};

#define AMDGPU_WAIT (M_F_REFRESH | M_F_MAY_BLOCK)

static const struct m_ioctl amdgpu_ioctls[] = {
	DRM_IOC(DRM_IOCTL_AMDGPU_GEM_CREATE, union drm_amdgpu_gem_create, 0, NULL),
	DRM_IOC(DRM_IOCTL_AMDGPU_GEM_MMAP, union drm_amdgpu_gem_mmap, 0, NULL),
	DRM_IOC(DRM_IOCTL_AMDGPU_CTX, union drm_amdgpu_ctx, 0, NULL),
	DRM_IOC(DRM_IOCTL_AMDGPU_INFO, struct drm_amdgpu_info, 0, amdgpu_info_fields),
	DRM_IOC(DRM_IOCTL_AMDGPU_GEM_METADATA, struct drm_amdgpu_gem_metadata, 0, NULL),
	DRM_IOC(DRM_IOCTL_AMDGPU_GEM_WAIT_IDLE, union drm_amdgpu_gem_wait_idle, AMDGPU_WAIT, NULL),
	DRM_IOC(DRM_IOCTL_AMDGPU_GEM_VA, struct drm_amdgpu_gem_va, 0, NULL),
	DRM_IOC(DRM_IOCTL_AMDGPU_WAIT_CS, union drm_amdgpu_wait_cs, AMDGPU_WAIT, NULL),
	DRM_IOC(DRM_IOCTL_AMDGPU_VM, union drm_amdgpu_vm, 0, NULL),
	DRM_IOC(DRM_IOCTL_AMDGPU_FENCE_TO_HANDLE, union drm_amdgpu_fence_to_handle, 0,
		amdgpu_fence_to_handle_fields),
	DRM_IOC(DRM_IOCTL_AMDGPU_SCHED, union drm_amdgpu_sched, 0, amdgpu_sched_fields),
};
/* clang-format on */

static const struct m_table amdgpu_table = {"amdgpu", amdgpu_ioctls, CT_COUNT(amdgpu_ioctls)};

const struct vdri_driver vdri_drm_amdgpu = {
    .name = "amdgpu",
    .table = &amdgpu_table,
    .note = "UAPI-checked only; no such device in the test rig",
};
