/* SPDX-License-Identifier: MIT */
/*
 * conn.c - the frontend's connection to vdri-backd: connect and HELLO,
 * requests from many threads multiplexed by id, a reader thread that
 * completes requests and applies readiness events, failure handling (a
 * lost connection fails every request with EIO at once and marks every
 * file dead), reconnection on the next open, and fork (the child attaches
 * to the session with a fork token).
 *
 * Over shm: (VDRI_ADDR=shm:PATH) the frames go through shared-memory rings
 * (core/shm.h) set up right after connecting; the socket then only tells
 * whether the backend is alive.  The reader busy-polls for its reply
 * before it sleeps; the rest of this file does not change.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "drm-front/preload/front.h"

static struct fconn *cur; /* the process's connection (front_lock) */
static pthread_mutex_t connect_lock = PTHREAD_MUTEX_INITIALIZER;

static void futex_wait(uint32_t *w, uint32_t val)
{
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

const void *reply_body(const struct wire_hdr *r, uint32_t *len)
{
	*len = r->len - WIRE_HDR_SIZE - (uint32_t)sizeof(struct wire_reply);
	return (const uint8_t *)(r + 1) + sizeof(struct wire_reply);
}

/* ---- lifetime ------------------------------------------------------------- */

/* The shm region's and bells' descriptors are the library's, not the guest's. */
static void conn_shm_mark(struct fconn *c, int on)
{
	if (!c->shm)
		return;
	front_private_mark(c->shm->reg.fd, on);
	for (int i = 0; i < VSHM_BELL_COUNT; i++)
		front_private_mark(c->shm->reg.bell[i], on);
}

static void conn_free(struct fconn *c)
{
	conn_shm_mark(c, 0);
	vshm_destroy(c->shm);
	if (c->fd >= 0) {
		front_private_mark(c->fd, 0);
		real.close(c->fd);
	}
	if (c->kick_fd >= 0) {
		front_private_mark(c->kick_fd, 0);
		real.close(c->kick_fd);
	}
	fio_rx_fini(&c->rx);
	free(c->byhandle);
	free(c);
}

void conn_put(struct fconn *c)
{
	int last;

	pthread_mutex_lock(&front_lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&front_lock);
	if (last)
		conn_free(c);
}

/* Caller holds front_lock; a waiter marks itself sleeping under it. */
static void waiter_bump(struct waiter *w)
{
	__atomic_add_fetch(&w->word, 1, __ATOMIC_RELEASE);
	if (w->sleeping)
		futex_wake(&w->word);
}

static void bg_bump_locked(struct fconn *c)
{
	__atomic_add_fetch(&c->bg_word, 1, __ATOMIC_RELEASE);
	futex_wake(&c->bg_word);
}

/* Caller holds front_lock. */
static void conn_fail_locked(struct fconn *c, const char *why)
{
	if (c->dead)
		return;
	c->dead = 1;
	front_log("connection to %s lost: %s", fcfg.addr_uri, why);
	for (struct waiter *w = c->waiters, *next; w; w = next) {
		next = w->next;
		w->err = -EIO;
		__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
		waiter_bump(w);
	}
	c->waiters = NULL;
	rfile_conn_died_locked(c);
	bg_bump_locked(c);
	/* Wake a thread blocked in poll on the socket so it sees the end too
	 * (over shm too: every sleep there watches the socket). */
	shutdown(c->fd, SHUT_RDWR);
}

/* ---- reading: whoever holds the role ---------------------------------------- */

static void on_event(struct fconn *c, const struct wire_hdr *h)
{
	const struct wire_event *ev = (const void *)(h + 1);

	pthread_mutex_lock(&front_lock);
	if (h->handle < c->nbyhandle && c->byhandle[h->handle]) {
		c->byhandle[h->handle]->evseq++;
		rfile_set_revents_locked(c->byhandle[h->handle], vdri_le32(ev->revents));
	} else {
		c->missed[c->nmissed++ % 8] = h->handle;
	}
	pthread_mutex_unlock(&front_lock);
}

static void on_reply(struct fconn *c, const struct wire_hdr *h)
{
	struct waiter **pp, *w = NULL;
	void *copy = malloc(h->len);

	pthread_mutex_lock(&front_lock);
	for (pp = &c->waiters; *pp; pp = &(*pp)->next)
		if ((*pp)->id == h->id) {
			w = *pp;
			*pp = w->next;
			break;
		}
	if (w) {
		if (copy)
			memcpy(copy, h, h->len);
		else
			w->err = -ENOMEM;
		w->frame = copy;
		copy = NULL;
		__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
		waiter_bump(w);
	}
	pthread_mutex_unlock(&front_lock);
	free(copy); /* unknown id: a request of an image replaced by exec */
}

/* Wait until the connection has bytes to read: 0, or -errno when it is over. */
static int role_wait(struct fconn *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	int r;

	if (c->shm) {
		r = vshm_wait(c->shm); /* spin, then sleep on the bell and the socket */
		return r < 0 ? r : 0;
	}
	if (real.poll(&p, 1, -1) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

static int role_recv(struct fconn *c, const struct wire_hdr **h)
{
	return c->shm ? vshm_recv(c->shm, &c->rx, h) : fio_recv(&c->rx, c->fd, h);
}

static const char *role_why(struct fconn *c, int r)
{
	if (r == 0)
		return "closed by the backend";
	if (r == -EPROTO)
		return c->rx.why ? c->rx.why : c->shm ? vshm_why(c->shm) : "protocol error";
	if (c->shm && vshm_why(c->shm))
		return vshm_why(c->shm);
	return strerror(-r);
}

/*
 * Read and dispatch the frames that are there (block: wait for at least
 * one).  Returns the number dispatched, or -errno when the connection is
 * over (*why says why).
 */
static int role_read(struct fconn *c, int block, const char **why)
{
	const struct wire_hdr *h;
	int n = 0, r = 0;

	/* A requester has just sent: wait first rather than read EAGAIN. */
	if (block && !fio_rx_has_frame(&c->rx))
		r = role_wait(c);
	while (r == 0) {
		r = role_recv(c, &h);
		if (r == 1) {
			if (h->flags & WIRE_F_EVENT)
				on_event(c, h);
			else
				on_reply(c, h);
			n++;
			/* Nothing more buffered: no read for EAGAIN (a ring's costs none). */
			if (!c->shm && !fio_rx_has_frame(&c->rx))
				return n;
			r = 0;
		} else if (r == -EAGAIN || r == -EINTR) {
			if (n || !block)
				return n;
			r = role_wait(c);
		} else {
			break; /* 0 is the end of the stream here */
		}
	}
	*why = role_why(c, r);
	return r < 0 ? r : -ECONNRESET;
}

/* Give the role up; caller holds front_lock.  One waiter may take it next. */
static void role_release_locked(struct fconn *c, int r, const char *why)
{
	c->role = ROLE_NONE;
	if (r < 0)
		conn_fail_locked(c, why);
	if (c->waiters)
		waiter_bump(c->waiters);
	else if (front_readiness_waiters_locked())
		bg_bump_locked(c);
}

/*
 * The background thread reads readiness events while the connection is
 * idle.  It takes the socket only after BG_GRACE_NS without requests (or
 * at once when a thread waits for readiness), so a busy requester never
 * has to pull it out of its poll.
 */
#define BG_GRACE_NS 5000000 /* each wake-up costs a request's worth under emulation */

static void bg_wait(struct fconn *c)
{
	struct timespec ts = {0, BG_GRACE_NS};
	uint32_t seq = __atomic_load_n(&c->bg_word, __ATOMIC_ACQUIRE);

	pthread_mutex_unlock(&front_lock);
	syscall(SYS_futex, &c->bg_word, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
	pthread_mutex_lock(&front_lock);
}

/*
 * The background reader over shm: no spinning (an idle guest costs no
 * CPU), the ring announced as asleep, then one poll on the bell, the
 * liveness socket and the kick eventfd.
 */
static int bg_read_shm(struct fconn *c, const char **why)
{
	struct pollfd p[3];
	uint64_t v;
	int r = vshm_rx_arm(c->shm);

	if (r == 0) {
		vshm_pollfds(c->shm, p);
		p[2] = (struct pollfd){.fd = c->kick_fd, .events = POLLIN};
		if (real.poll(p, 3, -1) < 0)
			p[0].revents = p[1].revents = p[2].revents = 0;
		r = vshm_polled(c->shm, p);
		if (p[2].revents && syscall(SYS_read, c->kick_fd, &v, sizeof(v)) < 0)
			v = 0;
	} else {
		vshm_rx_disarm(c->shm);
	}
	if (r < 0) {
		*why = role_why(c, r);
		return r;
	}
	return role_read(c, 0, why);
}

static void *bg_main(void *arg)
{
	struct fconn *c = arg;
	uint64_t seen = (uint64_t)-1;

	pthread_mutex_lock(&front_lock);
	while (!c->dead) {
		struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
				      {.fd = c->kick_fd, .events = POLLIN}};
		const char *why = NULL;
		uint64_t v;
		int r = 0;

		if (c->inflight || c->role != ROLE_NONE ||
		    (c->activity != seen && !front_readiness_waiters_locked())) {
			seen = c->activity;
			bg_wait(c);
			continue;
		}
		c->role = ROLE_BG;
		c->kicked = 0;
		pthread_mutex_unlock(&front_lock);
		if (c->shm)
			r = bg_read_shm(c, &why);
		else if (real.poll(p, 2, -1) > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			r = role_read(c, 0, &why);
		if (!c->shm && p[1].revents && syscall(SYS_read, c->kick_fd, &v, sizeof(v)) < 0)
			v = 0;
		pthread_mutex_lock(&front_lock);
		role_release_locked(c, r, why);
	}
	pthread_mutex_unlock(&front_lock);
	conn_put(c);
	return NULL;
}

/* A thread starts waiting for readiness: make sure someone reads events. */
void conn_want_events_locked(void)
{
	struct fconn *c = cur;

	if (c && !c->dead && c->role == ROLE_NONE && !c->inflight)
		bg_bump_locked(c);
}

void conn_start_reader(struct fconn *c)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&front_lock);
	c->refs++;
	pthread_mutex_unlock(&front_lock);
	if (pthread_create(&c->reader, NULL, bg_main, c) == 0) {
		pthread_detach(c->reader);
		c->reader_started = 1;
	} else {
		pthread_mutex_lock(&front_lock);
		c->refs--;
		conn_fail_locked(c, "cannot start the background reader");
		pthread_mutex_unlock(&front_lock);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- connecting ------------------------------------------------------------- */

/* Move fd above the range applications use, keep it across exec. */
static int fd_to_private(int fd, int cloexec)
{
	int nfd = real.fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, FRONT_PRIVATE_FD_MIN);

	if (nfd < 0)
		nfd = fd;
	else
		real.close(fd);
	front_private_mark(nfd, 1);
	return nfd;
}

/*
 * After HELLO: the socket becomes non-blocking (readers wait in poll, so
 * the background thread can be pulled out), plus the kick eventfd and the
 * receive buffer.
 */
static int conn_setup_io(struct fconn *c)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	c->kick_fd = -1;
	if (fd < 0)
		return -errno;
	c->kick_fd = real.fcntl(fd, F_DUPFD_CLOEXEC, FRONT_PRIVATE_FD_MIN);
	real.close(fd);
	if (c->kick_fd < 0)
		return -errno;
	front_private_mark(c->kick_fd, 1);
	real.fcntl(c->fd, F_SETFL, real.fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	return fio_rx_init(&c->rx, c->max_frame, 0);
}

/* HELLO on a fresh fd, read synchronously before the reader exists. */
static int conn_hello(struct fconn *c, uint64_t session, uint64_t token)
{
	size_t nlen = strlen(fcfg.name);
	struct wire_hello hl = {.magic = vdri_le32(WIRE_MAGIC),
				.version_min = WIRE_VERSION,
				.version_max = WIRE_VERSION,
				.features = WIRE_FEAT_ALL | (c->shm ? WIRE_FEAT_SHM : 0),
				.session = session,
				.attach_token = token,
				.pid = (uint32_t)getpid(),
				.name_len = (uint16_t)nlen,
				.token_len = fcfg.token_len};
	/* the token follows the name: the daemon picks the guest's policy by it */
	struct iovec iov[3] = {{&hl, sizeof(hl)}, {fcfg.name, nlen}, {fcfg.token, fcfg.token_len}};
	const struct wire_hello_reply *rep;
	const struct wire_hdr *h;
	struct wire_hdr hdr;
	struct fio_rx rx;
	uint32_t blen;
	int r;

	wire_hdr_init(&hdr, WIRE_OP_HELLO, 0, 1, 0, (uint32_t)(sizeof(hl) + nlen + fcfg.token_len));
	r = fio_send(c->fd, &hdr, iov, 3);
	/* the rings' descriptors right behind it: the worker answers both at once */
	if (!r && c->shm)
		r = vshm_offer(c->shm, c->fd, 1);
	if (r)
		return r;
	if (fio_rx_init(&rx, WIRE_FRAME_MIN_LIMIT, 0))
		return -ENOMEM;
	r = fio_recv(&rx, c->fd, &h);
	if (r == 1 && (h->op != WIRE_OP_HELLO || !(h->flags & WIRE_F_REPLY)))
		r = -EPROTO;
	if (r == 1) {
		int64_t res = ((const struct wire_reply *)(h + 1))->result;

		rep = reply_body(h, &blen);
		r = res < 0 ? (int)res : blen < sizeof(*rep) ? -EPROTO : 0;
		if (!r && c->shm && !(rep->features & WIRE_FEAT_SHM))
			r = -EPROTO; /* it cannot have read the frames that follow as ours */
		if (!r) {
			c->session = rep->session;
			c->max_frame = rep->max_frame;
			c->features = rep->features;
		}
	} else if (r >= 0) {
		r = -ECONNRESET;
	}
	fio_rx_fini(&rx);
	return r;
}

/* shm: the rings, their descriptors moved out of the guest's range (kept across exec). */
static int conn_shm_create(struct fconn *c)
{
	struct vshm_region *reg;
	int r = vshm_create(&c->shm, &vshm_memfd, fcfg.shm_ring, c->fd);

	if (r)
		return r;
	reg = &c->shm->reg;
	reg->fd = fd_to_private(reg->fd, 0);
	for (int i = 0; i < VSHM_BELL_COUNT; i++)
		reg->bell[i] = fd_to_private(reg->bell[i], 0);
	vshm_set_spin(c->shm, fcfg.shm_spin_us);
	return 0;
}

static struct fconn *conn_new(uint64_t session, uint64_t token, int *err)
{
	struct fconn *c = calloc(1, sizeof(*c));
	int fd;

	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	fd = vt_connect(&fcfg.addr, fcfg.timeout_ms);
	if (fd < 0) {
		free(c);
		*err = fd;
		return NULL;
	}
	c->fd = fd_to_private(fd, 0);
	c->kick_fd = -1;
	c->refs = 1;
	c->next_id = 1;
	pthread_mutex_init(&c->tx, NULL);
	*err = fcfg.addr.kind == VT_SHM ? conn_shm_create(c) : 0;
	if (!*err)
		*err = conn_hello(c, session, token);
	if (!*err)
		*err = conn_setup_io(c);
	if (*err) {
		front_log("HELLO to %s failed: %s", fcfg.addr_uri, strerror(-*err));
		conn_free(c);
		return NULL;
	}
	return c;
}

struct fconn *conn_adopt(int fd, uint64_t session, uint32_t max_frame, int *shm_fds,
			 uint32_t ring_size)
{
	struct fconn *c = calloc(1, sizeof(*c));
	const char *why = NULL;

	if (!c)
		return NULL;
	if (shm_fds && vshm_adopt(&c->shm, &vshm_memfd, shm_fds, ring_size, fd, &why)) {
		front_log("after exec: shm rings not adopted: %s", why);
		free(c);
		return NULL;
	}
	if (c->shm) {
		conn_shm_mark(c, 1);
		vshm_set_spin(c->shm, fcfg.shm_spin_us);
	}
	c->fd = fd;
	c->refs = 1;
	c->session = session;
	c->max_frame = max_frame >= WIRE_FRAME_MIN_LIMIT && max_frame <= WIRE_FRAME_MAX_LIMIT
			   ? max_frame
			   : WIRE_FRAME_DEFAULT_LIMIT;
	/* Ids of requests the previous image left unanswered must not match. */
	c->next_id = 0x80000000u;
	pthread_mutex_init(&c->tx, NULL);
	if (conn_setup_io(c)) {
		c->fd = -1; /* the caller still owns fd */
		conn_free(c);
		return NULL;
	}
	pthread_mutex_lock(&front_lock);
	cur = c;
	pthread_mutex_unlock(&front_lock);
	return c;
}

int front_conn_fd(void)
{
	return cur ? cur->fd : -1;
}

int front_conn_shm(int *fds, uint32_t *ring_size)
{
	if (!cur || !cur->shm)
		return 0;
	fds[0] = cur->shm->reg.fd;
	memcpy(fds + 1, cur->shm->reg.bell, sizeof(cur->shm->reg.bell));
	*ring_size = cur->shm->ring_size;
	return 1;
}

uint32_t front_conn_max_frame(void)
{
	return cur ? cur->max_frame : WIRE_FRAME_DEFAULT_LIMIT;
}

uint64_t front_conn_session(void)
{
	return cur ? cur->session : 0;
}

struct fconn *conn_get_current(void)
{
	struct fconn *c, *old;
	int err;

	pthread_mutex_lock(&front_lock);
	c = cur;
	if (c && !c->dead) {
		c->refs++;
		pthread_mutex_unlock(&front_lock);
		return c;
	}
	pthread_mutex_unlock(&front_lock);
	pthread_mutex_lock(&connect_lock);
	c = conn_new(0, 0, &err);
	if (!c) {
		pthread_mutex_unlock(&connect_lock);
		front_log("cannot reach the backend at %s: %s", fcfg.addr_uri, strerror(-err));
		errno = -err;
		return NULL;
	}
	conn_start_reader(c);
	pthread_mutex_lock(&front_lock);
	old = cur;
	cur = c;
	c->refs++;
	pthread_mutex_unlock(&front_lock);
	pthread_mutex_unlock(&connect_lock);
	if (old)
		conn_put(old);
	state_save();
	return c;
}

/* After fork: start the child's reader once front_lock is released. */
void conn_child_start(void)
{
	if (cur && !cur->dead && !cur->reader_started)
		conn_start_reader(cur);
}

/* Wait for w: read the socket ourselves whenever nobody else does. */
static void wait_reply(struct fconn *c, struct waiter *w)
{
	pthread_mutex_lock(&front_lock);
	while (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE)) {
		uint32_t seq;

		if (c->role == ROLE_NONE) {
			const char *why = NULL;
			int r;

			c->role = ROLE_REQ;
			pthread_mutex_unlock(&front_lock);
			r = role_read(c, 1, &why);
			pthread_mutex_lock(&front_lock);
			role_release_locked(c, r, why);
			continue;
		}
		if (c->role == ROLE_BG && !c->kicked) {
			uint64_t one = 1;

			c->kicked = 1;
			syscall(SYS_write, c->kick_fd, &one, sizeof(one));
		}
		seq = __atomic_load_n(&w->word, __ATOMIC_ACQUIRE);
		w->sleeping = 1;
		pthread_mutex_unlock(&front_lock);
		futex_wait(&w->word, seq);
		pthread_mutex_lock(&front_lock);
		w->sleeping = 0;
	}
	c->inflight--;
	if (c->role == ROLE_NONE && c->waiters)
		waiter_bump(c->waiters);
	else if (c->role == ROLE_NONE && !c->inflight && front_readiness_waiters_locked())
		bg_bump_locked(c);
	pthread_mutex_unlock(&front_lock);
}

/* ---- requests ----------------------------------------------------------------- */

int64_t conn_call(struct fconn *c, uint16_t op, uint32_t handle, const struct iovec *iov, int niov,
		  struct wire_hdr **reply)
{
	struct waiter w = {0};
	struct wire_hdr h;
	uint64_t len = 0;
	int r;

	*reply = NULL;
	for (int i = 0; i < niov; i++)
		len += iov[i].iov_len;
	if (len + WIRE_HDR_SIZE > c->max_frame)
		return -E2BIG;
	pthread_mutex_lock(&front_lock);
	if (c->dead) {
		pthread_mutex_unlock(&front_lock);
		return -EIO;
	}
	w.id = c->next_id++;
	if (!w.id)
		w.id = c->next_id++;
	c->inflight++;
	c->activity++;
	w.next = c->waiters;
	/* w lives until done: the reader or conn_fail_locked unlinks it first. */
	/* cppcheck-suppress autoVariables */
	c->waiters = &w;
	pthread_mutex_unlock(&front_lock);
	wire_hdr_init(&h, op, 0, w.id, handle, (uint32_t)len);
	if (c->shm) {
		r = vshm_send(c->shm, &h, iov, niov); /* claims the ring's producer end itself */
	} else {
		pthread_mutex_lock(&c->tx);
		r = fio_send(c->fd, &h, iov, niov);
		pthread_mutex_unlock(&c->tx);
	}
	if (r) {
		pthread_mutex_lock(&front_lock);
		conn_fail_locked(c, c->shm && vshm_why(c->shm) ? vshm_why(c->shm) : strerror(-r));
		pthread_mutex_unlock(&front_lock);
	}
	wait_reply(c, &w);
	if (w.err) {
		free(w.frame);
		return w.err;
	}
	*reply = w.frame;
	return ((const struct wire_reply *)((struct wire_hdr *)w.frame + 1))->result;
}

/* ---- fork ---------------------------------------------------------------------- */

uint64_t conn_fork_token(void)
{
	struct fconn *c;
	struct wire_hdr *rep = NULL;
	uint64_t token = 0;
	uint32_t len;

	pthread_mutex_lock(&front_lock);
	c = cur;
	if (c && !c->dead)
		c->refs++;
	else
		c = NULL;
	pthread_mutex_unlock(&front_lock);
	if (!c)
		return 0;
	if (conn_call(c, WIRE_OP_FORK, 0, NULL, 0, &rep) == 0) {
		const struct wire_fork_reply *fr = reply_body(rep, &len);

		if (len >= sizeof(*fr))
			token = fr->token;
	}
	free(rep);
	conn_put(c);
	return token;
}

/*
 * In the child (single-threaded, front_lock held by us since prepare):
 * the parent's connection is not ours to read; open our own and attach.
 */
void conn_after_fork_child(uint64_t token, int had_conn)
{
	struct fconn *old = cur, *c = NULL;
	int err = 0;

	if (!old)
		return;
	front_private_mark(old->fd, 0);
	real.close(old->fd);
	old->fd = -1;
	/* The parent's rings: not mapped here (MADV_DONTFORK), never to be used by us. */
	conn_shm_mark(old, 0);
	vshm_forget(old->shm);
	old->shm = NULL;
	old->waiters = NULL;
	if (had_conn && token && !old->dead)
		c = conn_new(old->session, token, &err);
	if (c) {
		c->byhandle = old->byhandle;
		c->nbyhandle = old->nbyhandle;
		old->byhandle = NULL;
		for (uint32_t h = 0; h < c->nbyhandle; h++)
			if (c->byhandle[h]) {
				c->byhandle[h]->conn = c;
				c->refs++;
			}
		cur = c;
	} else {
		old->dead = 1;
		rfile_conn_died_locked(old);
		front_log("child %d could not attach to the session: %s", (int)getpid(),
			  err ? strerror(-err) : "no fork token");
		return;
	}
	/* The rfiles' references moved to c; old is unreachable now. */
	old->fd = -1;
	conn_free(old);
}
