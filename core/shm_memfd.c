/* SPDX-License-Identifier: MIT */
/*
 * shm_memfd.c - the same-host region provider of the shm transport: a
 * memfd for the region and four eventfds for the bells, passed over the
 * unix socket with SCM_RIGHTS (shm_setup.c sends and receives them).
 *
 * The offering side (the frontend) seals the memfd against shrinking and
 * growing before it is sent: a peer that could shrink it would make every
 * access past the new end fault in the other process.  The accepting side
 * refuses a region without that seal, and bells that are not anonymous
 * inodes (eventfds), and makes the bells non-blocking so a bad one can
 * never block it.  Mappings are not inherited by fork (MADV_DONTFORK): a
 * child must open its own connection, never share its parent's rings.
 *
 * Raw system calls throughout: see the note at the top of shm.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vdri/shm.h"

#ifndef F_SEAL_SHRINK
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#endif

static int memfd_map_fd(struct vshm_region *reg, uint64_t size)
{
	long p =
	    syscall(SYS_mmap, NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, reg->fd, 0L);

	if (p == -1)
		return -errno;
	reg->base = (void *)p;
	reg->size = size;
	/* a fork child gets no mapping: it cannot write into our rings by accident */
	syscall(SYS_madvise, reg->base, (size_t)size, MADV_DONTFORK);
	return 0;
}

static void memfd_release(struct vshm_region *reg, int unmap)
{
	if (reg->base && unmap)
		syscall(SYS_munmap, reg->base, (size_t)reg->size);
	reg->base = NULL;
	if (reg->fd >= 0)
		syscall(SYS_close, reg->fd);
	reg->fd = -1;
	for (int i = 0; i < VSHM_BELL_COUNT; i++) {
		if (reg->bell[i] >= 0)
			syscall(SYS_close, reg->bell[i]);
		reg->bell[i] = -1;
	}
}

static int memfd_create_region(struct vshm_region *reg, uint64_t size)
{
	int r;

	reg->fd = (int)syscall(SYS_memfd_create, "vdri-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (reg->fd < 0)
		return -errno;
	if (syscall(SYS_ftruncate, reg->fd, (off_t)size) ||
	    syscall(SYS_fcntl, reg->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		r = -errno;
		goto err;
	}
	for (int i = 0; i < VSHM_BELL_COUNT; i++) {
		reg->bell[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (reg->bell[i] < 0) {
			r = -errno;
			goto err;
		}
	}
	r = memfd_map_fd(reg, size);
	if (r)
		goto err;
	return 0;

err:
	memfd_release(reg, 1);
	return r;
}

static int memfd_map(struct vshm_region *reg, uint64_t size, const char **why)
{
	struct stat st;
	long seals;

	*why = "shm region: not a memory file of the announced size";
	if (syscall(SYS_fstat, reg->fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < size)
		return -EINVAL;
	*why = "shm region: not sealed against shrinking (a shrink would fault this process)";
	seals = syscall(SYS_fcntl, reg->fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return -EINVAL;
	*why = "shm bell: not an eventfd";
	for (int i = 0; i < VSHM_BELL_COUNT; i++) {
		long fl;

		if (syscall(SYS_fstat, reg->bell[i], &st) || (st.st_mode & S_IFMT) != 0)
			return -EINVAL;
		fl = syscall(SYS_fcntl, reg->bell[i], F_GETFL);
		if (fl < 0 || syscall(SYS_fcntl, reg->bell[i], F_SETFL, fl | O_NONBLOCK))
			return -EINVAL;
	}
	*why = "shm region: mmap failed";
	return memfd_map_fd(reg, size);
}

static void memfd_ring(const struct vshm_region *reg, enum vshm_bell b)
{
	uint64_t one = 1;

	/* non-blocking: a counter at its limit means a wake-up is pending anyway */
	if (syscall(SYS_write, reg->bell[b], &one, sizeof(one)) < 0)
		return;
}

static void memfd_drain(const struct vshm_region *reg, enum vshm_bell b)
{
	uint64_t v;

	if (syscall(SYS_read, reg->bell[b], &v, sizeof(v)) < 0)
		return;
}

const struct vshm_provider vshm_memfd = {
    .name = "memfd",
    .create = memfd_create_region,
    .map = memfd_map,
    .ring = memfd_ring,
    .drain = memfd_drain,
    .release = memfd_release,
};
