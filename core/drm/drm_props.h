/* SPDX-License-Identifier: MIT */
/*
 * drm_props.h - the two atomic properties whose values are not data
 * (IN_FENCE_FD: an fd; OUT_FENCE_PTR: a user address), recognised by name,
 * and a small per-file cache of property ids already looked up.  Shared by
 * the frontend (drm-front/preload/drmdev.c) and the backend
 * (drm-back/drm_atomic.c), which ask the name through their own paths.
 * No libc: the kernel-module frontend may use it too.
 */
#ifndef VDRI_DRM_PROPS_H
#define VDRI_DRM_PROPS_H

#include "vdri/types.h"

#define DRM_PROP_CACHE 64

enum drm_prop_kind { DRM_PROP_PLAIN = 1, DRM_PROP_IN_FENCE, DRM_PROP_OUT_FENCE };

struct drm_prop_cache {
	unsigned n;
	uint32_t ids[DRM_PROP_CACHE];
	uint8_t kinds[DRM_PROP_CACHE];
};

static inline int drm_prop_name_is(const char *name, const char *want)
{
	while (*name && *name == *want) {
		name++;
		want++;
	}
	return *name == *want;
}

/* The kind of a property of that name. */
static inline int drm_prop_kind_of(const char *name)
{
	if (drm_prop_name_is(name, "IN_FENCE_FD"))
		return DRM_PROP_IN_FENCE;
	if (drm_prop_name_is(name, "OUT_FENCE_PTR"))
		return DRM_PROP_OUT_FENCE;
	return DRM_PROP_PLAIN;
}

/* The cached kind of id, or 0 if it was not looked up yet. */
static inline int drm_prop_cache_find(const struct drm_prop_cache *c, uint32_t id)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->ids[i] == id)
			return c->kinds[i];
	return 0;
}

/* Remember id's kind (a full cache just asks again next time). */
static inline void drm_prop_cache_add(struct drm_prop_cache *c, uint32_t id, int kind)
{
	if (c->n < DRM_PROP_CACHE) {
		c->ids[c->n] = id;
		c->kinds[c->n++] = (uint8_t)kind;
	}
}

#endif /* VDRI_DRM_PROPS_H */
