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

#include "vdri/classes.h"

#define CD_COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* clang-format off */
/* Size and direction come from the number (_IOR, _IOW, _IOWR). */
#define CD_IOC(c) {.cmd = (c), .name = #c}
/* The same with fields. */
#define CD_IOC_FIELDS(c, f) {.cmd = (c), .fields = (f), .name = #c}
/* A legacy number without _IOC encoding, or one whose encoding lies. */
#define CD_SIZED(c, type, d) \
	{.cmd = (c), .flags = M_F_SIZE, .size = sizeof(type), .dir = (d), .name = #c}
#define CD_SIZED_FIELDS(c, type, d, f) \
	{.cmd = (c), .flags = M_F_SIZE, .size = sizeof(type), .dir = (d), .fields = (f), .name = #c}
/* arg is an integer the kernel uses by value (fl: more M_F_* flags). */
#define CD_VALUE(c, fl) {.cmd = (c), .flags = M_F_ARG_VALUE | (fl), .name = #c}
/* No argument at all: 0 travels instead of whatever the guest passed. */
#define CD_NOARG(c, fl) {.cmd = (c), .flags = M_F_SIZE | (fl), .name = #c}

/* The number says it has a size of this type. */
#define CD_ASSERT_IOC(c, type) \
	vdri_static_assert(m_ioc_size(c) == sizeof(type), #c " size vs its _IOC number")

/* clang-format on */

extern const struct vdri_class vdri_class_tty;
extern const struct vdri_class vdri_class_tun;
extern const struct vdri_class vdri_class_loop;

/* The loop class also covers block devices (block major 7). */
int vdri_loop_match_blk(uint32_t major, uint32_t minor);

#endif /* VDRI_CHARDEV_H */
