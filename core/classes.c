/* SPDX-License-Identifier: MIT */
/*
 * classes.c - the registry of device classes: which class covers a device
 * number, and the descriptor of an ioctl within a class.  The classes
 * themselves are data in their folders (core/chardev/, core/drm/).
 */
#include "vdri/classes.h"
#include "chardev/chardev.h"
#include "drm/drm_class.h"

const struct vdri_class *const vdri_classes[] = {
    &vdri_class_tty, &vdri_class_tun, &vdri_class_loop, &vdri_class_drm, NULL,
};

/*
 * Block devices have numbers of their own (block 7 is loop, char 7 is
 * vcs), and struct vdri_class's match only speaks of character devices.
 */
static const struct {
	const struct vdri_class *cls;
	int (*match)(uint32_t major, uint32_t minor);
} vdri_blk_classes[] = {
    {&vdri_class_loop, vdri_loop_match_blk},
};

const struct vdri_class *vdri_class_for_rdev(uint64_t rdev)
{
	uint32_t major = VDRI_MAJOR(rdev), minor = VDRI_MINOR(rdev);
	const struct vdri_class *const *c;

	for (c = vdri_classes; *c; c++)
		if ((*c)->match && (*c)->match(major, minor))
			return *c;
	return NULL;
}

const struct vdri_class *vdri_class_for_blkdev(uint64_t rdev)
{
	uint32_t i;

	for (i = 0; i < CT_COUNT(vdri_blk_classes); i++)
		if (vdri_blk_classes[i].match(VDRI_MAJOR(rdev), VDRI_MINOR(rdev)))
			return vdri_blk_classes[i].cls;
	return NULL;
}

static int vdri_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

const struct vdri_class *vdri_class_by_name(const char *name)
{
	const struct vdri_class *const *c;

	for (c = vdri_classes; *c; c++)
		if (vdri_streq((*c)->name, name))
			return *c;
	return NULL;
}

const struct m_ioctl *vdri_class_find(const struct vdri_class *c, uint32_t cmd)
{
	const struct m_ioctl *d;
	uint32_t i;

	for (i = 0; c && i < c->ntables; i++) {
		d = m_table_find(c->tables[i], cmd);
		if (d)
			return d;
	}
	return NULL;
}

const struct vdri_driver *vdri_class_driver(const struct vdri_class *c, const char *name)
{
	const struct vdri_driver *const *d;

	for (d = c && name ? c->drivers : NULL; d && *d; d++)
		if (vdri_streq((*d)->name, name))
			return *d;
	return NULL;
}

const struct m_ioctl *vdri_class_lookup(const struct vdri_class *c, const struct vdri_driver *drv,
					uint32_t cmd)
{
	const struct m_ioctl *d = drv ? m_table_find(drv->table, cmd) : NULL;

	return d ? d : vdri_class_find(c, cmd);
}

const struct m_ioctl *vdri_class_variant(const struct vdri_class *c, uint32_t cmd)
{
	return c && c->variants ? m_table_find(c->variants, cmd) : NULL;
}
