/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.h - what the marshalling fuzz targets share: a synthetic
 * nested descriptor (arrays of two count widths, an M_STRUCTS array whose
 * elements carry their own pointers and fds, fd fields in and out, a
 * conditional fd, a fixed array), a plain-memory guest, fake backend ops,
 * and a seed writer (VDRI_FUZZ_SEEDS=dir: write seeds there and exit).
 * Header-only: the Makefile builds each tests/fuzz/X.c alone with core/.
 */
#ifndef VDRI_FUZZ_COMMON_H
#define VDRI_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdri/classes.h"

struct fz_chunk {
	uint64_t data_ptr;
	uint32_t data_len;
	int32_t fence_fd;
	uint64_t out_ptr;
	uint16_t out_count;
	uint16_t pad;
	int32_t new_fd;
};

struct fz_top {
	uint64_t in_ptr;
	uint64_t out_ptr;
	uint64_t chunks_ptr;
	uint64_t fixed_ptr;
	uint16_t in_count;
	uint8_t out_count;
	uint8_t pad0;
	uint32_t nchunks;
	int32_t fd_in;
	int32_t fd_out;
	uint32_t flags;
	int32_t fd_extra;
	uint64_t sum;
};

/* clang-format off */
static const struct m_field fz_chunk_fields[] = {
	M_ARRAY_F(struct fz_chunk, data_ptr, data_len, 1, 4096, M_IN),
	M_FD_F(struct fz_chunk, fence_fd, M_IN),
	M_ARRAY_F(struct fz_chunk, out_ptr, out_count, 4, 64, M_OUT),
	M_FD_F(struct fz_chunk, new_fd, M_OUT),
	M_END_F,
};
/* clang-format on */
static const struct m_struct fz_chunk_desc = {sizeof(struct fz_chunk), fz_chunk_fields};
/* clang-format off */
static const struct m_field fz_top_fields[] = {
	M_ARRAY_F(struct fz_top, in_ptr, in_count, 4, 256, M_IN),
	M_ARRAY_F(struct fz_top, out_ptr, out_count, 8, 32, M_OUT),
	M_STRUCTS_T_F(struct fz_top, chunks_ptr, nchunks, struct fz_chunk, &fz_chunk_desc, 16,
		      M_INOUT),
	M_FIXED_F(struct fz_top, fixed_ptr, 4, 4, M_INOUT),
	M_FD_F(struct fz_top, fd_in, M_IN),
	M_FD_F(struct fz_top, fd_out, M_OUT),
	M_FD_IF_F(struct fz_top, fd_extra, M_OUT, flags, 4u),
	M_END_F,
};
/* clang-format on */
/* _IOWR('V', 1, struct fz_top) */
#define FZ_NESTED (0xc0000000u | ((uint32_t)sizeof(struct fz_top) << 16) | ('V' << 8) | 1u)
static const struct m_ioctl fz_nested = {
    .cmd = FZ_NESTED, .fields = fz_top_fields, .name = "FZ_NESTED"};

static void *fz_alloc(void *ctx, uint64_t size)
{
	return size > (64u << 20) ? NULL : malloc(size ? size : 1);
}

static void fz_free(void *ctx, void *p)
{
	free(p);
}

static const struct m_alloc fz_heap = {fz_alloc, fz_free, NULL};
static const struct m_limits fz_lim = {256, 1u << 20, 3};

/* ---- the backend: handles below 64 are known; fds are made up --------------- */

static int fz_handle_to_fd(void *ctx, uint32_t handle, int32_t *fd)
{
	if (handle == 0 || handle >= 64)
		return -EBADF;
	*fd = (int32_t)handle + 1000;
	return 0;
}

static int fz_new_handle(void *ctx, int32_t fd, uint32_t *handle, struct wire_file_info *info)
{
	if (fd % 7 == 3)
		return -ENFILE;
	*handle = (uint32_t)(fd & 0xffff) + 1;
	info->revents = 1;
	return 0;
}

static void fz_drop_handle(void *ctx, uint32_t handle)
{
}

static const struct m_back_ops fz_back = {
    .handle_to_fd = fz_handle_to_fd, .new_handle = fz_new_handle, .drop_handle = fz_drop_handle};

/* ---- the guest: plain memory in one region; fds 0..63 are remote ------------ */

struct fz_guest {
	uint8_t *base;
	uint64_t len;
	int32_t next_fd;
};

static int fz_in(const struct fz_guest *g, uint64_t a, uint64_t n)
{
	uint64_t b = (uint64_t)(uintptr_t)g->base;

	return a >= b && n <= g->len && a - b <= g->len - n;
}

static int fz_read(void *ctx, void *dst, uint64_t uaddr, uint64_t len)
{
	if (!fz_in(ctx, uaddr, len))
		return -EFAULT;
	memcpy(dst, (const void *)(uintptr_t)uaddr, len);
	return 0;
}

static int fz_write(void *ctx, uint64_t uaddr, const void *src, uint64_t len)
{
	if (!fz_in(ctx, uaddr, len))
		return -EFAULT;
	memcpy((void *)(uintptr_t)uaddr, src, len);
	return 0;
}

static int fz_fd_to_handle(void *ctx, int32_t fd, uint32_t *handle)
{
	if (fd >= 64)
		return -EBADF;
	*handle = (uint32_t)fd + 1;
	return 0;
}

static int32_t fz_new_file(void *ctx, uint32_t handle, const struct wire_file_info *info)
{
	struct fz_guest *g = ctx;

	return handle % 11 == 5 ? -EMFILE : g->next_fd++;
}

static void fz_drop_file(void *ctx, int32_t fd)
{
}

static void fz_access(struct fz_guest *g, struct m_access *acc)
{
	*acc = (struct m_access){.read = fz_read,
				 .write = fz_write,
				 .fd_to_handle = fz_fd_to_handle,
				 .new_file = fz_new_file,
				 .drop_file = fz_drop_file,
				 .ctx = g};
}

/* A guest nested call: two chunks, every kind of field in use. */
struct fz_guest_call {
	struct fz_top top;
	uint32_t in[5];
	uint64_t out[3];
	struct fz_chunk chunks[2];
	uint8_t data0[3], data1[7];
	uint32_t cout0[2], cout1[4];
	uint32_t fixed[4];
};

#define FZ_U(p) ((uint64_t)(uintptr_t)(p))

static void fz_guest_call_init(struct fz_guest_call *c, struct fz_guest *g)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->data0, "abc", 3);
	memcpy(c->data1, "0123456", 7);
	c->chunks[0] = (struct fz_chunk){FZ_U(c->data0), 3, 7, FZ_U(c->cout0), 2, 0, 0};
	c->chunks[1] = (struct fz_chunk){FZ_U(c->data1), 7, -1, FZ_U(c->cout1), 4, 0, 0};
	c->top = (struct fz_top){.in_ptr = FZ_U(c->in),
				 .out_ptr = FZ_U(c->out),
				 .chunks_ptr = FZ_U(c->chunks),
				 .fixed_ptr = FZ_U(c->fixed),
				 .in_count = 5,
				 .out_count = 3,
				 .nchunks = 2,
				 .fd_in = 8,
				 .flags = 4u};
	g->base = (uint8_t *)c;
	g->len = sizeof(*c);
	g->next_fd = 100;
}

/* ---- the "kernel" ------------------------------------------------------------ */

/* Writes what a driver might: top-level OUT bytes, the synthetic call's arrays and fds. */
static int64_t fz_kernel(const struct m_ioctl *d, uint32_t cmd, struct m_call *c, uint8_t fill)
{
	uint32_t size, dir, i;
	uint8_t *p = (uint8_t *)m_call_arg(c);

	m_top(d, cmd, &size, &dir);
	if (d == &fz_nested) {
		struct fz_top *t = (struct fz_top *)p;
		struct fz_chunk *ch = (struct fz_chunk *)(uintptr_t)t->chunks_ptr;

		if (t->out_ptr)
			memset((void *)(uintptr_t)t->out_ptr, fill, (size_t)t->out_count * 8);
		for (i = 0; ch && i < t->nchunks; i++)
			ch[i].new_fd = (int32_t)(fill + i) - 2;
		t->fd_out = fill;
		t->fd_extra = fill + 10;
		return 0;
	}
	if (size && (dir & M_OUT))
		memset(p, fill, size);
	return (d && (d->flags & M_F_RET_FD)) ? fill : 0;
}

/* ---- seeds ---------------------------------------------------------------- */

static void fz_write_seed(const char *dir, const char *name, uint8_t prefix, const void *p,
			  uint32_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(&prefix, 1, 1, f);
	fwrite(p, 1, len, f);
	fclose(f);
}

#endif
