/* SPDX-License-Identifier: MIT */
/*
 * policy.h - what a guest may do: the isolation part decides, drm-back executes.
 *
 * The daemon-wide part: which device paths are exported (globs) and whether
 * an ioctl without a descriptor may be forwarded flat; and the ioctl verdict,
 * daemon-wide or for one guest (the per-guest policy is guest.h).  See
 * isolation/README.md.
 */
#ifndef VDRI_ISO_POLICY_H
#define VDRI_ISO_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "vdri/marshal.h"

#define ISO_MAX_EXPORTS 64

struct iso_guest;

struct iso_policy {
	char *exports[ISO_MAX_EXPORTS]; /* absolute path globs (fnmatch, FNM_PATHNAME) */
	int nexports;
	int flat_ioctl; /* forward ioctls without a descriptor (top level only) */
};

enum iso_verdict {
	ISO_DENY = 0,
	ISO_DESC, /* forward with the descriptor */
	ISO_FLAT, /* forward the top-level argument only, by the ioctl number */
};

/* Add an export glob (copied).  0, -EINVAL (not absolute) or -ENOSPC. */
int iso_policy_add_export(struct iso_policy *p, const char *glob);
void iso_policy_fini(struct iso_policy *p);

/*
 * May a guest open this path?  The path must be absolute and canonical (no
 * "." or ".." components, no "//") and match an export.  0 or -EACCES /
 * -EINVAL with a reason in why.
 */
int iso_may_open(const struct iso_policy *p, const char *path, const char **why);
/* Absolute and canonical: no empty, "." or ".." component, no trailing '/'. */
int iso_path_canonical(const char *path);

/* How to forward an ioctl: d is the class descriptor for cmd or NULL. */
enum iso_verdict iso_ioctl_verdict(const struct iso_policy *p, const struct m_ioctl *d,
				   uint32_t cmd);
/*
 * Like iso_ioctl_verdict, for a guest (g may be NULL: no per-guest rules).
 * display_file: the file was opened from a path iso_guest_may_display
 * allows.  In order: the guest's deny list refuses (EACCES); a descriptor
 * with M_F_DISPLAY is refused (EACCES) to a render guest or on a file that
 * is not the guest's display, unless the guest's allow list names it; a
 * descriptor forwards (ISO_DESC); without one the allow list or the
 * daemon's flat-ioctl forwards flat, else ENOTTY.  On ISO_DENY, *err is
 * the errno to answer and *why a short reason for the log; otherwise *err
 * is 0 and *why NULL.
 */
enum iso_verdict iso_guest_ioctl_verdict(const struct iso_policy *p, const struct iso_guest *g,
					 const struct m_ioctl *d, uint32_t cmd, int display_file,
					 int *err, const char **why);
const char *iso_verdict_name(enum iso_verdict v);

#endif
