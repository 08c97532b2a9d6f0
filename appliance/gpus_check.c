/* SPDX-License-Identifier: MIT */
/*
 * gpus_check.c - the passthrough verdict for one PCI device, from sysfs alone.
 *
 * VFIO hands a whole IOMMU group to a VM, so a device can be passed through
 * only when: the IOMMU is on (the device has SYSFS/bus/pci/devices/BDF/
 * iommu_group), the device and every other device of its group is bound to
 * vfio-pci (PCI bridges excepted: pcieport leaves DMA to the group's owner),
 * and /dev/vfio/vfio and /dev/vfio/N exist and are usable by this user.  The
 * kernel also tolerates group members with no driver, but any driver that
 * binds later would take the group back from the VM, so we ask for vfio-pci.
 * The first rule broken is the one reason given: it is the next thing to fix.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/gpus.h"

#define BIND_HINT "appliance/vfio-bind.sh"
#define NO_ACCESS_HINT "run the VM as root or give its user the device (chown, or a udev rule)"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* @n hex digits of @s into @v; 0 or -EINVAL. */
static int hexn(const char *s, int n, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return -EINVAL;
		*v = *v * 16 + (unsigned)d;
	}
	return 0;
}

int gpus_parse_bdf(const char *s, char out[GPUS_BDF_LEN])
{
	unsigned dom = 0, bus, dev, fn;
	size_t len = strlen(s);

	if (len == 12) { /* dddd:bb:dd.f */
		if (s[4] != ':' || hexn(s, 4, &dom))
			return -EINVAL;
		s += 5;
	} else if (len != 7) { /* bb:dd.f */
		return -EINVAL;
	}
	if (hexn(s, 2, &bus) || s[2] != ':' || hexn(s + 3, 2, &dev) || s[5] != '.' ||
	    hexn(s + 6, 1, &fn) || dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, GPUS_BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

bool gpus_is_display(uint32_t class_code)
{
	return (class_code >> 16) == 0x03;
}

static bool is_bridge(uint32_t class_code)
{
	unsigned sub = class_code >> 8;

	return sub == 0x0604 || sub == 0x0609; /* PCI-to-PCI, semi-transparent */
}

const char *gpus_class_word(uint32_t class_code)
{
	switch (class_code >> 8) {
	case 0x0300:
		return "VGA";
	case 0x0302:
		return "3D";
	case 0x0403:
		return "audio";
	case 0x0c03:
		return "USB";
	case 0x0c80:
		return "serial bus";
	case 0x0600:
		return "host bridge";
	}
	if (is_bridge(class_code))
		return "bridge";
	switch (class_code >> 16) {
	case 0x01:
		return "storage";
	case 0x02:
		return "network";
	case 0x03:
		return "display";
	case 0x04:
		return "multimedia";
	}
	return "device";
}

/* The last component of the link at @path ("" when there is none). */
static int link_base(const char *path, char *out, size_t len)
{
	char target[4096];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	out[0] = '\0';
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	memcpy(out, base, strlen(base) + 1);
	return 0;
}

static int read_hex(const char *path, uint32_t *v)
{
	FILE *f = fopen(path, "re");
	unsigned long x;
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%lx", &x) == 1;
	fclose(f);
	if (!ok)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

static void dev_attr(const struct gpus_env *env, const char *bdf, const char *attr, char *path,
		     size_t len)
{
	snprintf(path, len, "%s/bus/pci/devices/%s/%s", env->sysfs, bdf, attr);
}

static void read_ids(const struct gpus_env *env, const char *bdf, uint32_t *class_code,
		     uint16_t *vendor, uint16_t *device)
{
	char p[512];
	uint32_t v = 0;

	dev_attr(env, bdf, "class", p, sizeof(p));
	*class_code = read_hex(p, &v) ? 0 : v;
	if (vendor) {
		dev_attr(env, bdf, "vendor", p, sizeof(p));
		*vendor = read_hex(p, &v) ? 0 : (uint16_t)v;
		dev_attr(env, bdf, "device", p, sizeof(p));
		*device = read_hex(p, &v) ? 0 : (uint16_t)v;
	}
}

static void read_driver(const struct gpus_env *env, const char *bdf, char out[GPUS_NAME_LEN])
{
	char p[512];

	dev_attr(env, bdf, "driver", p, sizeof(p));
	link_base(p, out, GPUS_NAME_LEN);
}

static int cmp_bdf(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The other devices of the group, sorted by address. */
static int load_group(const struct gpus_env *env, struct gpus_info *info)
{
	char p[512];
	struct dirent *e;
	size_t cap = 0;
	DIR *d;

	snprintf(p, sizeof(p), "%s/kernel/iommu_groups/%d/devices", env->sysfs, info->iommu_group);
	d = opendir(p);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct gpus_member *m;
		char bdf[GPUS_BDF_LEN];

		if (gpus_parse_bdf(e->d_name, bdf) || !strcmp(bdf, info->bdf))
			continue;
		if (info->n_members == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			void *nm = realloc(info->members, ncap * sizeof(*m));

			if (!nm) {
				closedir(d);
				return -ENOMEM;
			}
			info->members = nm;
			cap = ncap;
		}
		m = &info->members[info->n_members++];
		memset(m, 0, sizeof(*m));
		memcpy(m->bdf, bdf, sizeof(bdf));
		read_ids(env, bdf, &m->class_code, NULL, NULL);
		read_driver(env, bdf, m->driver);
	}
	closedir(d);
	if (info->n_members)
		qsort(info->members, info->n_members, sizeof(*info->members), cmp_bdf);
	return 0;
}

static void dev_state(const struct gpus_env *env, const char *name, bool *exists, bool *usable)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/vfio/%s", env->dev, name);
	*exists = stat(p, &st) == 0;
	*usable = *exists && access(p, R_OK | W_OK) == 0;
}

/* Sets the reason; false, so that `return why(...)` reads as the verdict. */
static bool why(struct gpus_info *info, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool why(struct gpus_info *info, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(info->reason, sizeof(info->reason), fmt, ap);
	va_end(ap);
	return false;
}

static const struct gpus_member *first_unbound_member(const struct gpus_info *info)
{
	for (size_t i = 0; i < info->n_members; i++) {
		const struct gpus_member *m = &info->members[i];

		if (strcmp(m->driver, "vfio-pci") && !is_bridge(m->class_code))
			return m;
	}
	return NULL;
}

static bool decide(const struct gpus_env *env, struct gpus_info *info)
{
	const struct gpus_member *m;
	bool ctl_ok, grp_ok;
	char grp[16];

	snprintf(grp, sizeof(grp), "%d", info->iommu_group);
	dev_state(env, "vfio", &info->dev_vfio, &ctl_ok);
	dev_state(env, grp, &info->dev_vfio_group, &grp_ok);
	if (info->iommu_group < 0)
		return why(info, "no IOMMU group: the IOMMU is off or absent (boot the host with "
				 "intel_iommu=on or amd_iommu=on)");
	if (!info->vfio_pci)
		return why(info, "is bound to %s, not vfio-pci: run `" BIND_HINT " %s`",
			   info->driver[0] ? info->driver : "no driver", info->bdf);
	m = first_unbound_member(info);
	if (m)
		return why(info,
			   "group %d also holds %s (%s) bound to %s: bind it to vfio-pci too "
			   "(`" BIND_HINT " %s`)",
			   info->iommu_group, m->bdf, gpus_class_word(m->class_code),
			   m->driver[0] ? m->driver : "no driver", m->bdf);
	if (!info->dev_vfio)
		return why(info,
			   "%s/vfio/vfio is missing: load the VFIO modules (modprobe vfio-pci)",
			   env->dev);
	if (!ctl_ok)
		return why(info,
			   "%s/vfio/vfio is not readable and writable for uid %u: " NO_ACCESS_HINT,
			   env->dev, (unsigned)getuid());
	if (!info->dev_vfio_group)
		return why(info,
			   "%s/vfio/%s is missing although the group is bound to vfio-pci: "
			   "rebind with `" BIND_HINT " %s`",
			   env->dev, grp, info->bdf);
	if (!grp_ok)
		return why(info,
			   "%s/vfio/%s is not readable and writable for uid %u: " NO_ACCESS_HINT,
			   env->dev, grp, (unsigned)getuid());
	why(info,
	    "passthrough possible: IOMMU group %d (%zu device%s, on vfio-pci or bridges), "
	    "%s/vfio/%d usable",
	    info->iommu_group, info->n_members + 1, info->n_members ? "s" : "", env->dev,
	    info->iommu_group);
	return true;
}

int gpus_probe(const struct gpus_env *env, const char *bdf, struct gpus_info *info)
{
	char p[512], grp[GPUS_NAME_LEN];
	struct stat st;
	int r;

	memset(info, 0, sizeof(*info));
	info->iommu_group = -1;
	snprintf(info->bdf, sizeof(info->bdf), "%s", bdf);
	dev_attr(env, bdf, "", p, sizeof(p));
	if (stat(p, &st))
		return -ENOENT;
	read_ids(env, bdf, &info->class_code, &info->vendor_id, &info->device_id);
	read_driver(env, bdf, info->driver);
	info->vfio_pci = !strcmp(info->driver, "vfio-pci");
	dev_attr(env, bdf, "iommu_group", p, sizeof(p));
	if (!link_base(p, grp, sizeof(grp))) {
		char *end;
		long g = strtol(grp, &end, 10);

		if (end != grp && !*end && g >= 0 && g < 1000000)
			info->iommu_group = (int)g;
	}
	if (info->iommu_group >= 0) {
		r = load_group(env, info);
		if (r == -ENOMEM)
			return r;
	}
	info->passthrough = decide(env, info);
	return 0;
}

void gpus_info_fini(struct gpus_info *info)
{
	free(info->members);
	info->members = NULL;
	info->n_members = 0;
}

int gpus_list_sysfs(const struct gpus_env *env, char (**bdfs)[GPUS_BDF_LEN], size_t *n)
{
	char p[512], (*v)[GPUS_BDF_LEN] = NULL;
	size_t cap = 0;
	struct dirent *e;
	DIR *d;

	*bdfs = NULL;
	*n = 0;
	snprintf(p, sizeof(p), "%s/bus/pci/devices", env->sysfs);
	d = opendir(p);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char bdf[GPUS_BDF_LEN];

		if (gpus_parse_bdf(e->d_name, bdf))
			continue;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		memcpy(v[(*n)++], bdf, sizeof(bdf));
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_bdf);
	*bdfs = v;
	return 0;
}
