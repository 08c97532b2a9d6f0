/* SPDX-License-Identifier: MIT */
/*
 * ring.h - a single-producer, single-consumer byte ring in memory shared
 * with a peer that may be hostile (the shm transport, core/shm.c).
 *
 * The model is Xen's vchan (tools/libs/vchan/io.c): two free-running 32-bit
 * counters, prod (bytes ever written) and cons (bytes ever read), each
 * written by one side only and each on a 64-byte line of its own so the two
 * sides never write the same cache line on the fast path.  A byte's slot is
 * counter & (size - 1), size being a power of two, and prod - cons (mod
 * 2^32) is the fill level.  The ring carries a byte stream: frames of any
 * length, wrapped at the end of the data area and, when larger than the
 * room left, written in pieces as the consumer frees it.
 *
 * Each side keeps its own counter in private memory and never reads it back
 * from the shared page; it only reads the peer's counter, and checks it
 * (moves forward, never past the ring) before trusting it.  The data bytes
 * are only ever copied out, never interpreted in place: the peer can
 * rewrite them at any time.
 *
 * Two more lines carry the sleep protocol (PROTOCOL.md §17.5): cons_wait
 * (the consumer stopped polling: ring its bell after producing) and
 * prod_wait (the producer waits for room: ring its bell after consuming).
 * Ringing a bell is the caller's business (a provider's notify); these
 * functions say when it is needed.
 */
#ifndef VDRI_RING_H
#define VDRI_RING_H

#include <stdint.h>

#include "vdri/types.h"

#define VRING_LINE 64u
#define VRING_SIZE_MIN 4096u
#define VRING_SIZE_MAX (1u << 30)

/* The shared control block of one ring: four 64-byte lines. */
struct vring_ctrl {
	uint32_t prod; /* written by the producer only */
	uint8_t pad0[VRING_LINE - 4];
	uint32_t cons; /* written by the consumer only */
	uint8_t pad1[VRING_LINE - 4];
	uint32_t cons_wait; /* 1: the consumer sleeps; the producer clears it and rings */
	uint8_t pad2[VRING_LINE - 4];
	uint32_t prod_wait; /* 1: the producer waits for room; the consumer clears it and rings */
	uint8_t pad3[VRING_LINE - 4];
};
vdri_static_assert(sizeof(struct vring_ctrl) == 4 * VRING_LINE, "vring_ctrl is four lines");

/* One end of a ring, in private memory. */
struct vring {
	struct vring_ctrl *ctrl; /* shared */
	uint8_t *data;		 /* shared, size bytes */
	uint32_t size;		 /* a power of two */
	uint32_t pos;		 /* our counter: prod (producer end) or cons (consumer end) */
	uint32_t peer;		 /* the peer's counter as last checked */
	const char *why;	 /* what was wrong with the peer's counter (sticky) */
};

/*
 * Set up one end of a new ring: both counters start at 0 whatever the
 * shared page says (a peer that wrote something else is caught by the
 * checks).  0, or -EINVAL when size is not a power of two in range.
 */
int vring_init(struct vring *r, struct vring_ctrl *ctrl, void *data, uint32_t size);
/*
 * Take over an end that this side used before (after exec): our counter is
 * read back from the shared page once, then checked against the peer's.
 * is_producer says which counter is ours.  0 or -EPROTO.
 */
int vring_resume(struct vring *r, struct vring_ctrl *ctrl, void *data, uint32_t size,
		 int is_producer);

/* ---- consumer end ---------------------------------------------------------- */

/* Bytes ready to read, or -EPROTO (r->why) when prod is not believable. */
int vring_avail(struct vring *r);
/*
 * Copy up to n of the bytes vring_avail found into dst and give their room
 * back to the producer.  Returns the number copied.
 */
uint32_t vring_read(struct vring *r, void *dst, uint32_t n);
/* After reading: 1 when the producer waits for room (ring its bell now). */
int vring_room_wanted(struct vring *r);
/*
 * About to sleep: announce it, then look once more.  Returns vring_avail's
 * answer; when it is not 0, do not sleep (and call vring_rx_disarm).
 */
int vring_rx_arm(struct vring *r);
void vring_rx_disarm(struct vring *r);

/* ---- producer end ---------------------------------------------------------- */

/* Bytes of room, or -EPROTO (r->why) when cons is not believable. */
int vring_space(struct vring *r);
/*
 * Room as of the last vring_space, without looking at cons (a line the
 * consumer writes: reading it costs a cache-line transfer).  There is at
 * least this much; call vring_space only when it is not enough.
 */
uint32_t vring_room(const struct vring *r);
/* Copy n bytes (at most what vring_space found) in; not yet visible. */
uint32_t vring_write(struct vring *r, const void *src, uint32_t n);
/* Make what was written visible.  1 when the consumer sleeps (ring its bell now). */
int vring_publish(struct vring *r);
/* About to wait for room: announce it, then look once more (vring_space's answer). */
int vring_tx_arm(struct vring *r);
void vring_tx_disarm(struct vring *r);

#endif /* VDRI_RING_H */
