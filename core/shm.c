/* SPDX-License-Identifier: MIT */
/*
 * shm.c - the shm transport's data path: frames through the two rings of
 * a shared region (see shm.h and PROTOCOL.md §17).
 *
 * Owns the producer end's claim (several sending threads), frames in and
 * out of the rings (a frame larger than the room left goes in pieces, the
 * consumer reassembling it in its struct fio_rx, where each header is
 * checked before anything else), and the wait: busy-poll for an adaptive
 * budget, yield when the CPUs are oversubscribed, then sleep on the bell
 * and the liveness socket.  Setting up is shm_setup.c.
 *
 * This file also runs inside the LD_PRELOAD frontend, which interposes
 * close, read, write, poll, mmap, fcntl and fstat: the transport's own
 * descriptors use raw system calls so that the guest's view and locks stay
 * out of it.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vdri/shm.h"

#define VSHM_SPIN_START_NS 30000u /* first budget: a typical reply is faster */
#define VSHM_PREEMPT_NS 20000u	  /* a gap this long between two looks: we were not running */
#define VSHM_YIELD_NS 50000u	  /* oversubscribed: how long to wait yielding the CPU */
#define VSHM_CONTENDED_WAITS 256u /* waits that yield instead of spinning after a preemption */

/* ---- waiting -------------------------------------------------------------- */

static uint64_t vshm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void vshm_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* With one CPU, a spinning waiter only keeps the peer from running. */
static int vshm_cpus(void)
{
	static int n;
	cpu_set_t set;

	if (!n)
		n = sched_getaffinity(0, sizeof(set), &set) ? 2 : CPU_COUNT(&set);
	return n;
}

static void vshm_spin_init(struct vshm_spin *sp, uint32_t max_us)
{
	if (vshm_cpus() < 2)
		max_us = 0;
	if (max_us > VSHM_SPIN_MAX_US)
		max_us = VSHM_SPIN_MAX_US;
	sp->max_ns = max_us * 1000u;
	sp->budget_ns = sp->max_ns < VSHM_SPIN_START_NS ? sp->max_ns : VSHM_SPIN_START_NS;
	sp->contended = 0;
}

/*
 * The budget follows what paid off.  A spin that ended with bytes after w
 * ns makes sure the next one lasts at least 2w (up to the maximum).  A
 * sleep that a spin of at most half the maximum would have avoided
 * doubles the budget (from a small floor); a longer one halves it, so an
 * idle peer costs less and less.  Being preempted while spinning means
 * the CPUs are oversubscribed and spinning only keeps the peer from
 * running: the budget drops to 0 and has to earn its way back up.
 */
#define VSHM_SPIN_FLOOR_NS 2000u

static void vshm_spin_learn(struct vshm_spin *sp, uint64_t waited, int slept)
{
	uint64_t b = sp->budget_ns;

	if (!slept)
		b = 2 * waited > b ? 2 * waited : b;
	else if (2 * waited <= sp->max_ns)
		b = b < VSHM_SPIN_FLOOR_NS ? VSHM_SPIN_FLOOR_NS : 2 * b;
	else
		b /= 2;
	sp->budget_ns = (uint32_t)(b < sp->max_ns ? b : sp->max_ns);
}

/*
 * Busy-poll ready(s) for up to the budget.  Returns what ready returned
 * when not 0, or 0 when the budget ran out.  *t0 is when the wait began
 * (for vshm_spin_learn after a sleep).
 *
 * A preemption while spinning (the CPUs are oversubscribed) switches the
 * next waits to yielding: sched_yield between looks, so whoever else is
 * runnable, the peer perhaps, gets the CPU at once, for VSHM_YIELD_NS
 * before sleeping.  That costs a system call a look but saves the two
 * wake-ups of a sleep, and gives way instead of burning a time slice.
 * A yield during which something else ran keeps that mode on; a wait in
 * which nothing else wanted the CPU halves what is left of it.
 */
static int vshm_spin(struct vshm_spin *sp, int (*ready)(struct vshm *), struct vshm *s,
		     uint64_t *t0)
{
	uint64_t start = vshm_now_ns(), last = start, t;
	int r, yielding = sp->contended > 0 && sp->max_ns, others = 0;

	*t0 = start;
	for (uint32_t i = 1;; i++) {
		r = ready(s);
		if (r || (yielding && last - start >= VSHM_YIELD_NS)) {
			if (yielding && !others)
				sp->contended /= 2;
			if (r > 0)
				vshm_spin_learn(sp, vshm_now_ns() - start, 0);
			return r;
		}
		if (yielding) {
			sched_yield();
			t = vshm_now_ns();
			if (t - last > VSHM_PREEMPT_NS) {
				others = 1;
				sp->contended = VSHM_CONTENDED_WAITS;
			}
			last = t;
			continue;
		}
		if (!sp->budget_ns)
			return 0;
		vshm_cpu_relax();
		if (i % 16)
			continue;
		t = vshm_now_ns();
		if (t - last > VSHM_PREEMPT_NS) {
			sp->budget_ns = 0;
			sp->contended = VSHM_CONTENDED_WAITS;
			yielding = others = 1;
			continue;
		}
		last = t;
		if (t - start >= sp->budget_ns)
			return 0;
	}
}

/* The connection is unusable: the first reason sticks (senders and the reader may race). */
static int vshm_broken(struct vshm *s, const char *why, int err)
{
	const char *none = NULL;

	/* release: whoever reads the reason with vshm_why sees the string */
	__atomic_compare_exchange_n(&s->why, &none, why, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	return err;
}

int vshm_sock_check(int sock, const char **why)
{
	char c;
	ssize_t n = recv(sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n > 0) {
		*why = "data on the shm liveness socket";
		return -EPROTO;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	*why = "the peer closed the liveness socket";
	return -EPIPE;
}

/*
 * Sleep until bell b rings or the liveness socket has news.  0 (look
 * again), or -EPIPE / -EPROTO when the connection is over.
 */
static int vshm_sleep(struct vshm *s, enum vshm_bell b)
{
	struct pollfd p[2] = {{s->reg.bell[b], POLLIN, 0}, {s->sock, POLLIN, 0}};
	const char *why;
	long n;
	int r;

	__atomic_add_fetch(&s->sleeps, 1, __ATOMIC_RELAXED); /* statistics only */
	n = syscall(SYS_ppoll, p, 2, NULL, NULL, sizeof(sigset_t));
	if (n < 0)
		return errno == EINTR ? 0 : vshm_broken(s, "poll on the shm bell failed", -EPIPE);
	if (p[1].revents) {
		r = vshm_sock_check(s->sock, &why);
		if (r)
			return vshm_broken(s, why, r);
	}
	if (p[0].revents)
		s->prov->drain(&s->reg, b);
	return 0;
}

static void vshm_ring(struct vshm *s, enum vshm_bell b)
{
	__atomic_add_fetch(&s->bells, 1, __ATOMIC_RELAXED); /* statistics only */
	s->prov->ring(&s->reg, b);
}

/* ---- the producer end -------------------------------------------------------- */

/*
 * Several threads may send.  The producer end is taken with one
 * compare-and-swap; a thread that finds it taken falls back to sleeping on
 * a futex (a mutex: Drepper, "Futexes are tricky", mutex 2), so contention
 * costs system calls and the uncontended path none.
 */
static void vshm_claim(struct vshm *s)
{
	uint32_t c = 0;

	/* acquire: the previous sender's ring bytes and counters happen before ours */
	if (__atomic_compare_exchange_n(&s->claim, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(&s->claim, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		syscall(SYS_futex, &s->claim, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
		c = __atomic_exchange_n(&s->claim, 2, __ATOMIC_ACQUIRE);
	}
}

static void vshm_unclaim(struct vshm *s)
{
	/* release: our ring bytes and counters happen before the next sender's claim */
	if (__atomic_exchange_n(&s->claim, 0, __ATOMIC_RELEASE) == 2)
		syscall(SYS_futex, &s->claim, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void vshm_publish(struct vshm *s)
{
	if (vring_publish(&s->tx))
		vshm_ring(s, s->tx_data);
}

static int vshm_tx_ready(struct vshm *s)
{
	int n = vring_space(&s->tx);

	return n < 0 ? vshm_broken(s, s->tx.why, -EPROTO) : n > 0;
}

/* The ring is full: wait for room (spin, then sleep on the room bell). */
static int vshm_wait_room(struct vshm *s)
{
	uint64_t t0;
	int r = vshm_spin(&s->tx_spin, vshm_tx_ready, s, &t0);

	while (r == 0) {
		int n = vring_tx_arm(&s->tx);

		if (n != 0) {
			vring_tx_disarm(&s->tx);
			return n < 0 ? vshm_broken(s, s->tx.why, -EPROTO) : 0;
		}
		r = vshm_sleep(s, s->tx_room);
		vring_tx_disarm(&s->tx);
		if (r)
			return r;
		r = vshm_tx_ready(s);
		if (r > 0)
			vshm_spin_learn(&s->tx_spin, vshm_now_ns() - t0, 1);
	}
	return r < 0 ? r : 0;
}

/* Copy n bytes in, publishing and waiting for room whenever the ring is full. */
static int vshm_put(struct vshm *s, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		int room = (int)vring_room(&s->tx), r;
		uint32_t k;

		/* look at the consumer's counter only when the room last seen is too small */
		if ((size_t)room < n)
			room = vring_space(&s->tx);
		if (room < 0)
			return vshm_broken(s, s->tx.why, -EPROTO);
		if (room == 0) {
			vshm_publish(s); /* the consumer drains what is there */
			r = vshm_wait_room(s);
			if (r)
				return r;
			continue;
		}
		k = vring_write(&s->tx, b, n < (size_t)room ? (uint32_t)n : (uint32_t)room);
		b += k;
		n -= k;
	}
	return 0;
}

int vshm_send(struct vshm *s, const struct wire_hdr *hdr, const struct iovec *iov, int niov)
{
	uint64_t total = 0;
	int r;

	if (niov < 0 || (niov > 0 && !iov))
		return -EINVAL;
	for (int i = 0; i < niov; i++)
		total += iov[i].iov_len;
	if (vdri_le32(hdr->len) < WIRE_HDR_SIZE || total != vdri_le32(hdr->len) - WIRE_HDR_SIZE)
		return -EINVAL;
	vshm_claim(s);
	r = vshm_why(s) ? -EPIPE : vshm_put(s, hdr, WIRE_HDR_SIZE);
	for (int i = 0; i < niov && !r; i++)
		r = vshm_put(s, iov[i].iov_base, iov[i].iov_len);
	if (!r)
		vshm_publish(s);
	vshm_unclaim(s);
	return r;
}

/* ---- the consumer end -------------------------------------------------------- */

int vshm_rx_pending(struct vshm *s)
{
	int n = vring_avail(&s->rx);

	return n < 0 ? vshm_broken(s, s->rx.why, -EPROTO) : n;
}

/* Bytes came after a spin gave up: teach the budget how long that took. */
static void vshm_rx_seen(struct vshm *s)
{
	if (s->rx_since) {
		vshm_spin_learn(&s->rx_spin, vshm_now_ns() - s->rx_since, 1);
		s->rx_since = 0;
	}
}

int vshm_recv(struct vshm *s, struct fio_rx *rx, const struct wire_hdr **frame)
{
	for (;;) {
		uint32_t room;
		uint8_t *dst;
		int r = fio_rx_next(rx, frame), n;

		if (r != -EAGAIN)
			return r;
		n = vring_avail(&s->rx);
		if (n < 0) {
			rx->why = s->rx.why;
			return vshm_broken(s, s->rx.why, -EPROTO);
		}
		if (n == 0)
			return vshm_why(s) ? -EPIPE : -EAGAIN;
		vshm_rx_seen(s);
		r = fio_rx_reserve(rx, &dst, &room);
		if (r)
			return r == -EEXIST ? -EAGAIN : r;
		fio_rx_produced(rx,
				vring_read(&s->rx, dst, (uint32_t)n < room ? (uint32_t)n : room));
		if (vring_room_wanted(&s->rx))
			vshm_ring(s, s->rx_room);
	}
}

static int vshm_rx_ready(struct vshm *s)
{
	int n = vshm_rx_pending(s);

	return n < 0 ? n : n > 0;
}

int vshm_spin_rx(struct vshm *s)
{
	uint64_t t0;
	int r = vshm_spin(&s->rx_spin, vshm_rx_ready, s, &t0);

	if (r == 0 && !s->rx_since)
		s->rx_since = t0;
	return r;
}

int vshm_wait(struct vshm *s)
{
	int r = vshm_spin_rx(s);

	while (r == 0) {
		r = vshm_rx_arm(s);
		if (r != 0) {
			vring_rx_disarm(&s->rx);
			break;
		}
		r = vshm_sleep(s, s->rx_data);
		vring_rx_disarm(&s->rx);
		if (r)
			return r;
		r = vshm_rx_ready(s);
	}
	return r < 0 ? r : 1;
}

int vshm_rx_arm(struct vshm *s)
{
	int n = vring_rx_arm(&s->rx);

	if (n < 0)
		return vshm_broken(s, s->rx.why, -EPROTO);
	return n > 0;
}

void vshm_rx_disarm(struct vshm *s)
{
	vring_rx_disarm(&s->rx);
}

void vshm_pollfds(const struct vshm *s, struct pollfd p[2])
{
	p[0] = (struct pollfd){s->reg.bell[s->rx_data], POLLIN, 0};
	p[1] = (struct pollfd){s->sock, POLLIN, 0};
}

int vshm_polled(struct vshm *s, const struct pollfd p[2])
{
	const char *why;
	int r;

	vring_rx_disarm(&s->rx);
	if (p[1].revents) {
		r = vshm_sock_check(s->sock, &why);
		if (r)
			return vshm_broken(s, why, r);
	}
	if (p[0].revents)
		s->prov->drain(&s->reg, s->rx_data);
	return 0;
}

int vshm_rx_fd(const struct vshm *s)
{
	return s->reg.bell[s->rx_data];
}

void vshm_rx_drain(struct vshm *s)
{
	s->prov->drain(&s->reg, s->rx_data);
}

void vshm_rx_kick(struct vshm *s)
{
	s->prov->ring(&s->reg, s->rx_data);
}

const char *vshm_why(const struct vshm *s)
{
	/* acquire: pairs with the release in vshm_broken */
	return __atomic_load_n(&s->why, __ATOMIC_ACQUIRE);
}

void vshm_set_spin(struct vshm *s, uint32_t max_us)
{
	vshm_spin_init(&s->rx_spin, max_us);
	vshm_spin_init(&s->tx_spin, max_us);
}
