/* SPDX-License-Identifier: MIT */
/*
 * test_shm.c - the shared-memory ring (core/ring.c) and the shm transport
 * (core/shm.c, core/shm_memfd.c) inside one process: wrapped copies,
 * counter checks against a hostile peer, the sleep flags, SHM_SETUP and
 * what the accepting side refuses, frames larger than the ring, several
 * sending threads, sleeping and waking, a peer that goes away, and fork.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"
#include "vdri/ring.h"
#include "vdri/shm.h"

/* ---- the ring alone ----------------------------------------------------------- */

struct lring {
	struct vring_ctrl ctrl;
	uint8_t data[4096];
};

static void lring_open(struct lring *l, struct vring *prod, struct vring *cons)
{
	memset(l, 0, sizeof(*l));
	CHECK_EQ(vring_init(prod, &l->ctrl, l->data, sizeof(l->data)), 0);
	CHECK_EQ(vring_init(cons, &l->ctrl, l->data, sizeof(l->data)), 0);
}

TEST(ring_sizes)
{
	struct lring l;
	struct vring r;

	CHECK_EQ(vring_init(&r, &l.ctrl, l.data, 4096), 0);
	CHECK_EQ(vring_init(&r, &l.ctrl, l.data, 4095), -EINVAL);
	CHECK_EQ(vring_init(&r, &l.ctrl, l.data, 2048), -EINVAL);
	CHECK_EQ(vring_init(&r, &l.ctrl, l.data, 3 * 4096), -EINVAL);
}

/* Many odd-sized pieces through a small ring: every byte arrives, in order, across the wrap. */
TEST(ring_wraps_in_order)
{
	static struct lring l;
	struct vring p, c;
	uint8_t in[1000], out[1000];
	uint32_t sent = 0, got = 0;

	lring_open(&l, &p, &c);
	for (int round = 0; round < 400; round++) {
		uint32_t n = 1 + (uint32_t)(round * 37 % 999), k;

		for (uint32_t i = 0; i < n; i++)
			in[i] = (uint8_t)(sent + i);
		CHECK(vring_space(&p) >= (int)n);
		CHECK_EQ(vring_write(&p, in, n), n);
		vring_publish(&p);
		sent += n;
		CHECK_EQ(vring_avail(&c), (int)n);
		k = vring_read(&c, out, n);
		CHECK_EQ(k, n);
		for (uint32_t i = 0; i < n; i++)
			if (out[i] != (uint8_t)(got + i))
				FAILF("byte %u of round %d: %u", i, round, out[i]);
		got += k;
	}
	/* the counters ran far past the ring's size */
	CHECK(got > 40 * 4096);
}

TEST(ring_full_and_room)
{
	static struct lring l;
	struct vring p, c;
	uint8_t buf[4096] = {0};

	lring_open(&l, &p, &c);
	CHECK_EQ(vring_space(&p), 4096);
	CHECK_EQ(vring_write(&p, buf, 5000), 4096); /* never more than the room */
	vring_publish(&p);
	CHECK_EQ(vring_space(&p), 0);
	CHECK_EQ(vring_avail(&c), 4096);
	CHECK_EQ(vring_read(&c, buf, 100), 100);
	CHECK_EQ(vring_room(&p), 0); /* the last look, until we look again */
	CHECK_EQ(vring_space(&p), 100);
	CHECK_EQ(vring_room(&p), 100);
}

/* A hostile producer: prod past the ring, prod moving back. */
TEST(ring_consumer_checks_prod)
{
	static struct lring l;
	struct vring p, c;
	uint8_t buf[64] = {0};

	lring_open(&l, &p, &c);
	l.ctrl.prod = 4097;
	CHECK_EQ(vring_avail(&c), -EPROTO);
	CHECK(strstr(c.why, "producer counter"));
	CHECK_EQ(vring_avail(&c), -EPROTO); /* sticky */

	lring_open(&l, &p, &c);
	vring_write(&p, buf, 64);
	vring_publish(&p);
	CHECK_EQ(vring_avail(&c), 64);
	CHECK_EQ(vring_read(&c, buf, 10), 10);
	l.ctrl.prod = 60; /* back, but still ahead of what was read */
	CHECK_EQ(vring_avail(&c), -EPROTO);

	lring_open(&l, &p, &c);
	l.ctrl.prod = 0xfffffff0u; /* "backwards" by 16 */
	CHECK_EQ(vring_avail(&c), -EPROTO);

	/* exactly full is fine */
	lring_open(&l, &p, &c);
	l.ctrl.prod = 4096;
	CHECK_EQ(vring_avail(&c), 4096);
}

/* A hostile consumer: cons past what was produced, cons moving back. */
TEST(ring_producer_checks_cons)
{
	static struct lring l;
	struct vring p, c;
	uint8_t buf[64] = {0};

	lring_open(&l, &p, &c);
	vring_write(&p, buf, 64);
	vring_publish(&p);
	l.ctrl.cons = 65;
	CHECK_EQ(vring_space(&p), -EPROTO);
	CHECK(strstr(p.why, "consumer counter"));

	lring_open(&l, &p, &c);
	vring_write(&p, buf, 64);
	vring_publish(&p);
	l.ctrl.cons = 32;
	CHECK_EQ(vring_space(&p), 4096 - 32);
	l.ctrl.cons = 16; /* backwards */
	CHECK_EQ(vring_space(&p), -EPROTO);
}

TEST(ring_sleep_flags)
{
	static struct lring l;
	struct vring p, c;
	uint8_t b = 1;

	lring_open(&l, &p, &c);
	/* nobody sleeps: no bell */
	vring_write(&p, &b, 1);
	CHECK_EQ(vring_publish(&p), 0);
	/* the consumer announces sleep but finds a byte: it must not sleep */
	CHECK_EQ(vring_rx_arm(&c), 1);
	vring_rx_disarm(&c);
	vring_read(&c, &b, 1);
	CHECK_EQ(vring_rx_arm(&c), 0);
	/* now it sleeps: the next publish rings, once */
	vring_write(&p, &b, 1);
	CHECK_EQ(vring_publish(&p), 1);
	vring_write(&p, &b, 1);
	CHECK_EQ(vring_publish(&p), 0);
	/* the producer waits for room: the consumer's next read says so, once */
	CHECK(vring_tx_arm(&p) > 0);
	vring_read(&c, &b, 1);
	CHECK_EQ(vring_room_wanted(&c), 1);
	CHECK_EQ(vring_room_wanted(&c), 0);
	vring_tx_disarm(&p);
}

/* ---- the transport -------------------------------------------------------------- */

struct pair {
	int sv[2];
	struct vshm *fe, *be; /* frontend and backend ends */
	struct fio_rx frx, brx;
};

static void pair_open(struct pair *p, uint32_t ring)
{
	struct wire_shm_setup st;
	int fds[VSHM_NFDS];
	const char *why = "";

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->sv));
	CHECK_EQ(vshm_create(&p->fe, &vshm_memfd, ring, p->sv[0]), 0);
	CHECK_EQ(vshm_offer(p->fe, p->sv[0], 1), 0);
	if (vshm_setup_recv(p->sv[1], 1000, &st, fds, &why) ||
	    vshm_attach(&p->be, &vshm_memfd, &st, fds, p->sv[1], &why))
		FAILF("backend side: %s", why);
	CHECK_EQ(fio_rx_init(&p->frx, 0, 0), 0);
	CHECK_EQ(fio_rx_init(&p->brx, 0, 1), 0);
}

static void pair_close(struct pair *p)
{
	vshm_destroy(p->fe);
	vshm_destroy(p->be);
	close(p->sv[0]);
	close(p->sv[1]);
	fio_rx_fini(&p->frx);
	fio_rx_fini(&p->brx);
}

/* Send a frame of op with len payload bytes of a pattern seeded by seed. */
static int send_frame(struct vshm *s, uint16_t op, uint16_t flags, uint32_t id, uint32_t len,
		      uint32_t seed)
{
	uint8_t *b = malloc(len + 1);
	struct iovec iov[2] = {{b, len / 2}, {b + len / 2, len - len / 2}};
	struct wire_hdr h;
	int r;

	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seed + i * 7);
	wire_hdr_init(&h, op, flags, id, 0, len);
	r = vshm_send(s, &h, iov, 2);
	free(b);
	return r;
}

/* Wait for the next frame and check its pattern. */
static const struct wire_hdr *recv_frame(struct vshm *s, struct fio_rx *rx, uint32_t len,
					 uint32_t seed)
{
	const struct wire_hdr *h;
	int r;

	while ((r = vshm_recv(s, rx, &h)) == -EAGAIN)
		CHECK_EQ(vshm_wait(s), 1);
	if (r != 1)
		FAILF("vshm_recv: %d (%s)", r, rx->why ? rx->why : "");
	CHECK_EQ(h->len, WIRE_HDR_SIZE + len);
	for (uint32_t i = 0; i < len; i++)
		if (((const uint8_t *)(h + 1))[i] != (uint8_t)(seed + i * 7))
			FAILF("payload byte %u of %u differs", i, len);
	return h;
}

TEST(shm_frames_both_ways)
{
	struct pair p;

	pair_open(&p, VSHM_RING_MIN);
	for (uint32_t i = 1; i <= 200; i++) {
		uint32_t len = (i * 131) % 3000;

		CHECK_EQ(send_frame(p.fe, WIRE_OP_PING, 0, i, len, i), 0);
		CHECK_EQ(recv_frame(p.be, &p.brx, len, i)->id, i);
		CHECK_EQ(send_frame(p.be, WIRE_OP_PING, WIRE_F_REPLY, i, len + 8, i), 0);
		CHECK_EQ(recv_frame(p.fe, &p.frx, len + 8, i)->id, i);
	}
	/* every frame handed out was 8-byte aligned in the receive buffer */
	pair_close(&p);
}

struct big_arg {
	struct vshm *s;
	uint16_t flags;
	uint32_t len, n;
	int r;
};

static void *big_sender(void *arg)
{
	struct big_arg *a = arg;

	for (uint32_t i = 0; i < a->n && !a->r; i++)
		a->r = send_frame(a->s, WIRE_OP_PING, a->flags, i + 1, a->len, i);
	return NULL;
}

/* Frames several times the ring's size go through in pieces, both ways. */
TEST(shm_frames_larger_than_the_ring)
{
	struct big_arg a;
	struct pair p;
	pthread_t t;

	pair_open(&p, VSHM_RING_MIN);
	a = (struct big_arg){p.fe, 0, 5 * VSHM_RING_MIN + 123, 4, 0};
	CHECK_EQ(pthread_create(&t, NULL, big_sender, &a), 0);
	for (uint32_t i = 0; i < a.n; i++)
		recv_frame(p.be, &p.brx, a.len, i);
	pthread_join(t, NULL);
	CHECK_EQ(a.r, 0);
	a = (struct big_arg){p.be, WIRE_F_REPLY, 3 * VSHM_RING_MIN + 5, 4, 0};
	CHECK_EQ(pthread_create(&t, NULL, big_sender, &a), 0);
	for (uint32_t i = 0; i < a.n; i++)
		recv_frame(p.fe, &p.frx, a.len, i);
	pthread_join(t, NULL);
	CHECK_EQ(a.r, 0);
	pair_close(&p);
}

#define SENDERS 4
#define PER_SENDER 1500

struct mt_arg {
	struct vshm *s;
	uint32_t who;
	int r;
};

static void *mt_sender(void *arg)
{
	struct mt_arg *a = arg;

	for (uint32_t i = 0; i < PER_SENDER && !a->r; i++) {
		uint32_t v[2] = {a->who, i};
		struct iovec iov = {v, sizeof(v)};
		struct wire_hdr h;

		wire_hdr_init(&h, WIRE_OP_PING, 0, a->who * PER_SENDER + i + 1, 0, sizeof(v));
		a->r = vshm_send(a->s, &h, &iov, 1);
	}
	return NULL;
}

/* Several threads send on one ring: every frame arrives whole, each sender's in order. */
TEST(shm_several_senders)
{
	struct mt_arg a[SENDERS];
	uint32_t next[SENDERS] = {0};
	pthread_t t[SENDERS];
	struct pair p;

	pair_open(&p, VSHM_RING_MIN);
	for (uint32_t i = 0; i < SENDERS; i++) {
		a[i] = (struct mt_arg){p.fe, i, 0};
		CHECK_EQ(pthread_create(&t[i], NULL, mt_sender, &a[i]), 0);
	}
	for (int n = 0; n < SENDERS * PER_SENDER; n++) {
		const struct wire_hdr *h;
		uint32_t v[2];
		int r;

		while ((r = vshm_recv(p.be, &p.brx, &h)) == -EAGAIN)
			CHECK_EQ(vshm_wait(p.be), 1);
		CHECK_EQ(r, 1);
		CHECK_EQ(h->len, WIRE_HDR_SIZE + sizeof(v));
		memcpy(v, h + 1, sizeof(v));
		CHECK(v[0] < SENDERS);
		CHECK_EQ(v[1], next[v[0]]);
		CHECK_EQ(h->id, v[0] * PER_SENDER + v[1] + 1);
		next[v[0]]++;
	}
	for (int i = 0; i < SENDERS; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ(a[i].r, 0);
	}
	pair_close(&p);
}

static void *late_sender(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};

	nanosleep(&ts, NULL);
	send_frame(arg, WIRE_OP_PING, 0, 7, 100, 7);
	return NULL;
}

/* A waiter that spins nothing sleeps on its bell; the sender rings it exactly once. */
TEST(shm_sleep_and_bell)
{
	struct pair p;
	pthread_t t;

	pair_open(&p, VSHM_RING_MIN);
	vshm_set_spin(p.be, 0);
	CHECK_EQ(pthread_create(&t, NULL, late_sender, p.fe), 0);
	CHECK_EQ(recv_frame(p.be, &p.brx, 100, 7)->id, 7);
	pthread_join(t, NULL);
	CHECK_EQ(p.be->sleeps >= 1, 1);
	CHECK_EQ(p.fe->bells, 1);
	pair_close(&p);
}

static void *late_closer(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};

	nanosleep(&ts, NULL);
	shutdown(*(int *)arg, SHUT_RDWR);
	return NULL;
}

/* The peer goes away while we wait: the liveness socket ends the wait. */
TEST(shm_peer_gone_ends_waits)
{
	struct pair p;
	pthread_t t;
	const struct wire_hdr *h;

	pair_open(&p, VSHM_RING_MIN);
	CHECK_EQ(pthread_create(&t, NULL, late_closer, &p.sv[1]), 0);
	CHECK_EQ(vshm_wait(p.fe), -EPIPE);
	pthread_join(t, NULL);
	CHECK(strstr(vshm_why(p.fe), "closed the liveness socket"));
	CHECK_EQ(vshm_recv(p.fe, &p.frx, &h), -EPIPE);
	CHECK_EQ(send_frame(p.fe, WIRE_OP_PING, 0, 1, 8, 0), -EPIPE);
	pair_close(&p);
}

/* A sender blocked on a full ring is released by the peer's end too. */
TEST(shm_full_ring_and_peer_gone)
{
	struct big_arg a;
	struct pair p;
	pthread_t t;

	pair_open(&p, VSHM_RING_MIN);
	a = (struct big_arg){p.fe, 0, 4 * VSHM_RING_MIN, 1, 0};
	CHECK_EQ(pthread_create(&t, NULL, big_sender, &a), 0);
	usleep(50000);
	shutdown(p.sv[1], SHUT_RDWR);
	pthread_join(t, NULL);
	CHECK_EQ(a.r, -EPIPE);
	pair_close(&p);
}

/* Data on the liveness socket after the setup is a protocol error. */
TEST(shm_data_on_liveness_socket)
{
	struct pair p;

	pair_open(&p, VSHM_RING_MIN);
	CHECK_EQ(write(p.sv[0], "x", 1), 1);
	vshm_set_spin(p.be, 0);
	CHECK_EQ(vshm_wait(p.be), -EPROTO);
	CHECK(strstr(vshm_why(p.be), "data on the shm liveness socket"));
	pair_close(&p);
}

/* The consumer meets garbage counters and frames: closed with a reason, never out of bounds. */
TEST(shm_corruption_detected)
{
	struct vshm_page *pg;
	const struct wire_hdr *h;
	struct pair p;

	pair_open(&p, VSHM_RING_MIN);
	pg = p.fe->reg.base;
	pg->req.prod = 0x7fffffffu;
	CHECK_EQ(vshm_recv(p.be, &p.brx, &h), -EPROTO);
	CHECK(strstr(p.brx.why, "producer counter"));
	CHECK_EQ(send_frame(p.be, WIRE_OP_PING, WIRE_F_REPLY, 1, 8, 0), -EPIPE);
	pair_close(&p);

	/* a header with a length beyond the frame limit */
	pair_open(&p, VSHM_RING_MIN);
	{
		struct wire_hdr bad;

		wire_hdr_init(&bad, WIRE_OP_PING, 0, 1, 0, 0);
		bad.len = 0x7fffffff;
		vring_write(&p.fe->tx, &bad, sizeof(bad));
		vring_publish(&p.fe->tx);
	}
	CHECK_EQ(vshm_recv(p.be, &p.brx, &h), -EPROTO);
	CHECK(strstr(p.brx.why, "frame"));
	pair_close(&p);

	/* the completion ring's consumer counter moved back: the backend's sends fail */
	pair_open(&p, VSHM_RING_MIN);
	CHECK_EQ(send_frame(p.be, WIRE_OP_PING, WIRE_F_REPLY, 1, 64, 0), 0);
	pg = p.fe->reg.base;
	pg->cpl.cons = 0xffffff00u;
	CHECK_EQ(send_frame(p.be, WIRE_OP_PING, WIRE_F_REPLY, 2, VSHM_RING_MIN, 0), -EPROTO);
	CHECK(strstr(vshm_why(p.be), "consumer counter"));
	pair_close(&p);
}

/* What the accepting side refuses in SHM_SETUP and in the region. */
TEST(shm_setup_refusals)
{
	struct wire_shm_setup st;
	struct vshm *s = NULL, *fe;
	int sv[2], fds[VSHM_NFDS], mfd;
	const char *why = "";

	/* a region that could be shrunk under the mapping */
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	CHECK_EQ(vshm_create(&fe, &vshm_memfd, VSHM_RING_MIN, sv[0]), 0);
	CHECK_EQ(vshm_offer(fe, sv[0], 1), 0);
	CHECK_EQ(vshm_setup_recv(sv[1], 1000, &st, fds, &why), 0);
	mfd = (int)syscall(SYS_memfd_create, "unsealed", MFD_CLOEXEC);
	CHECK_OK(ftruncate(mfd, (off_t)vdri_le64(st.region_size)));
	close(fds[0]);
	fds[0] = mfd;
	CHECK_EQ(vshm_attach(&s, &vshm_memfd, &st, fds, sv[1], &why), -EINVAL);
	CHECK(strstr(why, "not sealed against shrinking"));
	CHECK(!s);

	/* a bell that is not an eventfd */
	CHECK_EQ(vshm_offer(fe, sv[0], 1), 0);
	CHECK_EQ(vshm_setup_recv(sv[1], 1000, &st, fds, &why), 0);
	close(fds[2]);
	fds[2] = dup(sv[1]);
	CHECK_EQ(vshm_attach(&s, &vshm_memfd, &st, fds, sv[1], &why), -EINVAL);
	CHECK(strstr(why, "not an eventfd"));

	/* sizes that do not add up */
	CHECK_EQ(vshm_offer(fe, sv[0], 1), 0);
	CHECK_EQ(vshm_setup_recv(sv[1], 1000, &st, fds, &why), 0);
	st.region_size = vdri_le64(vdri_le64(st.region_size) * 2);
	CHECK_EQ(vshm_attach(&s, &vshm_memfd, &st, fds, sv[1], &why), -EINVAL);
	CHECK(strstr(why, "region size"));

	/* a plain frame without descriptors */
	{
		struct wire_hdr h;

		wire_hdr_init(&h, WIRE_OP_SHM_SETUP, 0, 1, 0, sizeof(st));
		CHECK_EQ(write(sv[0], &h, sizeof(h)), (ssize_t)sizeof(h));
		CHECK_EQ(write(sv[0], &st, sizeof(st)), (ssize_t)sizeof(st));
		CHECK_EQ(vshm_setup_recv(sv[1], 1000, &st, fds, &why), -EPROTO);
	}
	/* nothing at all */
	CHECK_EQ(vshm_setup_recv(sv[1], 50, &st, fds, &why), -ETIMEDOUT);
	vshm_destroy(fe);
	close(sv[0]);
	close(sv[1]);
}

/* A fork child does not get the mapping: it cannot touch its parent's rings. */
TEST(shm_region_not_inherited_by_fork)
{
	struct pair p;
	int st;
	pid_t pid;

	pair_open(&p, VSHM_RING_MIN);
	pid = fork();
	if (pid == 0) {
		unsigned char v;

		/* mincore fails with ENOMEM on an address that is not mapped */
		_exit(mincore(p.fe->reg.base, 4096, &v) == -1 && errno == ENOMEM ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pair_close(&p);
}

/* After exec the frontend takes its region over with the counters as they stand. */
TEST(shm_adopt_resumes_counters)
{
	struct pair p;
	struct vshm *again;
	const char *why = "";
	int fds[VSHM_NFDS];

	pair_open(&p, VSHM_RING_MIN);
	CHECK_EQ(send_frame(p.fe, WIRE_OP_PING, 0, 1, 1000, 1), 0);
	recv_frame(p.be, &p.brx, 1000, 1);
	CHECK_EQ(send_frame(p.be, WIRE_OP_PING, WIRE_F_REPLY, 1, 500, 2), 0);
	recv_frame(p.fe, &p.frx, 500, 2);
	fds[0] = dup(p.fe->reg.fd);
	for (int i = 0; i < VSHM_BELL_COUNT; i++)
		fds[i + 1] = dup(p.fe->reg.bell[i]);
	CHECK_EQ(vshm_adopt(&again, &vshm_memfd, fds, VSHM_RING_MIN, p.sv[0], &why), 0);
	CHECK_EQ(again->tx.pos, p.fe->tx.pos);
	CHECK_EQ(again->rx.pos, p.fe->rx.pos);
	vshm_destroy(p.fe);
	p.fe = again;
	CHECK_EQ(send_frame(p.fe, WIRE_OP_PING, 0, 2, 300, 3), 0);
	recv_frame(p.be, &p.brx, 300, 3);
	CHECK_EQ(send_frame(p.be, WIRE_OP_PING, WIRE_F_REPLY, 2, 300, 4), 0);
	recv_frame(p.fe, &p.frx, 300, 4);
	pair_close(&p);
}
