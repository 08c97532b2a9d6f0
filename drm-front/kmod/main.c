// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - vdri_front.ko: module parameters (checked at load: a bad one
 * fails insmod with a line in the kernel log saying which and why), and
 * the character devices under /dev/dri/ that stand for the driver VM's
 * device files.
 *
 * The local names never take a name the guest already has: every node is
 * checked against /dev/dri/ at load, and the default names carry a prefix
 * ("vdri-card0") that no DRM driver uses.
 */
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "vdri_front.h"

static char *backend;
module_param(backend, charp, 0444);
MODULE_PARM_DESC(backend, "the driver VM's vdri-backd: tcp:IPV4:PORT or vsock:CID:PORT (required)");

static char *nodes = "card0,renderD128";
module_param(nodes, charp, 0444);
MODULE_PARM_DESC(nodes,
		 "REMOTE[:LOCAL],... files under /dev/dri/ of the driver VM, and their names under /dev/dri/ here (default LOCAL: prefix + REMOTE; at most 16)");

static char *prefix = "vdri-";
module_param(prefix, charp, 0444);
MODULE_PARM_DESC(prefix, "prefix of the local names not given in nodes= (default vdri-)");

static bool drm_names;
module_param(drm_names, bool, 0444);
MODULE_PARM_DESC(drm_names,
		 "name the nodes card<N>/renderD<N> (free ones from card15/renderD143 down), with the sysfs libdrm and Mesa look for (default N: prefixed names, which libdrm does not find)");

char *vf_guest_name;
module_param_named(name, vf_guest_name, charp, 0444);
MODULE_PARM_DESC(name, "guest name sent to the backend (default: the host name; at most 64 bytes)");

char *vf_token;
module_param_named(token, vf_token, charp, 0);
MODULE_PARM_DESC(token, "shared secret the backend picks this guest's policy by (at most 256 bytes)");

unsigned int vf_timeout_ms = 3000;
module_param_named(timeout_ms, vf_timeout_ms, uint, 0444);
MODULE_PARM_DESC(timeout_ms, "connect and handshake timeout in ms (100..60000, default 3000)");

/* Read-only counters: pages fetched by faults, published, dropped by invalidation. */
static int vf_stats_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "fetched %lld published %lld invalidated %lld\n",
			  (long long)atomic64_read(&vf_stat_fetched),
			  (long long)atomic64_read(&vf_stat_published),
			  (long long)atomic64_read(&vf_stat_invalidated));
}

static int vf_stats_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops vf_stats_ops = { .set = vf_stats_set, .get = vf_stats_get };
module_param_cb(stats, &vf_stats_ops, NULL, 0444);
MODULE_PARM_DESC(stats, "mmap counters (read-only): pages fetched, published, invalidated");

/* minors 0..255: DRM's layout (cards 0..63, render nodes 128..191) fits */
#define VF_MINORS 256

static struct vf_node *vf_nodes;
static unsigned int vf_nnodes;
static dev_t vf_devt;
static struct class *vf_class;

static bool vf_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= VF_NAME_MAX || s[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* One "REMOTE[:LOCAL]" of nodes=. */
static int vf_parse_node(struct vf_node *nd, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t rn = colon ? colon - s : n;

	if (!vf_name_ok(s, rn))
		return -EINVAL;
	memcpy(nd->remote, s, rn);
	if (colon) {
		if (!vf_name_ok(colon + 1, n - rn - 1))
			return -EINVAL;
		memcpy(nd->local, colon + 1, n - rn - 1);
	} else if (drm_names) {
		nd->local[0] = '\0'; /* picked once every explicit name is known */
	} else if (snprintf(nd->local, VF_NAME_MAX, "%s%s", prefix, nd->remote) >= VF_NAME_MAX) {
		return -EINVAL;
	}
	snprintf(nd->path, sizeof(nd->path), "/dev/dri/%s", nd->remote);
	return 0;
}

/* A name the guest has already (a real DRM device, another module's node). */
static bool vf_local_exists(const char *local)
{
	char p[VF_NAME_MAX + 16];
	struct path path;

	snprintf(p, sizeof(p), "/dev/dri/%s", local);
	if (kern_path(p, 0, &path))
		return false;
	path_put(&path);
	return true;
}

/* A local name in use: under /dev/dri/, or by another node. */
static bool vf_name_taken(const char *local)
{
	unsigned int i, n = 0;

	for (i = 0; i < vf_nnodes; i++)
		n += !strcmp(vf_nodes[i].local, local);
	return n > 1 || vf_local_exists(local);
}

/* drm_names=1: explicit names must be DRM's; the others are picked. */
static int vf_drm_names(void)
{
	unsigned int i;
	int r;

	for (i = 0; i < vf_nnodes; i++) {
		if (vf_nodes[i].local[0] && vf_drm_minor_of(vf_nodes[i].local) < 0) {
			pr_err("vdri_front: nodes=%s: with drm_names=1 a local name is card<N> (N 0..63) or renderD<N> (N 128..191), not %s\n",
			       nodes, vf_nodes[i].local);
			return -EINVAL;
		}
	}
	for (i = 0; i < vf_nnodes; i++) {
		if (vf_nodes[i].local[0])
			continue;
		r = vf_drm_name_pick(&vf_nodes[i], vf_name_taken);
		if (r) {
			pr_err("vdri_front: nodes=%s: with drm_names=1, %s: %s\n", nodes,
			       vf_nodes[i].remote,
			       r == -EINVAL ? "give a local name (the remote name says no node type)"
					    : "no free DRM name");
			return r;
		}
	}
	return 0;
}

static int vf_parse_nodes(void)
{
	const char *s = nodes, *end;
	unsigned int i, j;
	size_t n;

	if (!s || !*s) {
		pr_err("vdri_front: nodes= is empty: name at least one device file of the driver VM\n");
		return -EINVAL;
	}
	vf_nodes = kcalloc(VF_NODES_MAX, sizeof(*vf_nodes), GFP_KERNEL);
	if (!vf_nodes)
		return -ENOMEM;
	while (*s) {
		end = strchrnul(s, ',');
		n = end - s;
		if (vf_nnodes == VF_NODES_MAX) {
			pr_err("vdri_front: nodes=%s: more than %d nodes\n", nodes, VF_NODES_MAX);
			return -EINVAL;
		}
		if (vf_parse_node(&vf_nodes[vf_nnodes], s, n)) {
			pr_err("vdri_front: nodes=%s: bad entry '%.*s': REMOTE[:LOCAL], names of 1..31 characters [A-Za-z0-9._-] not starting with '.'\n",
			       nodes, (int)n, s);
			return -EINVAL;
		}
		vf_nnodes++;
		s = *end ? end + 1 : end;
	}
	if (drm_names) {
		int r = vf_drm_names();

		if (r)
			return r;
	}
	for (i = 0; i < vf_nnodes; i++) {
		for (j = 0; j < i; j++) {
			if (!strcmp(vf_nodes[i].local, vf_nodes[j].local)) {
				pr_err("vdri_front: nodes=%s: local name %s given twice\n", nodes,
				       vf_nodes[i].local);
				return -EINVAL;
			}
		}
		if (vf_local_exists(vf_nodes[i].local)) {
			pr_err("vdri_front: /dev/dri/%s exists already (a real DRM device?): choose another name in nodes= or prefix=\n",
			       vf_nodes[i].local);
			return -EEXIST;
		}
	}
	return 0;
}

static int vf_check_params(void)
{
	size_t i;

	if (!backend || !*backend) {
		pr_err("vdri_front: backend= is required (tcp:IPV4:PORT or vsock:CID:PORT of the driver VM's vdri-backd)\n");
		return -EINVAL;
	}
	if (vf_addr_parse(backend)) {
		pr_err("vdri_front: backend=%s: expected tcp:IPV4:PORT (port 1..65535) or vsock:CID:PORT (CID >= 2 or host)\n",
		       backend);
		return -EINVAL;
	}
	if (vf_timeout_ms < 100 || vf_timeout_ms > 60000) {
		pr_err("vdri_front: timeout_ms=%u: expected 100..60000\n", vf_timeout_ms);
		return -EINVAL;
	}
	if (vf_guest_name && strlen(vf_guest_name) > WIRE_NAME_MAX) {
		pr_err("vdri_front: name= is longer than %u bytes\n", WIRE_NAME_MAX);
		return -EINVAL;
	}
	if (vf_token && strlen(vf_token) > 256) {
		pr_err("vdri_front: token= is longer than 256 bytes\n");
		return -EINVAL;
	}
	if (!prefix)
		prefix = "";
	for (i = 0; prefix[i]; i++) {
		if (i >= 16 || (!isalnum(prefix[i]) && !strchr("-_.", prefix[i]))) {
			pr_err("vdri_front: prefix=%s: at most 16 characters [A-Za-z0-9._-]\n", prefix);
			return -EINVAL;
		}
	}
	return vf_parse_nodes();
}

/* Nodes go to /dev/dri/; render nodes are for everyone, as udev makes them. */
static char *vf_devnode(struct device *dev, umode_t *mode)
{
	struct vf_node *nd = dev_get_drvdata(dev);

	if (mode && nd)
		*mode = strncmp(nd->remote, "renderD", 7) ? 0660 : 0666;
	return kasprintf(GFP_KERNEL, "dri/%s", dev_name(dev));
}

static void vf_nodes_remove(void)
{
	unsigned int i;

	for (i = 0; i < vf_nnodes; i++) {
		if (drm_names)
			vf_discovery_remove(&vf_nodes[i], vf_class);
		else if (vf_nodes[i].dev)
			device_destroy(vf_class, vf_nodes[i].devt);
		if (vf_nodes[i].cdev.dev)
			cdev_del(&vf_nodes[i].cdev);
	}
}

static int vf_nodes_create(void)
{
	struct vf_node *nd;
	unsigned int i;
	int r;

	for (i = 0; i < vf_nnodes; i++) {
		nd = &vf_nodes[i];
		/* with DRM's names, DRM's minors: libdrm reads the type from them */
		nd->devt = MKDEV(MAJOR(vf_devt), drm_names ? vf_drm_minor_of(nd->local) : i);
		cdev_init(&nd->cdev, &vf_fops);
		nd->cdev.owner = THIS_MODULE;
		r = cdev_add(&nd->cdev, nd->devt, 1);
		if (r) {
			nd->cdev.dev = 0;
			return r;
		}
		if (drm_names) {
			r = vf_discovery_add(nd, vf_class);
			if (r)
				return r;
		} else {
			nd->dev = device_create(vf_class, NULL, nd->devt, nd, "%s", nd->local);
			if (IS_ERR(nd->dev)) {
				r = PTR_ERR(nd->dev);
				nd->dev = NULL;
				return r;
			}
		}
		pr_info("vdri_front: /dev/dri/%s -> %s %s\n", nd->local, vf_addr_desc(), nd->path);
	}
	return 0;
}

static int __init vf_init(void)
{
	int r;

	r = vf_check_params();
	if (r)
		goto err_params;
	r = vf_conn_init();
	if (r)
		goto err_params;
	r = alloc_chrdev_region(&vf_devt, 0, VF_MINORS, "vdri");
	if (r)
		goto err_wq;
	vf_class = class_create(THIS_MODULE, "vdri");
	if (IS_ERR(vf_class)) {
		r = PTR_ERR(vf_class);
		goto err_region;
	}
	vf_class->devnode = vf_devnode;
	r = vf_nodes_create();
	if (r)
		goto err_nodes;
	return 0;

err_nodes:
	pr_err("vdri_front: cannot create the device nodes: error %d\n", r);
	vf_nodes_remove();
	class_destroy(vf_class);
err_region:
	unregister_chrdev_region(vf_devt, VF_MINORS);
err_wq:
	vf_conn_shutdown_current();
err_params:
	kfree(vf_nodes);
	return r;
}

static void __exit vf_exit(void)
{
	vf_nodes_remove();
	class_destroy(vf_class);
	unregister_chrdev_region(vf_devt, VF_MINORS);
	vf_conn_shutdown_current();
	kfree(vf_nodes);
}

module_init(vf_init);
module_exit(vf_exit);
MODULE_DESCRIPTION("vdri drm-front: DRM device files of a driver VM, forwarded");
MODULE_AUTHOR("vdri");
MODULE_LICENSE("GPL");
