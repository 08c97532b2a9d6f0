/* SPDX-License-Identifier: MIT */
/* drmdev.h - the driver behind a DRM file (see drmdev.c). */
#ifndef VDRI_DRMDEV_H
#define VDRI_DRMDEV_H

#include "vdri/classes.h"

/* The class's driver for this open file, or NULL (none known, not DRM). */
const struct vdri_driver *drmdev_driver(int fd, const struct vdri_class *cls);

#endif
