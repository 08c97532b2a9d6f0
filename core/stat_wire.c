/* SPDX-License-Identifier: MIT */
/*
 * stat_wire.c - the one place that maps struct stat to the wire's
 * struct wire_stat and back (user space; the kernel module fills
 * wire_stat from a kstat itself).
 */
#include <string.h>

#include "vdri/stat_wire.h"

void vdri_stat_to_wire(const struct stat *st, struct wire_stat *w)
{
	memset(w, 0, sizeof(*w));
	w->dev = st->st_dev;
	w->ino = st->st_ino;
	w->rdev = st->st_rdev;
	w->size = st->st_size;
	w->blocks = st->st_blocks;
	w->mode = st->st_mode;
	w->nlink = (uint32_t)st->st_nlink;
	w->uid = st->st_uid;
	w->gid = st->st_gid;
	w->blksize = (uint32_t)st->st_blksize;
	w->atime_sec = st->st_atim.tv_sec;
	w->atime_nsec = (uint32_t)st->st_atim.tv_nsec;
	w->mtime_sec = st->st_mtim.tv_sec;
	w->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	w->ctime_sec = st->st_ctim.tv_sec;
	w->ctime_nsec = (uint32_t)st->st_ctim.tv_nsec;
}

void vdri_wire_to_stat(const struct wire_stat *w, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = w->dev;
	st->st_ino = w->ino;
	st->st_rdev = w->rdev;
	st->st_size = w->size;
	st->st_blocks = w->blocks;
	st->st_mode = w->mode;
	st->st_nlink = w->nlink;
	st->st_uid = w->uid;
	st->st_gid = w->gid;
	st->st_blksize = w->blksize;
	st->st_atim.tv_sec = w->atime_sec;
	st->st_atim.tv_nsec = w->atime_nsec;
	st->st_mtim.tv_sec = w->mtime_sec;
	st->st_mtim.tv_nsec = w->mtime_nsec;
	st->st_ctim.tv_sec = w->ctime_sec;
	st->st_ctim.tv_nsec = w->ctime_nsec;
}
