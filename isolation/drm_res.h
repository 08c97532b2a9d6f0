/* SPDX-License-Identifier: MIT */
/*
 * drm_res.h - what a guest's DRM calls do to GPU memory, and the worker's
 * book of the buffers its guest holds.
 *
 * The rules (drm_res.c) are data: for each ioctl that creates, imports,
 * names, maps, shows or frees a buffer object, where its handle, size,
 * domain, name, fd, offset or framebuffer id is.  The book follows the
 * kernel's lifetime model: an object lives while a handle of one of the
 * guest's files, an exported dma-buf file, a framebuffer or a mapping
 * refers to it; when the last goes its bytes go back to the partition
 * (isolation/account.h).  Offsets are tied to the handle they were obtained
 * for, as the kernel revokes a file's offset when its handle goes.
 *
 * Files are named by 64-bit keys the caller chooses (drm-back: serial and
 * handle), never by pointers.  The book executes nothing: what it needs to
 * know about an fd (a dma-buf's identity and size) the caller answers.
 */
#ifndef VDRI_ISO_DRM_RES_H
#define VDRI_ISO_DRM_RES_H

#include <stddef.h>
#include <stdint.h>

#include "isolation/account.h"

struct iso_res;
struct iso_res_rule;
struct iso_bo;

struct iso_res_ops {
	/* A dma-buf's identity (inode) and size.  0, or -errno: not a dma-buf. */
	int (*fd_info)(void *ctx, int fd, uint64_t *ino, uint64_t *size);
	void *ctx;
};

/* One ioctl between iso_res_pre and iso_res_post (filled by pre). */
struct iso_res_call {
	const struct iso_res_rule *rule;
	uint64_t file;
	uint32_t handle;	 /* read before the call */
	uint32_t value;		 /* read before the call: fd, name, fb id */
	uint64_t ino;		 /* import: the dma-buf */
	struct iso_bo *bo;	 /* the known object the call refers to (held) */
	struct iso_bo *fb_bo[4]; /* FB_ADD: the objects shown (held) */
	uint64_t charged;	 /* reserved before the call */
	int dom;
};

struct iso_res *iso_res_new(struct iso_acct *a, int session, enum iso_flink flink);
/* Every object left is released and its bytes returned. */
void iso_res_free(struct iso_res *r);

/*
 * Before an ioctl on a DRM file.  driver: the file's driver name (NULL:
 * none known), arg: the decoded top-level argument.  0: go on (post must
 * follow), 1: the call touches no buffer (no post needed), or -errno:
 * refuse the call (ENOMEM past the partition, ENOENT a GEM name this guest
 * did not make, EACCES GEM names denied by policy) with *why for the log.
 */
int iso_res_pre(struct iso_res *r, const char *driver, uint64_t file, uint32_t cmd, const void *arg,
		const struct iso_res_ops *ops, struct iso_res_call *rc, const char **why);
/*
 * After it: result of the ioctl, arg as the kernel left it; new_file and
 * new_ino name the dma-buf file an export created (0 if none).
 */
void iso_res_post(struct iso_res *r, struct iso_res_call *rc, const void *arg, int64_t result,
		  uint64_t new_file, uint64_t new_ino);
/* A file of the worker is gone: its handles, framebuffers, dma-buf holds. */
void iso_res_file_gone(struct iso_res *r, uint64_t file);

/*
 * May the guest map this file at offset?  device: a DRM device file (the
 * offset must be one the guest obtained on that file for a live handle);
 * otherwise an exported dma-buf file is looked up, and other files are
 * not buffers.  0 with *token (0: nothing held; else release with
 * iso_res_unmap), or -EACCES with why.
 */
int iso_res_map(struct iso_res *r, uint64_t file, int device, uint64_t offset, uintptr_t *token,
		const char **why);
void iso_res_unmap(struct iso_res *r, uintptr_t token);

/* Objects and bytes the book holds (tests, logs). */
void iso_res_stats(struct iso_res *r, uint64_t *nbos, uint64_t bytes[ISO_DOM_N]);
/* Self-check of the rules: offsets inside each ioctl's size.  NULL or a reason. */
const char *iso_res_rules_check(void);
/* Is cmd a rule of some driver (or of every driver)?  For tests. */
int iso_res_has_rule(const char *driver, uint32_t cmd);

#endif
