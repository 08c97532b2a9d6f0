/* SPDX-License-Identifier: MIT */
/*
 * shm.h - the shm transport (user space): wire frames through two rings in
 * a region of shared memory, one ring per direction, with no system call
 * on the fast path.  PROTOCOL.md §17 is the specification.
 *
 * Region: a 4 KiB control page (struct vshm_page: the two rings' counters
 * and sleep flags, each on its own cache line), then the request ring's
 * data (frontend -> backend), then the completion ring's (backend ->
 * frontend, replies and events), ring_size bytes each.
 *
 * Waiting: a consumer busy-polls for an adaptive time (struct vshm_spin),
 * then announces in the region that it sleeps and sleeps on its bell; a
 * producer rings the bell only when the consumer announced it, so a busy
 * connection makes no system call and an idle one costs no CPU.  The same
 * for a producer waiting for room in a full ring (frames larger than the
 * ring go through it in pieces).
 *
 * Liveness: the unix socket that carried the setup stays open and carries
 * nothing more; its end is the peer's end.  Every sleep also watches it,
 * so nobody waits for a dead peer.
 *
 * Providers: where the region and the bells come from.  Only memfd (same
 * host: a sealed memfd and four eventfds passed with SCM_RIGHTS) exists;
 * QEMU ivshmem (BAR 2 and doorbell vectors) and Xen (granted pages and
 * event channels) would be two more struct vshm_provider (not implemented).
 *
 * Threads: vshm_send may be called by any number of threads (the producer
 * end is claimed with one compare-and-swap; only contended senders fall
 * back to sleeping on a futex).  vshm_recv, vshm_wait and the arm calls
 * belong to one thread at a time, the caller's "reader" (as a stream fd's
 * read side does).
 */
#ifndef VDRI_SHM_H
#define VDRI_SHM_H

#include <poll.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vdri/frame_io.h"
#include "vdri/ring.h"
#include "vdri/wire.h"

#define VSHM_CTRL_SIZE 4096u
#define VSHM_RING_MIN (64u * 1024u)
#define VSHM_RING_MAX (64u * 1024u * 1024u)
#define VSHM_RING_DEFAULT (1024u * 1024u)
#define VSHM_SPIN_DEFAULT_US 200u /* the most a consumer busy-polls before sleeping */
#define VSHM_SPIN_MAX_US 10000u
#define VSHM_SETUP_TIMEOUT_MS 2000

/* The bells: who sleeps on each, and who rings it. */
enum vshm_bell {
	VSHM_BELL_REQ_DATA = 0, /* backend sleeps: requests posted; the frontend rings */
	VSHM_BELL_REQ_ROOM,	/* frontend sleeps: room in the request ring; the backend rings */
	VSHM_BELL_CPL_DATA,	/* frontend sleeps: replies or events posted; the backend rings */
	VSHM_BELL_CPL_ROOM, /* backend sleeps: room in the completion ring; the frontend rings */
	VSHM_BELL_COUNT
};
/* Descriptors in SHM_SETUP, in this order: the region, then the bells. */
#define VSHM_NFDS (1 + VSHM_BELL_COUNT)

/* The control page (page 0 of the region). */
struct vshm_page {
	uint32_t magic; /* WIRE_SHM_MAGIC */
	uint16_t version;
	uint16_t reserved0;
	uint32_t ring_size;
	uint32_t reserved1;
	uint64_t region_size;
	uint8_t pad[VRING_LINE - 24];
	struct vring_ctrl req; /* frontend produces, backend consumes */
	struct vring_ctrl cpl; /* backend produces, frontend consumes */
};
vdri_static_assert(sizeof(struct vshm_page) == 9 * VRING_LINE, "vshm_page layout");

/* What a provider gives: a mapped region and the bells. */
struct vshm_region {
	void *base;
	uint64_t size;
	int fd;			   /* the region's descriptor, -1 when it has none */
	int bell[VSHM_BELL_COUNT]; /* pollable descriptors; the same four on both sides */
};

struct vshm_provider {
	const char *name;
	/* The offering side: a zeroed region of size bytes and new bells. */
	int (*create)(struct vshm_region *reg, uint64_t size);
	/* The accepting side: map reg->fd, checking what a peer could abuse. */
	int (*map)(struct vshm_region *reg, uint64_t size, const char **why);
	/* Ring bell b (the peer is asleep on it). */
	void (*ring)(const struct vshm_region *reg, enum vshm_bell b);
	/* Reset bell b after waking on it. */
	void (*drain)(const struct vshm_region *reg, enum vshm_bell b);
	/* Close everything; unmap unless the mapping is not ours (a fork child's). */
	void (*release)(struct vshm_region *reg, int unmap);
};
/* Same host: a sealed memfd (never shrinkable by the peer) and four eventfds. */
extern const struct vshm_provider vshm_memfd;

/* How long a waiter busy-polls before it sleeps; adapts to what paid off. */
struct vshm_spin {
	uint32_t budget_ns;
	uint32_t max_ns;    /* 0: never spin */
	uint32_t contended; /* waits left that yield the CPU instead of spinning */
};

struct vshm {
	const struct vshm_provider *prov;
	struct vshm_region reg;
	struct vring tx, rx; /* tx: the ring we produce into */
	enum vshm_bell tx_data, tx_room, rx_data, rx_room;
	int sock; /* the liveness socket (not owned) */
	int is_backend;
	uint32_t ring_size;
	uint32_t claim; /* the producer end: 0 free, 1 taken, 2 taken and waited for */
	struct vshm_spin rx_spin, tx_spin;
	uint64_t rx_since; /* a receive spin gave up at this time: learn when bytes come */
	const char *why;   /* set once the connection is unusable (sticky) */
	/* statistics for the log (relaxed atomics): bells rung, sleeps */
	uint64_t bells, sleeps;
};

/* ---- setting up ----------------------------------------------------------- */

/* Frontend: a new region from prov, rings of ring_size bytes.  0 or -errno. */
int vshm_create(struct vshm **out, const struct vshm_provider *prov, uint32_t ring_size, int sock);
/* Frontend: send SHM_SETUP (request id) with the region's descriptors on the unix socket. */
int vshm_offer(const struct vshm *s, int sock, uint32_t id);
/*
 * Backend: read the SHM_SETUP that follows a HELLO asking for WIRE_FEAT_SHM,
 * waiting up to timeout_ms.  On success fds[VSHM_NFDS] are the caller's.
 * 0, or -errno with the reason in *why.
 */
int vshm_setup_recv(int sock, int timeout_ms, struct wire_shm_setup *setup, int *fds,
		    const char **why);
/* Backend: map what SHM_SETUP offered.  Takes the fds, even on failure. */
int vshm_attach(struct vshm **out, const struct vshm_provider *prov,
		const struct wire_shm_setup *setup, int *fds, int sock, const char **why);
/* Frontend after exec: take the region over again, counters as they stand. */
int vshm_adopt(struct vshm **out, const struct vshm_provider *prov, int *fds, uint32_t ring_size,
	       int sock, const char **why);
void vshm_destroy(struct vshm *s);
/* In a fork child: the mapping was not inherited; close the descriptors only. */
void vshm_forget(struct vshm *s);
/* The most a waiter busy-polls, in µs (0: sleep at once). */
void vshm_set_spin(struct vshm *s, uint32_t max_us);

/* ---- frames --------------------------------------------------------------- */

/*
 * Send one frame: the header, then niov buffers totalling hdr->len - 16
 * (as fio_send).  Waits for room when the ring is full.  0, -EINVAL, -EPIPE
 * (peer gone), -EPROTO (the peer corrupted the ring; vshm_why says how).
 */
int vshm_send(struct vshm *s, const struct wire_hdr *hdr, const struct iovec *iov, int niov);
/*
 * Get the next frame into rx, without waiting (as fio_recv on a
 * non-blocking fd): 1 and *frame; -EAGAIN; -EPROTO (rx->why says why: a
 * bad header or a bad ring); -EPIPE when the connection is known dead.
 */
int vshm_recv(struct vshm *s, struct fio_rx *rx, const struct wire_hdr **frame);
/*
 * Wait until the receive ring has bytes: spin, then sleep on the bell and
 * the liveness socket.  1; -EPIPE (peer gone) or -EPROTO.
 */
int vshm_wait(struct vshm *s);
/*
 * Only the busy-poll of vshm_wait (for a caller that sleeps elsewhere):
 * 1 bytes came, 0 the budget ran out, or -EPROTO.
 */
int vshm_spin_rx(struct vshm *s);
/* Bytes ready in the receive ring (> 0), 0, or -EPROTO; no waiting. */
int vshm_rx_pending(struct vshm *s);

/*
 * For a caller that sleeps in its own poll or epoll: announce the sleep
 * (1 when bytes came meanwhile: do not sleep; call vshm_rx_disarm), poll
 * vshm_pollfds, then vshm_polled (drains the bell; -EPIPE or -EPROTO when
 * the socket says the peer is gone or misbehaved).
 */
int vshm_rx_arm(struct vshm *s);
void vshm_rx_disarm(struct vshm *s);
void vshm_pollfds(const struct vshm *s, struct pollfd p[2]);
int vshm_polled(struct vshm *s, const struct pollfd p[2]);
/* The receive bell's descriptor (an epoll set watches it). */
int vshm_rx_fd(const struct vshm *s);
/* Drain the receive bell. */
void vshm_rx_drain(struct vshm *s);
/* Ring our own receive bell: whoever watches it looks at the ring. */
void vshm_rx_kick(struct vshm *s);
/* The liveness socket says: 0 nothing, -EPIPE peer gone, -EPROTO data on it. */
int vshm_sock_check(int sock, const char **why);
/* Why the connection broke (a static string), or NULL. */
const char *vshm_why(const struct vshm *s);

#endif /* VDRI_SHM_H */
