/* SPDX-License-Identifier: MIT */
/*
 * loop.c - class "loop": /dev/loop-control (misc 10:237) and the loop
 * block devices (block major 7).
 *
 * All loop numbers are pre-_IOC (0x4Cxx): sizes come from M_F_SIZE.  The
 * backing file of LOOP_SET_FD, LOOP_CHANGE_FD and LOOP_CONFIGURE is a
 * guest fd that must itself be a forwarded file (its handle travels).
 * The two tables share a class: loop-control's numbers sent to a loop
 * device (or the reverse) reach a driver that refuses them (ENOTTY).
 *
 * Left out on purpose: LOOP_SET_STATUS and LOOP_GET_STATUS (struct
 * loop_info has long and dev_t members whose size depends on the ABI;
 * everyone uses the 64 variants).
 */
#include <linux/loop.h>

#include "chardev.h"

vdri_static_assert(sizeof(struct loop_info64) == 232, "struct loop_info64");
vdri_static_assert(sizeof(struct loop_config) == 304, "struct loop_config");

/* clang-format off */
static const struct m_field loop_config_fields[] = {
	M_FD_F(struct loop_config, fd, M_IN),
	M_END_F,
};
/* clang-format on */

/* clang-format off */
static const struct m_ioctl loop_dev_ioctls[] = {
	CT_VALUE(LOOP_SET_FD, M_F_ARG_FD),
	CT_NOARG(LOOP_CLR_FD, 0),
	CT_SIZED(LOOP_SET_STATUS64, struct loop_info64, M_IN),
	CT_SIZED(LOOP_GET_STATUS64, struct loop_info64, M_OUT),
	CT_VALUE(LOOP_CHANGE_FD, M_F_ARG_FD),
	CT_NOARG(LOOP_SET_CAPACITY, 0),
	CT_VALUE(LOOP_SET_DIRECT_IO, 0),
	CT_VALUE(LOOP_SET_BLOCK_SIZE, 0),
	CT_SIZED_FIELDS(LOOP_CONFIGURE, struct loop_config, M_IN, loop_config_fields),
};
/* clang-format on */

/* clang-format off */
static const struct m_ioctl loop_ctl_ioctls[] = {
	CT_VALUE(LOOP_CTL_ADD, 0),
	CT_VALUE(LOOP_CTL_REMOVE, 0),
	CT_NOARG(LOOP_CTL_GET_FREE, 0),
};
/* clang-format on */

static const struct m_table loop_dev_table = {"loop", loop_dev_ioctls, CT_COUNT(loop_dev_ioctls)};
static const struct m_table loop_ctl_table = {"loop-control", loop_ctl_ioctls,
					      CT_COUNT(loop_ctl_ioctls)};
static const struct m_table *const loop_tables[] = {&loop_ctl_table, &loop_dev_table};

/* The character side: /dev/loop-control.  (Char major 7 is vcs, not loop.) */
static int loop_match(uint32_t major, uint32_t minor)
{
	return major == 10 && minor == 237;
}

int vdri_loop_match_blk(uint32_t major, uint32_t minor)
{
	return major == 7;
}

const struct vdri_class vdri_class_loop = {
    .name = "loop",
    .match = loop_match,
    .tables = loop_tables,
    .ntables = CT_COUNT(loop_tables),
};
