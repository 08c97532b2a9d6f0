/* SPDX-License-Identifier: MIT */
/*
 * drm_class.h - shared by the DRM class tables (the .c files of core/drm/) and the
 * registry in core/classes.c.  Not an interface outside core/.
 *
 * The class "drm" covers character major 226 (/dev/dri/card*, renderD*)
 * and the files its ioctls create (dma-buf, sync_file, syncobj and lease
 * fds).  Its tables:
 *   drm_core.c   DRM core: version, caps, auth/master, GEM names, PRIME,
 *                the syncobj family;
 *   drm_kms.c    the KMS family (mode setting, planes, properties, dumb
 *                buffers, atomic, vblank, sequences, leases);
 *   dmabuf.c     ioctls of the dma-buf and sync_file files DRM hands out;
 *   one file per driver (vgem.c, virtio_gpu.c, i915.c, ...): the driver
 *                range 0x40-0x9f, chosen by the driver name the device
 *                reports (DRM_IOCTL_VERSION).
 *
 * Every entry names the UAPI type of its top-level argument (DRM_IOC and
 * friends): the table does not build if the ioctl number's size differs,
 * and every field is placed with offsetof() on the UAPI struct itself.
 * UAPI headers come from Debian's libdrm-dev (/usr/include/libdrm); those
 * it lacks are copied, unedited, in core/drm/uapi/ (see its README).
 *
 * Coherence flags (see drm-front/preload/ops.c and core/PROTOCOL.md):
 *   M_F_PUBLISH  guest writes to mapped buffers must reach the device first;
 *   M_F_REFRESH  device writes must reach the guest's copies afterwards.
 * Policy flag (isolation/guest.h):
 *   M_F_DISPLAY  changes what is shown or who controls the display; refused
 *                to a render-only guest.
 */
#ifndef VDRI_DRM_CLASS_H
#define VDRI_DRM_CLASS_H

#include <drm.h>
#include <drm_mode.h>

#include "core/class_table.h"

/*
 * The entry's name is spelled here, not by a CT_* macro these expand to:
 * an argument passed on to another macro is expanded first, so #c there
 * would spell the number's expansion instead of "DRM_IOCTL_...".  Logs
 * and the policy's allow-ioctl/deny-ioctl NAME lookup need the name.
 */
/* clang-format off */
/* An ioctl whose number carries the size of type; fields may be NULL. */
#define DRM_IOC(c, type, fl, f) \
	{.cmd = CT_CHECKED_CMD(c, type), .flags = (fl), .fields = (f), .name = #c}
/* An _IO number without an argument (SET_MASTER): 0 travels. */
#define DRM_NOARG(c, fl) {.cmd = (c), .flags = M_F_SIZE | (fl), .name = #c}
/* clang-format on */

/* Bounds on counts a guest may ask for (the backend allocates count * size). */
#define DRM_MAX_OBJS 4096u	/* ids, handles, formats, modes per call */
#define DRM_MAX_BLOB (1u << 20) /* property blob bytes */
#define DRM_MAX_CMD (4u << 20)	/* command stream bytes per submission */
#define DRM_MAX_NAME 4096u	/* version strings, unique name */

extern const struct m_table vdri_drm_core_table;
extern const struct m_table vdri_drm_kms_table;
extern const struct m_table vdri_drm_dmabuf_table;
extern const struct m_table vdri_drm_variants_table; /* M_F_VARIANT: atomic with fences */

/* Drivers (each in its own file). */
extern const struct vdri_driver vdri_drm_vgem;
extern const struct vdri_driver vdri_drm_virtio_gpu;
extern const struct vdri_driver vdri_drm_i915;
extern const struct vdri_driver vdri_drm_amdgpu;
extern const struct vdri_driver vdri_drm_xe;
extern const struct vdri_driver vdri_drm_nouveau;
extern const struct vdri_driver vdri_drm_msm;
extern const struct vdri_driver vdri_drm_panfrost;

extern const struct vdri_class vdri_class_drm;

#endif /* VDRI_DRM_CLASS_H */
