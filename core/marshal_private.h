/* SPDX-License-Identifier: MIT */
/*
 * marshal_private.h - what marshal.c, marshal_front.c and marshal_back.c
 * share: the field walker and little helpers.  Not an interface.
 *
 * The walker is the only code that interprets an m_field list.  It runs on
 * a local copy of a struct, decides which fields are active, reads pointer
 * and count values, checks them against the descriptor and the limits, and
 * hands each buffer, null-or-empty pointer and fd field to per-direction
 * callbacks.  The frontend's encoder and the backend's decoder are its two
 * users; since both see the same bytes (table checks forbid fields whose
 * rewriting would change what a later field reads), both find the same
 * buffers in the same order, and count them against the same limits.
 *
 * The reply directions do not walk again: after the ioctl the kernel has
 * rewritten counts (drm_mode_getresources), so the backend replays what
 * its decoder recorded (struct m_call) and the frontend what its encoder
 * recorded (struct m_plan).
 */
#ifndef VDRI_MARSHAL_PRIVATE_H
#define VDRI_MARSHAL_PRIVATE_H

#include "vdri/marshal.h"

/* Recursion bound whatever lim->max_depth says (kernel stacks are small). */
#define M_DEPTH_HARD_MAX 8u
/* Flags the engine knows (the low half of m_ioctl.flags). */
#define M_F_ENGINE_MASK                                                                            \
	(M_F_RET_FD | M_F_ARG_VALUE | M_F_SIZE | M_F_MAY_BLOCK | M_F_ARG_FD | M_F_VARIANT)

/* The wire flags a call with descriptor d carries. */
static inline uint32_t m_wire_flags(const struct m_ioctl *d)
{
	if (!d)
		return WIRE_IOCTL_FLAT;
	return (d->flags & M_F_VARIANT) ? WIRE_IOCTL_VARIANT : 0;
}
#define M_FILE_SIZE ((uint32_t)sizeof(struct wire_ioctl_file))
/* <stdint.h> limits do not exist in the kernel. */
#define M_U32_MAX 0xffffffffu
#define M_S32_MAX 0x7fffffffu
#define INT64_MAX_M ((int64_t)0x7fffffffffffffffull)

int64_t m_time_to_rel(int64_t abs, int64_t now);
int64_t m_time_to_abs(int64_t rel, int64_t now);

/*
 * A struct being walked.  Its bytes live at *basep + off: the frontend
 * appends to its payload buffer while walking, so the base may move.
 */
struct m_sloc {
	uint8_t *const *basep;
	uint64_t off;
	uint64_t uaddr; /* the struct's address in the guest */
	uint32_t size;	/* bytes the fields may touch */
	uint32_t dir;	/* direction of the buffer holding the struct */
};

static inline uint8_t *m_sloc_ptr(const struct m_sloc *s)
{
	return *s->basep + s->off;
}

struct m_walk;

struct m_walk_ops {
	/*
	 * A buffer: the top-level argument (f and s NULL) or an active pointer
	 * field with ptr != 0 and len != 0.  Sets data->basep and data->off.
	 */
	int (*buf)(struct m_walk *w, const struct m_field *f, const struct m_sloc *s, uint64_t ptr,
		   uint32_t len, uint32_t dir, struct m_sloc *data);
	/* An active pointer field with ptr != 0 but nothing to transfer. */
	int (*empty)(struct m_walk *w, const struct m_field *f, const struct m_sloc *s,
		     uint64_t ptr);
	/* An active fd field. */
	int (*fd)(struct m_walk *w, const struct m_field *f, const struct m_sloc *s);
	/* An M_TIME field. */
	int (*time)(struct m_walk *w, const struct m_field *f, const struct m_sloc *s);
};

struct m_walk {
	const struct m_walk_ops *ops;
	void *ctx;
	struct m_limits lim;
	uint32_t items; /* buffers, non-null pointers and fd fields so far */
	uint64_t bytes; /* sum of buffer lengths so far */
};

void m_walk_init(struct m_walk *w, const struct m_walk_ops *ops, void *ctx,
		 const struct m_limits *lim);
/* Walk a call: the top-level buffer (when it has one), then its fields. */
int m_walk_run(struct m_walk *w, const struct m_ioctl *d, uint32_t cmd, uint64_t uaddr);

/* NULL when f may live in a struct of size bytes held by a dir buffer. */
const char *m_field_problem(const struct m_field *f, uint32_t size, uint32_t dir);

/* Little-endian scalars of 1, 2, 4 or 8 bytes at any alignment. */
uint64_t m_get_uint(const uint8_t *p, uint32_t size);
void m_put_uint(uint8_t *p, uint32_t size, uint64_t v);

static inline int32_t m_get_fd(const uint8_t *p)
{
	return (int32_t)(uint32_t)m_get_uint(p, 4);
}

static inline void m_put_fd(uint8_t *p, int32_t fd)
{
	m_put_uint(p, 4, (uint32_t)fd);
}

/* M_F_SIZE with size 0: no argument at all; 0 travels instead of the guest's. */
static inline int m_no_arg(const struct m_ioctl *d)
{
	return d && (d->flags & (M_F_SIZE | M_F_ARG_VALUE)) == M_F_SIZE && !d->size;
}

/* Handles travel in 32-bit fd fields: 0 means none, and they must not look negative. */
static inline int m_handle_ok(uint32_t h)
{
	return h != 0 && h <= M_S32_MAX;
}

/* Copies of fixed wire structs, converted to and from little-endian. */
void m_put_buf_hdr(uint8_t *p, uint32_t len, uint32_t dir);
int m_get_buf_hdr(const uint8_t *p, uint32_t *len, uint32_t *dir); /* -EINVAL: reserved != 0 */

#endif /* VDRI_MARSHAL_PRIVATE_H */
