/* SPDX-License-Identifier: MIT */
/*
 * classes.h - the registry of device classes (descriptor tables as data).
 *
 * A class says which files it covers (by character-device major/minor) and
 * which ioctl tables describe them.  core/ knows classes only through this
 * registry; each class lives in its own folder (core/chardev/, core/drm/).
 * Files created by an ioctl (dma-buf, sync_file, a pty peer) belong to the
 * class of the file whose ioctl created them.
 */
#ifndef VDRI_CLASSES_H
#define VDRI_CLASSES_H

#include "vdri/marshal.h"

/*
 * A driver within a class: the ioctls only files of that driver have
 * (DRM's driver range 0x40-0x9f).  Both sides find a file's driver by the
 * name the device reports (DRM_IOCTL_VERSION) and look there first.
 */
struct vdri_driver {
	const char *name;
	const struct m_table *table;
	const char *note; /* where it was tested, for listings */
};

/* Class flags. */
/*
 * mmap coherence follows the descriptors' M_F_PUBLISH / M_F_REFRESH flags;
 * without it every ioctl on the file publishes guest writes before and
 * refreshes the guest's copies after (the generic, conservative model).
 */
#define VDRI_CLASS_SYNC_BY_DESC (1u << 0)

struct vdri_class {
	const char *name;
	/* does this class cover a character device? */
	int (*match)(uint32_t major, uint32_t minor);
	const struct m_table *const *tables;
	uint32_t ntables;
	uint32_t flags;				  /* VDRI_CLASS_* */
	const struct vdri_driver *const *drivers; /* NULL-terminated, or NULL */
	const struct m_table *variants;		  /* M_F_VARIANT descriptors, or NULL */
};

/* The class covering a device number, or NULL (only flat forwarding then). */
const struct vdri_class *vdri_class_for_rdev(uint64_t rdev);
/* The class covering a block device (block and character numbers differ:
 * block 7 is loop, char 7 is vcs), or NULL. */
const struct vdri_class *vdri_class_for_blkdev(uint64_t rdev);
const struct vdri_class *vdri_class_by_name(const char *name);
/* The descriptor for cmd in any of the class's tables, or NULL. */
const struct m_ioctl *vdri_class_find(const struct vdri_class *c, uint32_t cmd);
/* The class's driver of that name, or NULL. */
const struct vdri_driver *vdri_class_driver(const struct vdri_class *c, const char *name);
/* The descriptor for cmd: the driver's table first (drv may be NULL), then the class's. */
const struct m_ioctl *vdri_class_lookup(const struct vdri_class *c, const struct vdri_driver *drv,
					uint32_t cmd);
/* The class's variant descriptor for cmd (sent with WIRE_IOCTL_VARIANT), or NULL. */
const struct m_ioctl *vdri_class_variant(const struct vdri_class *c, uint32_t cmd);
/* All classes, NULL-terminated (for table checks and listings). */
extern const struct vdri_class *const vdri_classes[];

/* Linux dev_t encoding (the wire's rdev). */
#define VDRI_MAJOR(dev) ((uint32_t)((((dev) >> 32) & 0xfffff000u) | (((dev) >> 8) & 0xfffu)))
#define VDRI_MINOR(dev) ((uint32_t)((((dev) >> 12) & 0xffffff00u) | ((dev)&0xffu)))

#endif
