/* SPDX-License-Identifier: MIT */
/*
 * sysinfo.h - the sysfs manifest: the part of the driver VM's /sys that
 * libdrm and Mesa read to discover DRM devices, serialized so that the
 * frontend can mirror it for the guest (drm-front/preload/sysview.c).
 *
 * Manifest format: a sequence of records, parents before children.
 *   D <path>\n                      a directory
 *   L <path>\t<target>\n            a symlink, target exactly as readlink(2) gave it
 *   F <path>\t<length>\n<bytes>\n   a regular file and its first <length> bytes
 *   N <node>\t<major>:<minor>\n     a device node /dev/dri/<node>
 * Paths are absolute sysfs paths ("/sys/...") with no "." or ".." components
 * and no tab, newline or other control character; <length> is decimal and at
 * most SYSINFO_FILE_MAX.  Whoever reads a manifest treats it as hostile.
 */
#ifndef VDRI_SYSINFO_H
#define VDRI_SYSINFO_H

#include <stddef.h>

#define SYSINFO_FILE_MAX 4096  /* larger attribute files are left out */
#define SYSINFO_CONFIG_MAX 256 /* PCI config space: what an unprivileged read sees */
#define SYSINFO_MANIFEST_MAX (1u << 20)
#define SYSINFO_NODE_MAX 64 /* length of a node name ("renderD128") */

/*
 * Describe the nodes (names in /dev/dri, e.g. "card0", "renderD128") as they
 * appear under sysroot ("" for the real /sys; a test tree otherwise: its
 * sysfs is <sysroot>/sys).  On success *out is a malloc'd manifest of
 * *outlen bytes (the caller frees it) and the result is 0; otherwise -errno:
 * -ENOENT for a node that does not exist, -EINVAL for a bad name, -E2BIG if
 * the manifest would exceed SYSINFO_MANIFEST_MAX.
 */
int sysinfo_collect(const char *sysroot, const char *const *nodes, size_t nnodes, char **out,
		    size_t *outlen);

#endif
