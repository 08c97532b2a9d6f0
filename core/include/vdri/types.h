/* SPDX-License-Identifier: MIT */
/*
 * types.h - the few definitions the kernel-shareable part of core/ needs.
 *
 * wire.c and marshal.c compile both in user space and inside the drm-front
 * kernel module.  They include only this header: fixed-width integers, errno
 * values, static assertions and little-endian helpers.  No libc calls.
 */
#ifndef VDRI_TYPES_H
#define VDRI_TYPES_H

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/types.h>
#define vdri_static_assert(cond, msg) static_assert(cond, msg)
#else
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#define vdri_static_assert(cond, msg) _Static_assert(cond, msg)
#endif

/* The wire is little-endian.  These are no-ops on the targets we build. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define vdri_le16(x) __builtin_bswap16(x)
#define vdri_le32(x) __builtin_bswap32(x)
#define vdri_le64(x) __builtin_bswap64(x)
#else
#define vdri_le16(x) ((uint16_t)(x))
#define vdri_le32(x) ((uint32_t)(x))
#define vdri_le64(x) ((uint64_t)(x))
#endif

#define vdri_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define vdri_memset(d, c, n) __builtin_memset((d), (c), (n))

/* Overflow-checked arithmetic for sizes that come from a peer. */
#define vdri_mul_overflow(a, b, res) __builtin_mul_overflow((a), (b), (res))
#define vdri_add_overflow(a, b, res) __builtin_add_overflow((a), (b), (res))

#define VDRI_ALIGN8(x) (((x) + 7u) & ~(uint64_t)7u)

#endif /* VDRI_TYPES_H */
