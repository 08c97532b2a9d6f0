/* SPDX-License-Identifier: MIT */
/*
 * class_table.h - helpers for writing class tables (core/chardev/,
 * core/drm/).  Not an interface outside core/.
 *
 * A class table is data: one struct m_ioctl per ioctl we forward, sorted
 * by number.  What is not in a table is not forwarded with a descriptor
 * (the policy may still allow it flat).
 */
#ifndef VDRI_CLASS_TABLE_H
#define VDRI_CLASS_TABLE_H

#include "vdri/classes.h"

#define CT_COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* clang-format off */
/* Size and direction come from the number (_IOR, _IOW, _IOWR). */
#define CT_IOC(c) {.cmd = (c), .name = #c}
/* The same with fields. */
#define CT_IOC_FIELDS(c, f) {.cmd = (c), .fields = (f), .name = #c}
/* A legacy number without _IOC encoding, or one whose encoding lies. */
#define CT_SIZED(c, type, d) \
	{.cmd = (c), .flags = M_F_SIZE, .size = sizeof(type), .dir = (d), .name = #c}
#define CT_SIZED_FIELDS(c, type, d, f) \
	{.cmd = (c), .flags = M_F_SIZE, .size = sizeof(type), .dir = (d), .fields = (f), .name = #c}
/* arg is an integer the kernel uses by value (fl: more M_F_* flags). */
#define CT_VALUE(c, fl) {.cmd = (c), .flags = M_F_ARG_VALUE | (fl), .name = #c}
/* No argument at all: 0 travels instead of whatever the guest passed. */
#define CT_NOARG(c, fl) {.cmd = (c), .flags = M_F_SIZE | (fl), .name = #c}

/* The number says it has a size of this type. */
#define CT_ASSERT_IOC(c, type) \
	vdri_static_assert(m_ioc_size(c) == sizeof(type), #c " size vs its _IOC number")

/* clang-format on */

/*
 * An entry whose top-level type is named: the number's _IOC size must be
 * sizeof(type) or the table does not build (a negative array size).  The
 * check lives in .cmd so that it is part of every entry, not a line beside it.
 */
#ifdef __KERNEL__
/*
 * Inside the kernel _IOC() is not an integer constant expression (its size
 * check refers to an extern), so the array above would be a VLA.  The same
 * tables with the same UAPI headers pass the check in the user-space build.
 */
#define CT_CHECKED_CMD(c, type) (c)
#else
#define CT_CHECKED_CMD(c, type)                                                                    \
	((c) + 0u * (uint32_t)sizeof(char[m_ioc_size(c) == sizeof(type) ? 1 : -1]))
#endif
/* clang-format off */
#define CT_IOC_T(c, type, fl, f) {.cmd = CT_CHECKED_CMD(c, type), .flags = (fl), .fields = (f), .name = #c}
/* clang-format on */

#endif /* VDRI_CLASS_TABLE_H */
