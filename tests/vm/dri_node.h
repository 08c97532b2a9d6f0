/* SPDX-License-Identifier: MIT */
/*
 * dri_node.h - find a DRM node by its driver's name, for the programs run
 * in the driver VM and forwarded (tests/vm/, bench/drm_ops.c).  Card and
 * render numbers change with module load order; driver names do not.
 */
#ifndef VDRI_DRI_NODE_H
#define VDRI_DRI_NODE_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

/* The first node of that kind ("card" or "renderD") whose driver is drv, opened; or -1. */
static inline int dri_open_node(const char *kind, const char *drv)
{
	char path[64];
	int base = strcmp(kind, "card") ? 128 : 0;

	for (int i = base; i < base + 8; i++) {
		snprintf(path, sizeof(path), "/dev/dri/%s%d", kind, i);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		drmVersionPtr v = drmGetVersion(fd);
		int ok = v && !strcmp(v->name, drv);

		drmFreeVersion(v);
		if (ok)
			return fd;
		close(fd);
	}
	return -1;
}

#endif
