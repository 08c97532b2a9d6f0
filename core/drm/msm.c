/* SPDX-License-Identifier: MIT */
/*
 * msm.c - driver "msm" (Qualcomm Adreno).  UAPI: msm_drm.h of the driver
 * VM's kernel, 6.1 (core/drm/uapi/; libdrm's lacks SET_PARAM and
 * SUBMITQUEUE_QUERY); every entry's size is checked against it at compile
 * time.  No such device in the test rig: the table is checked, never run
 * against real hardware.
 *
 * Shapes the numbers do not say:
 *  - SET_PARAM: value points at len bytes for MSM_PARAM_COMM and
 *    MSM_PARAM_CMDLINE (0x0c, 0x0d); for every other param it is a value
 *    and len must be 0.  GET_PARAM has no pointer params in 6.1 (the
 *    kernel refuses len != 0).
 *  - GEM_INFO: value points at len bytes for MSM_INFO_SET_NAME (the kernel
 *    reads them) and MSM_INFO_GET_NAME (the kernel writes them and the
 *    name's length into len); for every other info it is a value.  The two
 *    are one field (info & ~1 == 2) because pointer variants at one offset
 *    are not accepted; it is M_INOUT, so for SET_NAME the guest's bytes come
 *    back unchanged: a name in read-only memory makes the call fail with
 *    -EFAULT after the kernel took it (Mesa passes a stack buffer).
 *  - GEM_SUBMIT: bos (the kernel may write presumed addresses back: M_INOUT)
 *    and cmds, each cmd with its relocs; fence_fd goes in with
 *    MSM_SUBMIT_FENCE_FD_IN, comes out with FENCE_FD_OUT, and with both goes
 *    in and is replaced on success.
 *  - SUBMITQUEUE_QUERY writes at most len bytes at data.
 *
 * Refused subset: GEM_SUBMIT with MSM_SUBMIT_SYNCOBJ_IN / SYNCOBJ_OUT and a
 * non-null in_syncobjs / out_syncobjs.  Those arrays hold nr_*_syncobjs
 * entries syncobj_stride bytes apart (the kernel copies min(stride, 16)
 * bytes of each); the engine's element size is fixed, so describing 16-byte
 * elements would let a guest with a larger stride make the kernel read past
 * the copy, in the backend's memory (and signal its own syncobjs with what
 * it finds there).  A refusal (see MSM_REFUSE) fails such calls; with a
 * null array the kernel's first read faults and it stops.  Fence fds and
 * implicit sync work.  Engine feature: strided arrays (or a byte count that
 * is the product of two fields).
 *
 * Left out: GEM_SVM_NEW (0x09) is only a reserved number.
 *
 * Known limits: GEM_CPU_PREP and WAIT_FENCE take absolute CLOCK_MONOTONIC
 * deadlines as struct drm_msm_timespec {s64 sec, s64 nsec}; M_TIME handles
 * an s64 of ns only, so they travel untranslated and are off by the
 * difference of the two machines' clocks (a guest whose clock is behind the
 * driver VM's sees early timeouts).  Engine feature: M_TIME for timespecs.
 *
 * Coherence: GEM_SUBMIT and GEM_CPU_FINI ("CPU done writing") publish guest
 * writes first (M_F_PUBLISH); GEM_CPU_PREP and WAIT_FENCE refresh the
 * guest's copies afterwards (M_F_REFRESH).
 */
#include "drm_class.h"

#include "uapi/msm_drm.h"

/* clang-format off */
#define MSM_MAX_BOS 4096u
#define MSM_MAX_CMDS 4096u
#define MSM_MAX_RELOCS 4096u
#define MSM_MAX_STRING 4096u /* COMM/CMDLINE (the kernel's bound is PAGE_SIZE), names */

#define MSM_OFF(type, f) __builtin_offsetof(type, f)

/* pointer + count of plain elements, only when (u32 at condf & mask) == val */
#define MSM_ARRAY_WHEN_F(type, ptr, cnt, elem_sz, maxn, d, condf, mask, val)                      \
	{.kind = M_ARRAY, .dir = (d), .ptr_size = M_FIELD_SIZEOF(type, ptr),                      \
	 .count_size = M_FIELD_SIZEOF(type, cnt), .ptr_off = MSM_OFF(type, ptr),                  \
	 .count_off = MSM_OFF(type, cnt), .elem_size = (elem_sz), .max = (maxn),                  \
	 .cond_off = MSM_OFF(type, condf), .cond_mask = (mask), .cond_val = (val), .name = #ptr}

/*
 * A refusal (M_REFUSE): the call fails with -EINVAL when ptr is non-zero
 * while (u32 at condf & mask) == val; a zero ptr is left to the kernel
 * (each use says why it then reads nothing).
 */
#define MSM_REFUSE(type, ptr, condf, mask, val) M_REFUSE_F(type, ptr, condf, mask, val)

#define MSM_FENCE (MSM_SUBMIT_FENCE_FD_IN | MSM_SUBMIT_FENCE_FD_OUT)

static const struct m_field msm_set_param_fields[] = {
	MSM_ARRAY_WHEN_F(struct drm_msm_param, value, len, 1, MSM_MAX_STRING, M_IN, param,
			 ~1u, MSM_PARAM_COMM),
	M_END_F,
};

static const struct m_field msm_gem_info_fields[] = {
	MSM_ARRAY_WHEN_F(struct drm_msm_gem_info, value, len, 1, MSM_MAX_STRING, M_INOUT, info,
			 ~1u, MSM_INFO_SET_NAME),
	M_END_F,
};

static const struct m_field msm_submit_cmd_fields[] = {
	M_ARRAY_F(struct drm_msm_gem_submit_cmd, relocs, nr_relocs,
		  sizeof(struct drm_msm_gem_submit_reloc), MSM_MAX_RELOCS, M_IN),
	M_END_F,
};
static const struct m_struct msm_submit_cmd_desc = {sizeof(struct drm_msm_gem_submit_cmd),
						      msm_submit_cmd_fields};

static const struct m_field msm_submit_fields[] = {
	M_ARRAY_F(struct drm_msm_gem_submit, bos, nr_bos, sizeof(struct drm_msm_gem_submit_bo),
		  MSM_MAX_BOS, M_INOUT),
	M_STRUCTS_T_F(struct drm_msm_gem_submit, cmds, nr_cmds, struct drm_msm_gem_submit_cmd,
		      &msm_submit_cmd_desc, MSM_MAX_CMDS, M_IN),
	M_FD_WHEN_F(struct drm_msm_gem_submit, fence_fd, M_IN, flags, MSM_FENCE,
		    MSM_SUBMIT_FENCE_FD_IN),
	M_FD_WHEN_F(struct drm_msm_gem_submit, fence_fd, M_OUT, flags, MSM_FENCE,
		    MSM_SUBMIT_FENCE_FD_OUT),
	M_FD_WHEN_F(struct drm_msm_gem_submit, fence_fd, M_INOUT, flags, MSM_FENCE, MSM_FENCE),
	MSM_REFUSE(struct drm_msm_gem_submit, in_syncobjs, flags, MSM_SUBMIT_SYNCOBJ_IN,
		   MSM_SUBMIT_SYNCOBJ_IN),
	MSM_REFUSE(struct drm_msm_gem_submit, out_syncobjs, flags, MSM_SUBMIT_SYNCOBJ_OUT,
		   MSM_SUBMIT_SYNCOBJ_OUT),
	M_END_F,
};

static const struct m_field msm_queue_query_fields[] = {
	M_ARRAY_F(struct drm_msm_submitqueue_query, data, len, 1, MSM_MAX_STRING, M_OUT),
	M_END_F,
};

#define MSM_WAIT (M_F_REFRESH | M_F_MAY_BLOCK)

static const struct m_ioctl msm_ioctls[] = {
	DRM_IOC(DRM_IOCTL_MSM_GET_PARAM, struct drm_msm_param, 0, NULL),
	DRM_IOC(DRM_IOCTL_MSM_SET_PARAM, struct drm_msm_param, 0, msm_set_param_fields),
	DRM_IOC(DRM_IOCTL_MSM_GEM_NEW, struct drm_msm_gem_new, 0, NULL),
	DRM_IOC(DRM_IOCTL_MSM_GEM_INFO, struct drm_msm_gem_info, 0, msm_gem_info_fields),
	DRM_IOC(DRM_IOCTL_MSM_GEM_CPU_PREP, struct drm_msm_gem_cpu_prep, MSM_WAIT, NULL),
	DRM_IOC(DRM_IOCTL_MSM_GEM_CPU_FINI, struct drm_msm_gem_cpu_fini, M_F_PUBLISH, NULL),
	DRM_IOC(DRM_IOCTL_MSM_GEM_SUBMIT, struct drm_msm_gem_submit, M_F_PUBLISH,
		msm_submit_fields),
	DRM_IOC(DRM_IOCTL_MSM_WAIT_FENCE, struct drm_msm_wait_fence, MSM_WAIT, NULL),
	DRM_IOC(DRM_IOCTL_MSM_GEM_MADVISE, struct drm_msm_gem_madvise, 0, NULL),
	DRM_IOC(DRM_IOCTL_MSM_SUBMITQUEUE_NEW, struct drm_msm_submitqueue, 0, NULL),
	DRM_IOC(DRM_IOCTL_MSM_SUBMITQUEUE_CLOSE, __u32, 0, NULL),
	DRM_IOC(DRM_IOCTL_MSM_SUBMITQUEUE_QUERY, struct drm_msm_submitqueue_query, 0,
		msm_queue_query_fields),
};
/* clang-format on */

static const struct m_table msm_table = {"msm", msm_ioctls, CT_COUNT(msm_ioctls)};

const struct vdri_driver vdri_drm_msm = {
    .name = "msm",
    .table = &msm_table,
    .note = "UAPI-checked only; no such device in the test rig",
};
