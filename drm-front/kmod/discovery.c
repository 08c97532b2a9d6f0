// SPDX-License-Identifier: GPL-2.0
/*
 * discovery.c - with drm_names=1, what libdrm (drmGetDevices2,
 * drmGetDevice2, drmGetDeviceNameFromFd2) and so Mesa's loader look at to
 * find DRM devices, emulated for the module's nodes:
 *
 *  - the node is /dev/dri/card<N> (N 0..63) or /dev/dri/renderD<N>
 *    (N 128..191), and its minor number is N: libdrm takes the node type
 *    from the name, or from minor >> 6.  Names are picked from card15 and
 *    renderD143 down (drmOpen() by driver name only tries card0..15), then
 *    from the top of each range, skipping names that exist, so a real DRM
 *    device (numbered from the bottom) is seldom in the way;
 *  - /sys/dev/char/<major>:<N>/device is a platform device
 *    "vdri-<remote name>" (libdrm reads its "subsystem" link: platform bus;
 *    and its uevent's MODALIAS, "platform:vdri-<remote name>", as the bus
 *    id), with a "drm" directory holding a link named after the node
 *    (libdrm's test that a node is DRM, and how it finds a node's name).
 *
 * The major number is the module's own, not DRM's 226.  Each node is its
 * own device (the driver VM's card and render node of one GPU are not
 * folded into one drmDevice).  Everything else a program learns about the
 * device comes from forwarded ioctls (DRM_IOCTL_VERSION names the driver,
 * which is how Mesa picks one for a non-PCI device).
 */
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "vdri_front.h"

/* "card<N>" (N < 64) or "renderD<N>" (128 <= N < 192): its minor, or -1. */
int vf_drm_minor_of(const char *name)
{
	unsigned int n;

	if (!strncmp(name, "card", 4) && !kstrtouint(name + 4, 10, &n) && n < 64 &&
	    (n == 0 || name[4] != '0'))
		return n;
	if (!strncmp(name, "renderD", 7) && !kstrtouint(name + 7, 10, &n) && n >= 128 &&
	    n < 192 && name[7] != '0')
		return n;
	return -1;
}

/* A free DRM-style name for a node whose remote name says its type. */
int vf_drm_name_pick(struct vf_node *nd, bool (*taken)(const char *name))
{
	bool render = !strncmp(nd->remote, "renderD", 7);
	int i, n, lo = render ? 128 : 0;

	if (!render && strncmp(nd->remote, "card", 4))
		return -EINVAL; /* a type the remote name does not say */
	/*
	 * libdrm's drmOpen() by driver name looks at card0..card15 only, so
	 * those come first, from the top down; then 63..16.
	 */
	for (i = 0; i < 64; i++) {
		n = lo + (i < 16 ? 15 - i : 63 - (i - 16));
		snprintf(nd->local, VF_NAME_MAX, render ? "renderD%d" : "card%d", n);
		if (!taken(nd->local))
			return 0;
	}
	return -ENOSPC;
}

int vf_discovery_add(struct vf_node *nd, struct class *cls)
{
	char name[VF_NAME_MAX + 8];
	int r;

	snprintf(name, sizeof(name), "vdri-%s", nd->remote);
	nd->pdev = platform_device_register_simple(name, PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(nd->pdev)) {
		r = PTR_ERR(nd->pdev);
		nd->pdev = NULL;
		return r;
	}
	nd->dev = device_create(cls, &nd->pdev->dev, nd->devt, nd, "%s", nd->local);
	if (IS_ERR(nd->dev)) {
		r = PTR_ERR(nd->dev);
		nd->dev = NULL;
		return r;
	}
	nd->drm_kobj = kobject_create_and_add("drm", &nd->pdev->dev.kobj);
	if (!nd->drm_kobj)
		return -ENOMEM;
	return sysfs_create_link(nd->drm_kobj, &nd->dev->kobj, nd->local);
}

void vf_discovery_remove(struct vf_node *nd, struct class *cls)
{
	if (nd->drm_kobj) {
		sysfs_remove_link(nd->drm_kobj, nd->local);
		kobject_put(nd->drm_kobj);
		nd->drm_kobj = NULL;
	}
	if (nd->dev) {
		device_destroy(cls, nd->devt);
		nd->dev = NULL;
	}
	if (nd->pdev) {
		platform_device_unregister(nd->pdev);
		nd->pdev = NULL;
	}
}
