/* SPDX-License-Identifier: MIT */
/*
 * chardev.h - shared by the character-device class tables (tty, tun, loop)
 * and the registry in core/classes.c.  Not an interface outside core/.
 *
 * A class table is data: one struct m_ioctl per ioctl we forward, sorted
 * by number.  What is not in a table is not forwarded with a descriptor
 * (the policy may still allow it flat).  Each file states why the ioctls
 * it leaves out are left out.
 */
#ifndef VDRI_CHARDEV_H
#define VDRI_CHARDEV_H

#include "core/class_table.h"
#include "vdri/classes.h"

extern const struct vdri_class vdri_class_tty;
extern const struct vdri_class vdri_class_tun;
extern const struct vdri_class vdri_class_loop;

/* The loop class also covers block devices (block major 7). */
int vdri_loop_match_blk(uint32_t major, uint32_t minor);

#endif /* VDRI_CHARDEV_H */
