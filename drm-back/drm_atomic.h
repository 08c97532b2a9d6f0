/* SPDX-License-Identifier: MIT */
/* drm_atomic.h - the atomic properties the tables cannot express (drm_atomic.c). */
#ifndef VDRI_DRM_ATOMIC_H
#define VDRI_DRM_ATOMIC_H

#include <stdint.h>

#include "core/drm/drm_props.h"

#define DRM_ATOMIC_OUT_FENCES 16 /* OUT_FENCE_PTRs one commit may set (one per CRTC) */

/* An atomic commit's fence properties, translated for the kernel. */
struct drm_atomic_fences {
	unsigned nout;
	int32_t slot[DRM_ATOMIC_OUT_FENCES];	/* where the kernel writes an out-fence fd */
	uint64_t *value[DRM_ATOMIC_OUT_FENCES]; /* the call's value entry for each */
};

/*
 * A decoded DRM_IOCTL_MODE_ATOMIC argument (local pointers).  Without
 * translate: 0, or -EINVAL with *why if it sets a fence property.  With
 * translate (the frontend sent the fenced variant): IN_FENCE_FD values are
 * handles, turned into fds by handle_fd(); OUT_FENCE_PTR values point at
 * af's slots afterwards.
 */
int drm_atomic_prepare(int fd, struct drm_prop_cache *cache, unsigned long arg, int translate,
		       int (*handle_fd)(void *ctx, uint32_t handle, int32_t *fd), void *ctx,
		       struct drm_atomic_fences *af, const char **why);

#endif
