/* SPDX-License-Identifier: MIT */
/* drm_atomic.h - checks on atomic commits the tables cannot express (drm_atomic.c). */
#ifndef VDRI_DRM_ATOMIC_H
#define VDRI_DRM_ATOMIC_H

#include <stdint.h>

#define DRM_PROP_CACHE 64

/* Names of property ids already looked up on one file. */
struct drm_prop_cache {
	unsigned n;
	uint32_t ids[DRM_PROP_CACHE];
	uint8_t kinds[DRM_PROP_CACHE];
};

/* arg: a decoded DRM_IOCTL_MODE_ATOMIC argument (local pointers).  0 or -EINVAL and *why. */
int drm_atomic_check(int fd, struct drm_prop_cache *cache, unsigned long arg, const char **why);

#endif
