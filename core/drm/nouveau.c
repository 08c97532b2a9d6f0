/* SPDX-License-Identifier: MIT */
/*
 * nouveau.c - driver "nouveau" (NVIDIA, open driver).  UAPI: nouveau_drm.h
 * of the driver VM's kernel, 6.1 (core/drm/uapi/: libdrm's lacks the ioctl
 * numbers), for the GEM ioctls; every entry's size is checked against it at
 * compile time.  No such device in the test rig: the table is checked,
 * never run against real hardware.
 *
 * The "abi16" ioctls (GETPARAM, CHANNEL_ALLOC/FREE, GROBJ_ALLOC,
 * NOTIFIEROBJ_ALLOC, GPUOBJ_FREE) are not in the 6.1 UAPI header: their
 * structs live in the kernel's nouveau_abi16.h, and libdrm-dev's
 * nouveau_drm.h carries copies.  Both headers share an include guard, so
 * libdrm's is included a second time with the structs the 6.1 copy already
 * defines renamed away (libdrm_*); it then supplies the abi16 structs, and
 * the renamed ones are checked to be the 6.1 ones byte for byte.  The abi16
 * numbers are built here as the kernel's nouveau_abi16.h builds them.
 *
 * Shapes the numbers do not say:
 *  - GEM_PUSHBUF: buffers (the kernel writes presumed placements back:
 *    M_INOUT), relocs and push arrays, bounded by the kernel's own limits
 *    (NOUVEAU_GEM_MAX_BUFFERS/RELOCS/PUSH); user_priv is an opaque cookie;
 *  - everything else is plain data.
 *
 * Left out:
 *  - SVM_INIT/SVM_BIND: shared virtual memory mirrors the calling process's
 *    CPU address space into the GPU's (unmanaged_addr, va_start..va_end are
 *    CPU addresses, migrated and faulted through the caller's mm).  The
 *    caller is the backend: its memory is not the guest's, and binding it
 *    would hand the GPU the backend's address space.
 *  - NVIF (0x07): an ioctl whose argument size varies per call (an nvif
 *    request header plus method data), so its number differs per call and
 *    no entry can name it; its content is plain data (object cookies,
 *    handles, method arguments), so a policy that allows flat ioctls
 *    forwards it.  Engine feature: one descriptor for every size of one
 *    ioctl number ("any size, no pointers").
 *  - SETPARAM: the kernel refuses it (drm_invalid_op).
 *
 * Coherence: GEM_PUSHBUF and GEM_CPU_FINI ("CPU done writing") publish
 * guest writes first (M_F_PUBLISH); GEM_CPU_PREP waits for the GPU (unless
 * NOWAIT) and refreshes the guest's copies afterwards (M_F_REFRESH).  It
 * has no timeout field (the kernel's is fixed), so no clock is involved.
 */
#include "drm_class.h"

#include "uapi/nouveau_drm.h"

/* clang-format off */
/* libdrm's copy, for the abi16 structs; its other structs renamed away. */
#undef __NOUVEAU_DRM_H__
#define drm_nouveau_gem_info libdrm_nouveau_gem_info
#define drm_nouveau_gem_new libdrm_nouveau_gem_new
#define drm_nouveau_gem_pushbuf_bo_presumed libdrm_nouveau_gem_pushbuf_bo_presumed
#define drm_nouveau_gem_pushbuf_bo libdrm_nouveau_gem_pushbuf_bo
#define drm_nouveau_gem_pushbuf_reloc libdrm_nouveau_gem_pushbuf_reloc
#define drm_nouveau_gem_pushbuf_push libdrm_nouveau_gem_pushbuf_push
#define drm_nouveau_gem_pushbuf libdrm_nouveau_gem_pushbuf
#define drm_nouveau_gem_cpu_prep libdrm_nouveau_gem_cpu_prep
#define drm_nouveau_gem_cpu_fini libdrm_nouveau_gem_cpu_fini
#define drm_nouveau_svm_init libdrm_nouveau_svm_init
#define drm_nouveau_svm_bind libdrm_nouveau_svm_bind
#include <nouveau_drm.h>
#undef drm_nouveau_gem_info
#undef drm_nouveau_gem_new
#undef drm_nouveau_gem_pushbuf_bo_presumed
#undef drm_nouveau_gem_pushbuf_bo
#undef drm_nouveau_gem_pushbuf_reloc
#undef drm_nouveau_gem_pushbuf_push
#undef drm_nouveau_gem_pushbuf
#undef drm_nouveau_gem_cpu_prep
#undef drm_nouveau_gem_cpu_fini
#undef drm_nouveau_svm_init
#undef drm_nouveau_svm_bind

#define NV_SAME(s)                                                                                 \
	vdri_static_assert(sizeof(struct drm_nouveau_##s) == sizeof(struct libdrm_nouveau_##s),    \
			   "nouveau " #s ": libdrm and 6.1 differ")
NV_SAME(gem_info);
NV_SAME(gem_new);
NV_SAME(gem_pushbuf_bo);
NV_SAME(gem_pushbuf_reloc);
NV_SAME(gem_pushbuf_push);
NV_SAME(gem_pushbuf);
NV_SAME(gem_cpu_prep);
NV_SAME(gem_cpu_fini);
NV_SAME(svm_init);
NV_SAME(svm_bind);

/* The abi16 numbers, as the kernel's nouveau_abi16.h defines them. */
#define NV_IOCTL_GETPARAM                                                                          \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NOUVEAU_GETPARAM, struct drm_nouveau_getparam)
#define NV_IOCTL_CHANNEL_ALLOC                                                                     \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NOUVEAU_CHANNEL_ALLOC, struct drm_nouveau_channel_alloc)
#define NV_IOCTL_CHANNEL_FREE                                                                      \
	DRM_IOW(DRM_COMMAND_BASE + DRM_NOUVEAU_CHANNEL_FREE, struct drm_nouveau_channel_free)
#define NV_IOCTL_GROBJ_ALLOC                                                                       \
	DRM_IOW(DRM_COMMAND_BASE + DRM_NOUVEAU_GROBJ_ALLOC, struct drm_nouveau_grobj_alloc)
#define NV_IOCTL_NOTIFIEROBJ_ALLOC                                                                 \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_NOUVEAU_NOTIFIEROBJ_ALLOC,                                 \
		 struct drm_nouveau_notifierobj_alloc)
#define NV_IOCTL_GPUOBJ_FREE                                                                       \
	DRM_IOW(DRM_COMMAND_BASE + DRM_NOUVEAU_GPUOBJ_FREE, struct drm_nouveau_gpuobj_free)

static const struct m_field nv_pushbuf_fields[] = {
	M_ARRAY_F(struct drm_nouveau_gem_pushbuf, buffers, nr_buffers,
		  sizeof(struct drm_nouveau_gem_pushbuf_bo), NOUVEAU_GEM_MAX_BUFFERS, M_INOUT),
	M_ARRAY_F(struct drm_nouveau_gem_pushbuf, relocs, nr_relocs,
		  sizeof(struct drm_nouveau_gem_pushbuf_reloc), NOUVEAU_GEM_MAX_RELOCS, M_IN),
	M_ARRAY_F(struct drm_nouveau_gem_pushbuf, push, nr_push,
		  sizeof(struct drm_nouveau_gem_pushbuf_push), NOUVEAU_GEM_MAX_PUSH, M_IN),
	M_END_F,
};

static const struct m_ioctl nv_ioctls[] = {
	DRM_IOC(NV_IOCTL_GETPARAM, struct drm_nouveau_getparam, 0, NULL),
	DRM_IOC(NV_IOCTL_CHANNEL_ALLOC, struct drm_nouveau_channel_alloc, 0, NULL),
	DRM_IOC(NV_IOCTL_CHANNEL_FREE, struct drm_nouveau_channel_free, 0, NULL),
	DRM_IOC(NV_IOCTL_GROBJ_ALLOC, struct drm_nouveau_grobj_alloc, 0, NULL),
	DRM_IOC(NV_IOCTL_NOTIFIEROBJ_ALLOC, struct drm_nouveau_notifierobj_alloc, 0, NULL),
	DRM_IOC(NV_IOCTL_GPUOBJ_FREE, struct drm_nouveau_gpuobj_free, 0, NULL),
	DRM_IOC(DRM_IOCTL_NOUVEAU_GEM_NEW, struct drm_nouveau_gem_new, 0, NULL),
	DRM_IOC(DRM_IOCTL_NOUVEAU_GEM_PUSHBUF, struct drm_nouveau_gem_pushbuf, M_F_PUBLISH,
		nv_pushbuf_fields),
	DRM_IOC(DRM_IOCTL_NOUVEAU_GEM_CPU_PREP, struct drm_nouveau_gem_cpu_prep,
		M_F_REFRESH | M_F_MAY_BLOCK, NULL),
	DRM_IOC(DRM_IOCTL_NOUVEAU_GEM_CPU_FINI, struct drm_nouveau_gem_cpu_fini, M_F_PUBLISH,
		NULL),
	DRM_IOC(DRM_IOCTL_NOUVEAU_GEM_INFO, struct drm_nouveau_gem_info, 0, NULL),
};
/* clang-format on */

static const struct m_table nv_table = {"nouveau", nv_ioctls, CT_COUNT(nv_ioctls)};

const struct vdri_driver vdri_drm_nouveau = {
    .name = "nouveau",
    .table = &nv_table,
    .note = "UAPI-checked only; no such device in the test rig",
};
