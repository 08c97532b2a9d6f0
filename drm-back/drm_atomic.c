/* SPDX-License-Identifier: MIT */
/*
 * drm_atomic.c - the two atomic properties whose values are not data.
 *
 * In a DRM_IOCTL_MODE_ATOMIC request every property value is a u64 the
 * engine copies as it is, but two properties give their values meaning in
 * the caller's process: IN_FENCE_FD (a plane's in-fence: an fd) and
 * OUT_FENCE_PTR (a CRTC's out-fence: a user address where the kernel
 * writes a new sync_file fd).  Passed through, the first would name
 * whatever file the worker has under that number and the second would make
 * the kernel write into the worker's memory at an address the guest chose.
 *
 * The frontend (drm-front/preload/drmdev.c) sends commits that set them
 * with the class's fenced variant: in-fences as handles of forwarded
 * files, out-fences as a mark.  Here handles become the worker's fds and
 * marks become pointers to slots of this call; ops.c registers what the
 * kernel wrote there as new files and returns their handles in the values
 * array.  A commit sent without the variant that sets either is refused.
 *
 * Property ids are per device and stable while it exists, so each file
 * remembers the names of the ids it has looked up.
 */
#include <errno.h>
#include <sys/ioctl.h>

#include <drm.h>
#include <drm_mode.h>

#include "drm-back/drm_atomic.h"

static int prop_kind(int fd, struct drm_prop_cache *cache, uint32_t id)
{
	struct drm_mode_get_property p = {.prop_id = id};
	int kind = drm_prop_cache_find(cache, id);

	if (kind)
		return kind;
	if (ioctl(fd, DRM_IOCTL_MODE_GETPROPERTY, &p) < 0)
		return DRM_PROP_PLAIN; /* the kernel refuses unknown ids itself */
	kind = drm_prop_kind_of(p.name);
	drm_prop_cache_add(cache, id, kind);
	return kind;
}

static int in_fence(uint64_t *v, int translate,
		    int (*handle_fd)(void *ctx, uint32_t handle, int32_t *fd), void *ctx,
		    const char **why)
{
	int32_t fd;

	if ((int64_t)*v == -1)
		return 0; /* "no fence" */
	if (!translate) {
		*why = "IN_FENCE_FD without the fenced variant of the call";
		return -EINVAL;
	}
	if (*v > 0x7fffffffu || handle_fd(ctx, (uint32_t)*v, &fd)) {
		*why = "IN_FENCE_FD names no forwarded file of this guest";
		return -EINVAL;
	}
	*v = (uint64_t)(uint32_t)fd;
	return 0;
}

static int out_fence(uint64_t *v, int translate, struct drm_atomic_fences *af, const char **why)
{
	if (!*v)
		return 0; /* "no out-fence" */
	if (!translate) {
		*why = "OUT_FENCE_PTR without the fenced variant of the call";
		return -EINVAL;
	}
	if (af->nout == DRM_ATOMIC_OUT_FENCES) {
		*why = "too many OUT_FENCE_PTRs in one commit";
		return -EINVAL;
	}
	af->slot[af->nout] = -1;
	af->value[af->nout] = v;
	*v = (uint64_t)(uintptr_t)&af->slot[af->nout++];
	return 0;
}

int drm_atomic_prepare(int fd, struct drm_prop_cache *cache, unsigned long arg, int translate,
		       int (*handle_fd)(void *ctx, uint32_t handle, int32_t *fd), void *ctx,
		       struct drm_atomic_fences *af, const char **why)
{
	const struct drm_mode_atomic *a = (const struct drm_mode_atomic *)arg;
	const uint32_t *counts = (const uint32_t *)(uintptr_t)a->count_props_ptr;
	const uint32_t *props = (const uint32_t *)(uintptr_t)a->props_ptr;
	uint64_t *vals = (uint64_t *)(uintptr_t)a->prop_values_ptr;
	uint64_t i, n = 0;
	int kind, r = 0;

	af->nout = 0;
	/* the marshaller sized props and values by this very sum */
	for (i = 0; counts && i < a->count_objs; i++)
		n += counts[i];
	for (i = 0; props && vals && i < n && !r; i++) {
		kind = prop_kind(fd, cache, props[i]);
		if (kind == DRM_PROP_IN_FENCE)
			r = in_fence(&vals[i], translate, handle_fd, ctx, why);
		else if (kind == DRM_PROP_OUT_FENCE)
			r = out_fence(&vals[i], translate, af, why);
	}
	return r;
}
