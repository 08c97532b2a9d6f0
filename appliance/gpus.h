/* SPDX-License-Identifier: MIT */
/*
 * gpus.h - what vdri-gpus knows about one PCI device and whether it can be
 * passed through to a VM with VFIO.
 *
 * Everything here reads sysfs and /dev only, under roots that a test can
 * point at a fake tree (VDRI_SYSFS_ROOT, VDRI_DEV_ROOT): libpciaccess, which
 * always reads the real /sys/bus/pci, is used by gpus.c for enumeration and
 * names, never for the verdict.
 */
#ifndef VDRI_APPLIANCE_GPUS_H
#define VDRI_APPLIANCE_GPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GPUS_BDF_LEN 13 /* "dddd:bb:dd.f" and its NUL */
#define GPUS_NAME_LEN 64

struct gpus_env {
	const char *sysfs; /* "/sys" */
	const char *dev;   /* "/dev" */
};

/* Another device of the same IOMMU group. */
struct gpus_member {
	char bdf[GPUS_BDF_LEN];
	uint32_t class_code;
	char driver[GPUS_NAME_LEN]; /* "" when no driver is bound */
};

struct gpus_info {
	char bdf[GPUS_BDF_LEN];
	uint32_t class_code;
	uint16_t vendor_id, device_id;
	char driver[GPUS_NAME_LEN];  /* "" when no driver is bound */
	int iommu_group;	     /* -1 when the device has none */
	struct gpus_member *members; /* the group's other devices */
	size_t n_members;
	bool vfio_pci;	     /* bound to vfio-pci */
	bool dev_vfio;	     /* /dev/vfio/vfio exists */
	bool dev_vfio_group; /* /dev/vfio/N exists */
	bool passthrough;    /* the verdict */
	char reason[384];    /* why not, or what makes it possible */
};

/* "0000:01:00.0" or "01:00.0" (domain 0) into the canonical form; -EINVAL. */
int gpus_parse_bdf(const char *s, char out[GPUS_BDF_LEN]);

/* Fills @info from sysfs and decides; -ENOENT when there is no such device. */
int gpus_probe(const struct gpus_env *env, const char *bdf, struct gpus_info *info);
void gpus_info_fini(struct gpus_info *info);

/* The devices under SYSFS/bus/pci/devices, sorted; the caller frees. */
int gpus_list_sysfs(const struct gpus_env *env, char (**bdfs)[GPUS_BDF_LEN], size_t *n);

/* The class word people know ("display", "audio", "bridge"...). */
const char *gpus_class_word(uint32_t class_code);
bool gpus_is_display(uint32_t class_code);

#endif
