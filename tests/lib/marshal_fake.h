/* SPDX-License-Identifier: MIT */
/*
 * marshal_fake.h - drive the marshalling engine end to end in one process:
 * a fake guest (plain memory in registered regions, a table of guest fds
 * that stand for remote files), a fake backend (a handle table of made-up
 * fd numbers) and a counting allocator with fault injection.
 */
#ifndef VDRI_TEST_MARSHAL_FAKE_H
#define VDRI_TEST_MARSHAL_FAKE_H

#include <stddef.h>

#include "vdri/marshal.h"

#define MF_MAX 64

struct mf_alloc {
	struct m_alloc a;
	long live;	  /* not yet freed */
	long count;	  /* made so far */
	uint64_t biggest; /* largest size asked for */
	long fail_at;	  /* the n-th allocation (1-based) fails; 0: none */
};
void mf_alloc_init(struct mf_alloc *al);

struct mf_guest {
	struct {
		uint64_t addr, len;
		int writable;
	} regions[MF_MAX];
	int nregions;
	struct {
		int32_t fd;
		uint32_t handle;
	} fds[MF_MAX]; /* guest fds standing for remote files */
	int nfds;
	int32_t next_fd;	      /* what new_file hands out next */
	uint32_t new_handles[MF_MAX]; /* handles new_file was given */
	int32_t created[MF_MAX];      /* fds new_file returned */
	int ncreated;
	int32_t dropped[MF_MAX]; /* fds drop_file was given */
	int ndropped;
	int fail_new_file_at; /* the n-th new_file fails with -EMFILE */
	long writes;
	struct m_access acc;
};
void mf_guest_init(struct mf_guest *g);
/* Let the engine read (and write, if writable) len bytes at p. */
void mf_guest_map(struct mf_guest *g, const void *p, size_t len, int writable);
void mf_guest_add_fd(struct mf_guest *g, int32_t fd, uint32_t handle);
#define MF_U(p) ((uint64_t)(uintptr_t)(p))

struct mf_back {
	struct {
		uint32_t handle;
		int32_t fd;
	} files[MF_MAX]; /* the handle table */
	int nfiles;
	uint32_t next_handle;
	int32_t registered[MF_MAX]; /* fds new_handle was given (owned from then on) */
	int nregistered;
	uint32_t dropped[MF_MAX]; /* handles drop_handle was given */
	int ndropped;
	int fail_new_handle_at; /* the n-th new_handle fails with -ENFILE */
	struct m_back_ops ops;
};
void mf_back_init(struct mf_back *b);
void mf_back_add(struct mf_back *b, uint32_t handle, int32_t fd);

/* The "kernel": runs on a decoded call, returns the ioctl's result. */
typedef int64_t (*mf_kernel_fn)(struct m_call *c, void *ctx);

struct mf_trip {
	struct m_limits lim;
	struct mf_alloc front, back;
	int enc, dec, rep, app; /* each step's return (0 when not reached) */
	int64_t result;		/* what apply reported */
	uint8_t *req;		/* copies of the payloads, for inspection */
	uint32_t req_len;
	uint8_t *reply;
	uint32_t reply_len;
};
void mf_trip_init(struct mf_trip *t);
void mf_trip_fini(struct mf_trip *t);

/*
 * encode -> copy into an 8-aligned buffer -> decode -> k -> encode the
 * reply -> apply.  Stops at the first failing step and returns its
 * result.  Fails the test if an allocation is left over on either side.
 */
int mf_round_trip(const struct m_ioctl *d, uint32_t cmd, uint64_t arg, struct mf_guest *g,
		  struct mf_back *b, mf_kernel_fn k, void *kctx, struct mf_trip *t);

/* Encode into a fresh 8-aligned malloc'd payload (free() it); plan uses al. */
int mf_encode(const struct m_ioctl *d, uint32_t cmd, uint64_t arg, struct mf_guest *g,
	      const struct m_limits *lim, struct mf_alloc *al, uint8_t **payload, uint32_t *len,
	      struct m_plan *plan);

#endif
