/* SPDX-License-Identifier: MIT */
/*
 * drmdev.c - what the backend learns of a DRM file when it opens it: the
 * driver's name (DRM_IOCTL_VERSION), which selects the driver's table.
 * The frontend asks the same question through the forwarded file, so both
 * sides pick the same descriptors.
 */
#include <string.h>
#include <sys/ioctl.h>

#include <drm.h>

#include "drm-back/drmdev.h"

const struct vdri_driver *drmdev_driver(int fd, const struct vdri_class *cls)
{
	char name[64] = "";
	struct drm_version v = {.name_len = sizeof(name) - 1, .name = name};

	if (!cls || !cls->drivers || ioctl(fd, DRM_IOCTL_VERSION, &v) < 0)
		return NULL;
	if (v.name_len >= sizeof(name))
		return NULL; /* longer than any driver we know */
	name[v.name_len] = '\0';
	return vdri_class_driver(cls, name);
}
