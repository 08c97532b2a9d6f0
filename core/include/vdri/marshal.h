/* SPDX-License-Identifier: MIT */
/*
 * marshal.h - the descriptor-driven ioctl marshalling engine.
 *
 * An ioctl number says the direction and size of its top-level argument.
 * A descriptor (data, in a class table such as core/chardev/ or core/drm/)
 * adds what the number cannot say: nested user pointers with their counts,
 * arrays of structs that carry pointers of their own, file descriptors.
 *
 * One walker visits the fields; four users of it:
 *   frontend  m_encode_request(): read guest memory through an accessor and
 *             build the IOCTL request payload, remembering a plan of where
 *             each buffer lives in the guest;
 *   backend   m_decode_request(): rebuild the argument with local pointers
 *             (sizes recomputed from the backend's own copy, never trusted);
 *   backend   m_encode_reply(): out buffers, guest pointer values restored,
 *             new fds registered as remote files;
 *   frontend  m_apply_reply(): write out buffers back to the guest through
 *             the accessor, turning new remote files into local fds.
 *
 * This file and marshal.c compile in user space and in the kernel module:
 * no libc, allocation only through struct m_alloc.
 *
 * Wire format of the IOCTL payloads (all little-endian, 8-byte aligned):
 *   request: struct wire_ioctl, then nbuf x (struct wire_ioctl_buf, data
 *            padded to 8 when dir has M_IN)
 *   reply:   struct wire_reply, struct wire_ioctl_reply, then nbuf x
 *            (struct wire_ioctl_buf, data padded to 8), then nfile x
 *            struct wire_ioctl_file
 * Buffers appear in walk order: the top-level argument first (when it has a
 * size), then each active pointer field depth-first.  A reply carries exactly
 * the buffers whose dir has M_OUT, in the same order.
 */
#ifndef VDRI_MARSHAL_H
#define VDRI_MARSHAL_H

#include "vdri/types.h"
#include "vdri/wire.h"

/* Directions (of a buffer, from the guest's point of view of the kernel). */
#define M_IN 1u	 /* guest -> device */
#define M_OUT 2u /* device -> guest */
#define M_INOUT 3u

enum m_kind {
	M_END = 0, /* terminates a field list */
	M_ARRAY,   /* pointer + count of plain elements */
	M_STRUCTS, /* pointer + count of structs with fields of their own (M_IN/M_INOUT) */
	M_FD,	   /* a 32-bit file descriptor stored in the struct; M_INOUT: the
		    * guest's fd goes in and, on success, the kernel has
		    * replaced it with a new one (virtio_gpu fence_fd) */
	M_TIME,	   /* s64 absolute CLOCK_MONOTONIC ns (syncobj waits): travels
		    * relative, since the two machines' clocks differ */
	M_REFUSE,  /* the call is refused (EINVAL) when the field (ptr_size bytes
		    * at ptr_off) is non-zero while the condition holds: a
		    * pointer or an option the descriptor cannot say safely */
	M_KIND_COUNT
};

struct m_struct;

struct m_field {
	uint8_t kind;		     /* enum m_kind */
	uint8_t dir;		     /* M_IN / M_OUT / M_INOUT */
	uint8_t ptr_size;	     /* M_ARRAY/M_STRUCTS: 4 or 8 byte pointer field; M_FD: 4 */
	uint8_t count_size;	     /* 1, 2, 4 or 8; 0 = fixed count given by max */
	uint32_t ptr_off;	     /* offset of the pointer (or fd) field */
	uint32_t count_off;	     /* offset of the count field */
	uint32_t elem_size;	     /* bytes per element (stride for M_STRUCTS) */
	uint32_t max;		     /* largest accepted count (or the fixed count) */
	uint32_t cond_off;	     /* field is active only if (u32 at cond_off) & cond_mask */
	uint32_t cond_mask;	     /* 0 = always active */
	uint32_t cond_val;	     /* != 0: active only if (u32 & cond_mask) == cond_val */
	const struct m_struct *elem; /* M_STRUCTS: the element's own fields */
	/*
	 * != 0: the count is the sum of the u32 elements of field number
	 * sum_of - 1 of the same list (an earlier M_IN M_ARRAY of 4-byte
	 * elements; drm_mode_atomic's props per object).  count_size is 0
	 * and max bounds the sum.
	 */
	uint32_t sum_of;
	const char *name; /* for logs */
};

struct m_struct {
	uint32_t size;		      /* element size the fields were written for */
	const struct m_field *fields; /* M_END terminated */
};

/* Descriptor flags (low 16 bits: engine; high 16 bits: class/policy). */
#define M_F_RET_FD (1u << 0)	/* a non-negative return value is a new fd */
#define M_F_ARG_VALUE (1u << 1) /* arg is an integer passed by value */
#define M_F_SIZE (1u << 2)	/* size/dir below override the ioctl number */
#define M_F_MAY_BLOCK (1u << 3) /* may sleep in the driver (informational) */
#define M_F_ARG_FD (1u << 4)	/* arg is a guest fd passed by value (LOOP_SET_FD) */
/*
 * A variant of the class's descriptor for the same number, which the
 * frontend chose for this call (WIRE_IOCTL_VARIANT on the wire): the
 * backend decodes with the class's variant too (DRM atomic with fences).
 */
#define M_F_VARIANT (1u << 5)
#define M_F_CLASS_SHIFT 16
/*
 * Coherence points for mapped buffers (classes with VDRI_CLASS_SYNC_BY_DESC):
 * guest writes to mappings must reach the device before the call (it may
 * read buffers: a submission, a flip, a transfer to the host), and device
 * writes must reach the guest's copies after it (it waited for work or
 * moved data from the device).
 */
#define M_F_PUBLISH (1u << 16)
#define M_F_REFRESH (1u << 17)
/*
 * Changes what is shown or who controls the display (mode setting, flips,
 * master, leases): a render-only guest may not call it, and a display
 * guest only on the files its policy names (isolation/guest.h).
 */
#define M_F_DISPLAY (1u << 18)

struct m_ioctl {
	uint32_t cmd;
	uint32_t flags;		      /* M_F_* */
	uint32_t size;		      /* top-level size when M_F_SIZE */
	uint32_t dir;		      /* top-level direction when M_F_SIZE (0 = no argument) */
	const struct m_field *fields; /* fields of the top-level struct, or NULL */
	const char *name;
};

/* A class table: descriptors with unique cmds (checked by m_table_check). */
struct m_table {
	const char *name;
	const struct m_ioctl *ioctls;
	uint32_t count;
};

/* Generic Linux _IOC decoding (asm-generic layout: x86, arm, riscv). */
#define M_IOC_NRBITS 8
#define M_IOC_TYPEBITS 8
#define M_IOC_SIZEBITS 14
#define M_IOC_DIRSHIFT 30
#define M_IOC_SIZESHIFT 16
#define M_IOC_WRITE 1u /* userland writes: M_IN */
#define M_IOC_READ 2u  /* userland reads:  M_OUT */
#define m_ioc_dir(cmd) (((uint32_t)(cmd) >> M_IOC_DIRSHIFT) & 3u)
#define m_ioc_size(cmd) (((uint32_t)(cmd) >> M_IOC_SIZESHIFT) & ((1u << M_IOC_SIZEBITS) - 1))

/* Limits applied on both sides (guest input is hostile). */
struct m_limits {
	uint32_t max_bufs;  /* buffers per call, top-level included */
	uint32_t max_bytes; /* sum of all buffer lengths */
	uint32_t max_depth; /* nesting of M_STRUCTS */
};
#define M_LIMITS_DEFAULT                                                                           \
	{                                                                                          \
		4096u, 8u * 1024u * 1024u, 4u                                                      \
	}

/* Allocator (malloc/free in user space, kvmalloc/kvfree in the kernel). */
struct m_alloc {
	void *(*alloc)(void *ctx, uint64_t size); /* need not zero */
	void (*free)(void *ctx, void *p);
	void *ctx;
};

/* A growable byte buffer owned by the caller's allocator. */
struct m_buf {
	uint8_t *data;
	uint32_t len;
	uint32_t cap;
	const struct m_alloc *alloc;
};
int m_buf_reserve(struct m_buf *b, uint32_t extra); /* 0 or -ENOMEM/-E2BIG */
void m_buf_fini(struct m_buf *b);

/* ---- wire structs of the IOCTL operation -------------------------------- */

#define WIRE_IOCTL_FLAT 1u    /* sender used no descriptor (policy decides) */
#define WIRE_IOCTL_VARIANT 2u /* sender used the class's variant descriptor (M_F_VARIANT) */

struct wire_ioctl {
	uint32_t cmd;
	uint32_t flags; /* WIRE_IOCTL_* */
	uint64_t arg;	/* by-value argument (M_F_ARG_VALUE or no top-level size) */
	uint32_t nbuf;
	uint32_t reserved;
};
vdri_static_assert(sizeof(struct wire_ioctl) == 24, "wire_ioctl size");

struct wire_ioctl_buf {
	uint32_t len;
	uint8_t dir;
	uint8_t reserved0;
	uint16_t reserved1;
};
vdri_static_assert(sizeof(struct wire_ioctl_buf) == 8, "wire_ioctl_buf size");

struct wire_ioctl_reply {
	uint32_t nbuf;
	uint32_t nfile;
};

struct wire_ioctl_file {
	uint32_t handle;
	uint32_t reserved;
	struct wire_file_info info;
};

/* ---- frontend ----------------------------------------------------------- */

/* How the frontend reaches the guest's memory and file table. */
struct m_access {
	/* copy from/to guest memory; 0 or -EFAULT */
	int (*read)(void *ctx, void *dst, uint64_t uaddr, uint64_t len);
	int (*write)(void *ctx, uint64_t uaddr, const void *src, uint64_t len);
	/* a guest fd that stands for a remote file -> its handle; -EBADF if it is not one */
	int (*fd_to_handle)(void *ctx, int32_t fd, uint32_t *handle);
	/* a new remote file from a reply -> a new guest fd (>= 0) or -errno */
	int32_t (*new_file)(void *ctx, uint32_t handle, const struct wire_file_info *info);
	/* undo new_file when a later step fails */
	void (*drop_file)(void *ctx, int32_t fd);
	/* CLOCK_MONOTONIC now in ns (M_TIME fields); NULL: times travel as they are */
	int64_t (*now_ns)(void *ctx);
	void *ctx;
};

/* Where each buffer of a call lives in the guest (filled by encode). */
struct m_plan_ent {
	uint64_t uaddr;
	uint32_t len;
	uint32_t dir;
	const struct m_field *field; /* NULL for the top-level argument */
	uint64_t value;		     /* M_TIME slot: the guest's own value, restored */
};

struct m_plan {
	struct m_plan_ent *ents;
	uint32_t count;
	uint32_t cap;
	const struct m_alloc *alloc;
};
void m_plan_fini(struct m_plan *p);
/*
 * Besides buffers the plan holds fd slots: entries whose field is an M_FD.
 * uaddr is the guest address of the 32-bit fd; an M_OUT slot receives the
 * local fd of the file the reply creates for it, an M_IN slot (only inside
 * a struct that is copied back) keeps the guest's own fd in len, written
 * back over the handle the reply carries there.
 */

/*
 * Build the IOCTL request payload into out (appending).  d may be NULL:
 * then the call is flat (top-level only, from the ioctl number) and
 * WIRE_IOCTL_FLAT is set; the caller's policy must have allowed it.
 * Returns 0, -EFAULT (guest memory unreadable), -EINVAL (count above a
 * descriptor's max, limits exceeded), -EBADF (fd field not forwarded),
 * -ENOMEM.
 */
int m_encode_request(const struct m_ioctl *d, uint32_t cmd, uint64_t arg,
		     const struct m_access *acc, const struct m_limits *lim, struct m_buf *out,
		     struct m_plan *plan);

/*
 * Apply a reply payload (starting at struct wire_reply) to the guest.  Sets
 * *result to the ioctl's return value (a new guest fd for M_F_RET_FD).
 * Returns 0, or -EPROTO for a reply that does not match the plan, -EFAULT
 * when guest memory is not writable, or the errno of new_file.
 */
int m_apply_reply(const struct m_ioctl *d, uint32_t cmd, uint64_t arg, const struct m_plan *plan,
		  const struct m_access *acc, const void *reply, uint32_t reply_len,
		  int64_t *result);

/* ---- backend ------------------------------------------------------------ */

struct m_back_ops {
	/* a handle of this guest -> the backend's real fd; -EBADF if unknown */
	int (*handle_to_fd)(void *ctx, uint32_t handle, int32_t *fd);
	/* register a new real fd (takes ownership) -> handle + info */
	int (*new_handle)(void *ctx, int32_t fd, uint32_t *handle, struct wire_file_info *info);
	/* undo new_handle when a later step fails (closes the fd) */
	void (*drop_handle)(void *ctx, uint32_t handle);
	/* CLOCK_MONOTONIC now in ns (M_TIME fields); NULL: times are used as they are */
	int64_t (*now_ns)(void *ctx);
	void *ctx;
};

struct m_call; /* opaque: a decoded request ready to execute */

/*
 * Decode a request payload.  d is the backend's descriptor for cmd (NULL:
 * flat; the caller checked the policy and WIRE_IOCTL_FLAT).  The payload
 * must stay alive and writable until m_call_free: IN buffers are used in
 * place.  On success *out holds the call; m_call_arg() is what to pass to
 * ioctl(2).
 */
int m_decode_request(const struct m_ioctl *d, void *payload, uint32_t len,
		     const struct m_limits *lim, const struct m_alloc *alloc,
		     const struct m_back_ops *ops, struct m_call **out);
uint32_t m_call_cmd(const struct m_call *c);
unsigned long m_call_arg(const struct m_call *c);

/*
 * Build the reply payload (struct wire_reply included) after the ioctl
 * returned result (>= 0, or -errno).  Out buffers get the guest's pointer
 * values back; fds the kernel wrote (M_FD with M_OUT, M_F_RET_FD) are
 * registered through ops->new_handle and replaced by handles.
 */
int m_encode_reply(struct m_call *c, int64_t result, struct m_buf *out);
void m_call_free(struct m_call *c);

/* ---- tables ------------------------------------------------------------- */

const struct m_ioctl *m_table_find(const struct m_table *t, uint32_t cmd);
/* Check a table: unique cmds, fields inside the struct, sane kinds.
 * Returns 0 or -EINVAL with *why naming the entry. */
int m_table_check(const struct m_table *t, const char **why);
/* The same, with the reason as well as the entry (for tests and logs). */
int m_table_check_reason(const struct m_table *t, const char **entry, const char **reason);
/* Top-level size and direction of a call (descriptor or ioctl number). */
void m_top(const struct m_ioctl *d, uint32_t cmd, uint32_t *size, uint32_t *dir);

/* ---- helpers for writing tables ----------------------------------------- */

#define M_FIELD_SIZEOF(type, member) ((uint8_t)sizeof(((type *)0)->member))

/* pointer + element-count array */
#define M_ARRAY_F(type, ptr, cnt, elem_sz, maxn, d)                                                \
	{                                                                                          \
		.kind = M_ARRAY, .dir = (d), .ptr_size = M_FIELD_SIZEOF(type, ptr),                \
		.count_size = M_FIELD_SIZEOF(type, cnt), .ptr_off = __builtin_offsetof(type, ptr), \
		.count_off = __builtin_offsetof(type, cnt), .elem_size = (elem_sz), .max = (maxn), \
		.name = #ptr                                                                       \
	}
/* pointer + fixed number of elements */
#define M_FIXED_F(type, ptr, elem_sz, n, d)                                                        \
	{                                                                                          \
		.kind = M_ARRAY, .dir = (d), .ptr_size = M_FIELD_SIZEOF(type, ptr),                \
		.count_size = 0, .ptr_off = __builtin_offsetof(type, ptr), .elem_size = (elem_sz), \
		.max = (n), .name = #ptr                                                           \
	}
/* pointer + count of structs with their own fields */
#define M_STRUCTS_F(type, ptr, cnt, elem_desc, maxn, d)                                            \
	{                                                                                          \
		.kind = M_STRUCTS, .dir = (d), .ptr_size = M_FIELD_SIZEOF(type, ptr),              \
		.count_size = M_FIELD_SIZEOF(type, cnt), .ptr_off = __builtin_offsetof(type, ptr), \
		.count_off = __builtin_offsetof(type, cnt), .elem_size = (elem_desc)->size,        \
		.max = (maxn), .elem = (elem_desc), .name = #ptr                                   \
	}
/*
 * The same with the element type named.  clang does not accept
 * (elem_desc)->size as a constant in a static initializer, so tables that
 * must also build with clang (make fuzz) use this one; m_table_check
 * verifies sizeof(elem_type) == elem_desc->size.
 */
#define M_STRUCTS_T_F(type, ptr, cnt, elem_type, elem_desc, maxn, d)                               \
	{                                                                                          \
		.kind = M_STRUCTS, .dir = (d), .ptr_size = M_FIELD_SIZEOF(type, ptr),              \
		.count_size = M_FIELD_SIZEOF(type, cnt), .ptr_off = __builtin_offsetof(type, ptr), \
		.count_off = __builtin_offsetof(type, cnt), .elem_size = sizeof(elem_type),        \
		.max = (maxn), .elem = (elem_desc), .name = #ptr                                   \
	}
/* a file descriptor field */
#define M_FD_F(type, fd, d)                                                                        \
	{                                                                                          \
		.kind = M_FD, .dir = (d), .ptr_size = M_FIELD_SIZEOF(type, fd),                    \
		.ptr_off = __builtin_offsetof(type, fd), .name = #fd                               \
	}
/* the same, active only when (u32 flags field) & mask */
#define M_FD_IF_F(type, fd, d, flagsf, mask)                                                       \
	{                                                                                          \
		.kind = M_FD, .dir = (d), .ptr_size = M_FIELD_SIZEOF(type, fd),                    \
		.ptr_off = __builtin_offsetof(type, fd),                                           \
		.cond_off = __builtin_offsetof(type, flagsf), .cond_mask = (mask), .name = #fd     \
	}
/* the same, active only when (u32 flags field) & mask == val (exclusive variants) */
#define M_FD_WHEN_F(type, fd, d, flagsf, mask, val)                                                \
	{                                                                                          \
		.kind = M_FD, .dir = (d), .ptr_size = M_FIELD_SIZEOF(type, fd),                    \
		.ptr_off = __builtin_offsetof(type, fd),                                           \
		.cond_off = __builtin_offsetof(type, flagsf), .cond_mask = (mask),                 \
		.cond_val = (val), .name = #fd                                                     \
	}
/* pointer whose count is the sum of an earlier u32 array (field index idx, from 0) */
#define M_SUM_F(type, ptr, idx, elem_sz, maxn, d)                                                  \
	{                                                                                          \
		.kind = M_ARRAY, .dir = (d), .ptr_size = M_FIELD_SIZEOF(type, ptr),                \
		.count_size = 0, .ptr_off = __builtin_offsetof(type, ptr), .elem_size = (elem_sz), \
		.max = (maxn), .sum_of = (idx) + 1, .name = #ptr                                   \
	}
/* an absolute CLOCK_MONOTONIC deadline in ns (s64) */
#define M_TIME_F(type, t)                                                                          \
	{                                                                                          \
		.kind = M_TIME, .dir = M_IN, .ptr_size = M_FIELD_SIZEOF(type, t),                  \
		.ptr_off = __builtin_offsetof(type, t), .name = #t                                 \
	}
/* refuse the call when field is non-zero and (u32 flagsf & mask) == val (mask 0: always) */
#define M_REFUSE_F(type, field, flagsf, mask, val)                                                 \
	{                                                                                          \
		.kind = M_REFUSE, .dir = M_IN, .ptr_size = M_FIELD_SIZEOF(type, field),            \
		.ptr_off = __builtin_offsetof(type, field),                                        \
		.cond_off = __builtin_offsetof(type, flagsf), .cond_mask = (mask),                 \
		.cond_val = (val), .name = #field " (refused)"                                     \
	}
#define M_END_F                                                                                    \
	{                                                                                          \
		.kind = M_END                                                                      \
	}

#endif /* VDRI_MARSHAL_H */
