/* SPDX-License-Identifier: MIT */
/*
 * drmdev.c - the driver behind a forwarded DRM file: asked once, through
 * the file itself (DRM_IOCTL_VERSION, forwarded with the core table), when
 * the file is opened or restored after exec.  The backend asks its real
 * file the same question, so both sides use the same driver table.
 */
#include <string.h>

#include <drm.h>

#include "drm-front/preload/front.h"

void drmdev_probe(int fd)
{
	char name[64] = "";
	struct drm_version v = {.name_len = sizeof(name) - 1, .name = name};
	struct rfile *f = rfile_get(fd);

	if (!f)
		return;
	if (f->cls && f->cls->drivers && fop_ioctl(f, DRM_IOCTL_VERSION, &v) == 0 &&
	    v.name_len < sizeof(name)) {
		name[v.name_len] = '\0';
		f->drv = vdri_class_driver(f->cls, name);
	}
	rfile_put(f);
}
