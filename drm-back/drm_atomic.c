/* SPDX-License-Identifier: MIT */
/*
 * drm_atomic.c - the two atomic properties whose values are not data.
 *
 * In a DRM_IOCTL_MODE_ATOMIC request every property value is a u64 the
 * engine copies as it is, but two properties give their values meaning in
 * the caller's process: IN_FENCE_FD (a plane's in-fence: an fd number of
 * the guest) and OUT_FENCE_PTR (a CRTC's out-fence: a user address where
 * the kernel writes a new sync_file fd).  Passed through, the first would
 * name whatever file the worker has under that number and the second
 * would make the kernel write into the worker's memory at an address the
 * guest chose.  Until both are translated (see the README), a request
 * that sets either is refused with EINVAL and a logged reason.
 *
 * Property ids are per device and stable while it exists, so each file
 * remembers the names of the ids it has looked up.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include <drm.h>
#include <drm_mode.h>

#include "drm-back/drm_atomic.h"

enum { PROP_PLAIN = 1, PROP_IN_FENCE, PROP_OUT_FENCE };

static int prop_kind(int fd, struct drm_prop_cache *cache, uint32_t id)
{
	struct drm_mode_get_property p = {.prop_id = id};
	unsigned i;
	int kind;

	for (i = 0; i < cache->n; i++)
		if (cache->ids[i] == id)
			return cache->kinds[i];
	if (ioctl(fd, DRM_IOCTL_MODE_GETPROPERTY, &p) < 0)
		return PROP_PLAIN; /* the kernel refuses unknown ids itself */
	kind = !strcmp(p.name, "IN_FENCE_FD")	  ? PROP_IN_FENCE
	       : !strcmp(p.name, "OUT_FENCE_PTR") ? PROP_OUT_FENCE
						  : PROP_PLAIN;
	if (cache->n < DRM_PROP_CACHE) {
		cache->ids[cache->n] = id;
		cache->kinds[cache->n++] = (uint8_t)kind;
	}
	return kind;
}

int drm_atomic_check(int fd, struct drm_prop_cache *cache, unsigned long arg, const char **why)
{
	const struct drm_mode_atomic *a = (const struct drm_mode_atomic *)arg;
	const uint32_t *counts = (const uint32_t *)(uintptr_t)a->count_props_ptr;
	const uint32_t *props = (const uint32_t *)(uintptr_t)a->props_ptr;
	const uint64_t *vals = (const uint64_t *)(uintptr_t)a->prop_values_ptr;
	uint64_t i, n = 0;
	int kind;

	/* the marshaller sized props and values by this very sum */
	for (i = 0; counts && i < a->count_objs; i++)
		n += counts[i];
	for (i = 0; props && vals && i < n; i++) {
		kind = prop_kind(fd, cache, props[i]);
		if (kind == PROP_IN_FENCE && (int64_t)vals[i] != -1) {
			*why = "IN_FENCE_FD in an atomic commit is not forwarded yet";
			return -EINVAL;
		}
		if (kind == PROP_OUT_FENCE && vals[i] != 0) {
			*why = "OUT_FENCE_PTR in an atomic commit is not forwarded yet";
			return -EINVAL;
		}
	}
	return 0;
}
