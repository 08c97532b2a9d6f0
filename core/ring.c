/* SPDX-License-Identifier: MIT */
/*
 * ring.c - one end of a shared-memory byte ring (see ring.h): the counter
 * checks, the wrapped copies, and every memory barrier of the ring, each
 * with the reason it is there.
 *
 * Barriers, in one place (C11 atomics through the GCC builtins):
 *  - prod is stored with release and loaded with acquire: the bytes a
 *    producer wrote are visible to a consumer that sees the new prod;
 *  - cons likewise: the bytes a consumer copied out are not overwritten by
 *    a producer that sees the new cons;
 *  - a sleeper stores its flag, then loads the peer's counter; the peer
 *    stores its counter, then loads the flag.  Release/acquire does not
 *    order a store before a later load (x86 store buffers reorder exactly
 *    that), so both sides put a full (seq_cst) fence between the two: then
 *    at least one of them sees the other's store, and either the sleeper
 *    does not sleep or the peer rings its bell (Dekker's argument).
 *
 * Uses no libc function: it builds wherever types.h does.
 */
#include "vdri/ring.h"

#define VRING_EPROTO(r, reason)                                                                    \
	do {                                                                                       \
		(r)->why = (reason);                                                               \
		return -EPROTO;                                                                    \
	} while (0)

static int vring_size_ok(uint32_t size)
{
	return size >= VRING_SIZE_MIN && size <= VRING_SIZE_MAX && (size & (size - 1)) == 0;
}

int vring_init(struct vring *r, struct vring_ctrl *ctrl, void *data, uint32_t size)
{
	if (!vring_size_ok(size))
		return -EINVAL;
	r->ctrl = ctrl;
	r->data = data;
	r->size = size;
	r->pos = 0;
	r->peer = 0;
	r->why = 0;
	return 0;
}

int vring_resume(struct vring *r, struct vring_ctrl *ctrl, void *data, uint32_t size,
		 int is_producer)
{
	int n;

	if (vring_init(r, ctrl, data, size))
		return -EINVAL;
	/* relaxed: no other thread of ours runs yet, and the peer's counter is checked below */
	if (is_producer) {
		r->pos = __atomic_load_n(&ctrl->prod, __ATOMIC_RELAXED);
		r->peer = r->pos - size; /* anything in [pos - size, pos] is a believable cons */
		n = vring_space(r);
	} else {
		r->pos = __atomic_load_n(&ctrl->cons, __ATOMIC_RELAXED);
		r->peer = r->pos; /* anything in [pos, pos + size] is a believable prod */
		n = vring_avail(r);
	}
	return n < 0 ? n : 0;
}

/* ---- consumer end ---------------------------------------------------------- */

int vring_avail(struct vring *r)
{
	/*
	 * acquire: pairs with the release in vring_publish; the bytes before
	 * the new prod are in memory before we copy them.
	 */
	uint32_t prod = __atomic_load_n(&r->ctrl->prod, __ATOMIC_ACQUIRE);
	uint32_t unread = r->peer - r->pos;

	if (r->why)
		return -EPROTO;
	/* prod may only grow, and never more than the room that was left */
	if ((uint32_t)(prod - r->peer) > r->size - unread)
		VRING_EPROTO(r, "shm ring: producer counter moved backwards or past the ring");
	r->peer = prod;
	return (int)(prod - r->pos);
}

uint32_t vring_read(struct vring *r, void *dst, uint32_t n)
{
	uint32_t off = r->pos & (r->size - 1), first;

	if (n > r->peer - r->pos)
		n = r->peer - r->pos;
	first = n < r->size - off ? n : r->size - off;
	vdri_memcpy(dst, r->data + off, first);
	vdri_memcpy((uint8_t *)dst + first, r->data, n - first);
	r->pos += n;
	/*
	 * release: our copies of these bytes are complete before the producer
	 * can see their room given back and write over them.
	 */
	__atomic_store_n(&r->ctrl->cons, r->pos, __ATOMIC_RELEASE);
	return n;
}

int vring_room_wanted(struct vring *r)
{
	/*
	 * seq_cst fence: the cons just stored must be visible before we read
	 * prod_wait (store, then load: Dekker with vring_tx_arm).  Otherwise a
	 * producer could see the old cons, go to sleep, and we would not see
	 * its flag.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&r->ctrl->prod_wait, __ATOMIC_RELAXED))
		return 0;
	/* relaxed: the exchange only decides who rings; the bell orders the rest */
	return __atomic_exchange_n(&r->ctrl->prod_wait, 0, __ATOMIC_RELAXED) != 0;
}

int vring_rx_arm(struct vring *r)
{
	__atomic_store_n(&r->ctrl->cons_wait, 1, __ATOMIC_RELAXED);
	/*
	 * seq_cst fence: the flag is visible before we look at prod once more
	 * (store, then load: Dekker with vring_publish).  Either we see the
	 * producer's new prod here, or it sees our flag and rings the bell.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vring_avail(r);
}

void vring_rx_disarm(struct vring *r)
{
	/* relaxed: a producer that still sees the flag only rings once too often */
	__atomic_store_n(&r->ctrl->cons_wait, 0, __ATOMIC_RELAXED);
}

/* ---- producer end ---------------------------------------------------------- */

int vring_space(struct vring *r)
{
	/*
	 * acquire: pairs with the release in vring_read; the consumer is done
	 * copying the bytes it gave back before we overwrite them.
	 */
	uint32_t cons = __atomic_load_n(&r->ctrl->cons, __ATOMIC_ACQUIRE);

	if (r->why)
		return -EPROTO;
	/* cons may only grow, and never past what we produced */
	if ((uint32_t)(cons - r->peer) > r->pos - r->peer)
		VRING_EPROTO(r, "shm ring: consumer counter moved backwards or past the producer");
	r->peer = cons;
	return (int)(r->size - (r->pos - cons));
}

uint32_t vring_room(const struct vring *r)
{
	return r->size - (r->pos - r->peer);
}

uint32_t vring_write(struct vring *r, const void *src, uint32_t n)
{
	uint32_t off = r->pos & (r->size - 1), room = r->size - (r->pos - r->peer), first;

	if (n > room)
		n = room;
	first = n < r->size - off ? n : r->size - off;
	vdri_memcpy(r->data + off, src, first);
	vdri_memcpy(r->data, (const uint8_t *)src + first, n - first);
	r->pos += n;
	return n;
}

int vring_publish(struct vring *r)
{
	/* release: the bytes written are visible before the prod that covers them */
	__atomic_store_n(&r->ctrl->prod, r->pos, __ATOMIC_RELEASE);
	/*
	 * seq_cst fence: prod is visible before we read cons_wait (store, then
	 * load: Dekker with vring_rx_arm).  Either the consumer's last look
	 * sees our bytes, or we see its flag and ring.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&r->ctrl->cons_wait, __ATOMIC_RELAXED))
		return 0;
	/* relaxed: clearing it makes one bell per sleep; the bell orders the rest */
	return __atomic_exchange_n(&r->ctrl->cons_wait, 0, __ATOMIC_RELAXED) != 0;
}

int vring_tx_arm(struct vring *r)
{
	__atomic_store_n(&r->ctrl->prod_wait, 1, __ATOMIC_RELAXED);
	/*
	 * seq_cst fence: the flag is visible before we read cons once more
	 * (Dekker with vring_room_wanted).
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vring_space(r);
}

void vring_tx_disarm(struct vring *r)
{
	/* relaxed: a consumer that still sees the flag only rings once too often */
	__atomic_store_n(&r->ctrl->prod_wait, 0, __ATOMIC_RELAXED);
}
