/* SPDX-License-Identifier: MIT */
/*
 * worker.c - a session worker process: a pool of threads around one epoll
 * set holding the session's connections (one-shot, so one thread reads a
 * connection at a time), its remote files (edge-triggered readiness), the
 * control socket from the daemon and the job queue's eventfd.
 *
 * A thread that finds frames on a connection copies them out, re-arms the
 * connection, queues all but the first and executes the first itself, so a
 * lone request costs no hand-off between threads.
 *
 * A shm connection (core/shm.h) is watched through its request bell (an
 * eventfd, edge-triggered) and its liveness socket; between requests the
 * thread that reads its ring busy-polls it for a while instead of going
 * back to epoll, so a busy guest needs no bell (see ring_serve).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "drm-back/worker.h"
#include "isolation/sandbox.h"
#include "vdri/stat_wire.h"

#define HANDLE_MAX 65536u

static void conn_put(struct worker *w, struct wconn *c);

/* ---- sending ------------------------------------------------------------ */

int worker_send(struct wconn *c, const struct wire_hdr *h, const struct iovec *iov, int niov)
{
	int r;

	/* the ring's producer end serializes senders itself; it stays mapped until the last ref */
	if (c->shm)
		return __atomic_load_n(&c->dead, __ATOMIC_ACQUIRE)
			   ? -EPIPE
			   : vshm_send(c->shm, h, iov, niov);
	pthread_mutex_lock(&c->tx);
	r = c->dead ? -EPIPE : fio_send(c->fd, h, iov, niov);
	pthread_mutex_unlock(&c->tx);
	return r;
}

int worker_reply(struct wconn *c, const struct wire_hdr *req, int64_t result, const void *payload,
		 uint32_t len)
{
	struct wire_reply rep = {.result = (int64_t)vdri_le64((uint64_t)result)};
	struct iovec iov[2] = {{&rep, sizeof(rep)}, {(void *)payload, len}};
	struct wire_hdr h;

	wire_hdr_init(&h, req->op, WIRE_F_REPLY, req->id, req->handle, (uint32_t)sizeof(rep) + len);
	return worker_send(c, &h, iov, len ? 2 : 1);
}

/* ---- files -------------------------------------------------------------- */

uint32_t worker_poll_now(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLPRI | POLLRDHUP};

	if (poll(&p, 1, 0) < 0)
		return POLLERR;
	return (uint32_t)p.revents & 0xffffu;
}

void worker_fill_info(int fd, uint32_t revents, struct wire_file_info *info)
{
	struct stat st;

	memset(info, 0, sizeof(*info));
	info->revents = revents;
	if (fstat(fd, &st) == 0)
		vdri_stat_to_wire(&st, &info->st);
}

static int conn_holds(const struct wconn *c, uint32_t handle)
{
	for (uint32_t i = 0; i < c->nhandles; i++)
		if (c->handles[i] == handle)
			return 1;
	return 0;
}

static int conn_hold(struct wconn *c, uint32_t handle)
{
	if (c->nhandles == c->caphandles) {
		uint32_t cap = c->caphandles ? c->caphandles * 2 : 16;
		uint32_t *n = realloc(c->handles, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->handles = n;
		c->caphandles = cap;
	}
	c->handles[c->nhandles++] = handle;
	return 0;
}

static int conn_unhold(struct wconn *c, uint32_t handle)
{
	for (uint32_t i = 0; i < c->nhandles; i++)
		if (c->handles[i] == handle) {
			c->handles[i] = c->handles[--c->nhandles];
			return 0;
		}
	return -EBADF;
}

/* Caller holds w->lock.  Frees the file when the last reference goes. */
/* epoll data of a file: bit 63, its serial (31 bits), its handle; pointers never set bit 63. */
#define FILE_KEY_BIT (1ull << 63)
#define FILE_KEY_SERIAL 0x7fffffffu
#define FILE_KEY(f) (FILE_KEY_BIT | (uint64_t)(f)->serial << 32 | (f)->handle)

static void file_unref_locked(struct worker *w, struct wfile *f)
{
	if (--f->refs > 0)
		return;
	if (f->pollable)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, f->fd, NULL);
	blog(LOG_D, "handle %u (%s) closed", f->handle, f->name);
	/* its handles, framebuffers or dma-buf hold go (the kernel frees them now) */
	iso_res_file_gone(w->res, WFILE_RES_KEY(f));
	w->nopen--;
	iso_acct_count(w->acct, w->acct_slot, ISO_CTR_FILES, -1);
	close(f->fd);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Caller holds w->lock: one holder (connection or token) lets go. */
static void file_unopen_locked(struct worker *w, struct wfile *f)
{
	if (--f->opens == 0 && w->files[f->handle] == f)
		w->files[f->handle] = NULL;
	file_unref_locked(w, f);
}

struct wfile *worker_file_get(struct worker *w, struct wconn *c, uint32_t handle)
{
	struct wfile *f = NULL;

	pthread_mutex_lock(&w->lock);
	if (handle && handle < w->nfiles && w->files[handle] && conn_holds(c, handle)) {
		f = w->files[handle];
		f->refs++;
	}
	pthread_mutex_unlock(&w->lock);
	return f;
}

void worker_file_put(struct worker *w, struct wfile *f)
{
	pthread_mutex_lock(&w->lock);
	file_unref_locked(w, f);
	pthread_mutex_unlock(&w->lock);
}

static int handle_alloc_locked(struct worker *w, uint32_t *out)
{
	for (uint32_t h = 1; h < w->nfiles; h++)
		if (!w->files[h]) {
			*out = h;
			return 0;
		}
	if (w->nfiles >= HANDLE_MAX)
		return -EMFILE;
	uint32_t n = w->nfiles ? w->nfiles * 2 : 64;
	struct wfile **t = realloc(w->files, n * sizeof(*t));

	if (!t)
		return -ENOMEM;
	memset(t + w->nfiles, 0, (n - w->nfiles) * sizeof(*t));
	*out = w->nfiles ? w->nfiles : 1;
	w->files = t;
	w->nfiles = n;
	return 0;
}

int worker_file_add(struct worker *w, struct wconn *c, int fd, const struct vdri_class *cls,
		    const char *name, struct wfile **out)
{
	struct wfile *f = calloc(1, sizeof(*f));
	uint32_t h;
	int r;

	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	f->fd = fd;
	f->cls = cls;
	f->refs = 2; /* the holder, and the caller until worker_file_put */
	f->opens = 1;
	pthread_mutex_init(&f->lock, NULL);
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->revents = worker_poll_now(fd);
	pthread_mutex_lock(&w->lock);
	r = w->nopen >= w->pol.max_files ? -EMFILE : handle_alloc_locked(w, &h);
	if (!r)
		r = conn_hold(c, h);
	if (!r) {
		f->handle = h;
		f->serial = ++w->next_serial & FILE_KEY_SERIAL;
		w->files[h] = f;
		w->nopen++;
		iso_acct_count(w->acct, w->acct_slot, ISO_CTR_FILES, 1);
	} else if (r == -EMFILE) {
		blog(LOG_W, "%s: refused: the guest's limit of %u open files is reached", name,
		     w->pol.max_files);
	}
	pthread_mutex_unlock(&w->lock);
	if (r) {
		close(fd);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return r;
	}
	*out = f;
	return 0;
}

void worker_file_watch(struct worker *w, struct wfile *f)
{
	struct epoll_event ev = {
	    .events = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLET,
	    .data.u64 = FILE_KEY(f),
	};

	/* Regular files cannot be watched (EPERM): they are always ready. */
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, f->fd, &ev) == 0)
		f->pollable = 1;
	worker_file_update(w, f);
}

int worker_file_release(struct worker *w, struct wconn *c, uint32_t handle)
{
	int r;

	pthread_mutex_lock(&w->lock);
	r = conn_unhold(c, handle);
	if (!r)
		file_unopen_locked(w, w->files[handle]);
	pthread_mutex_unlock(&w->lock);
	return r;
}

void worker_file_update(struct worker *w, struct wfile *f)
{
	struct wconn *holders[64];
	int n = 0;
	uint32_t mask;

	pthread_mutex_lock(&f->lock);
	mask = f->pollable ? worker_poll_now(f->fd) : f->revents;
	if (mask == f->revents) {
		pthread_mutex_unlock(&f->lock);
		return;
	}
	f->revents = mask;
	pthread_mutex_lock(&w->lock);
	for (struct wconn *c = w->conns; c && n < 64; c = c->next)
		if (!c->dead && conn_holds(c, f->handle)) {
			c->refs++;
			holders[n++] = c;
		}
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < n; i++) {
		struct wire_event ev = {.revents = vdri_le32(mask)};
		struct iovec iov = {&ev, sizeof(ev)};
		struct wire_hdr h;

		wire_hdr_init(&h, WIRE_OP_EVENT, WIRE_F_EVENT, 0, f->handle, sizeof(ev));
		worker_send(holders[i], &h, &iov, 1);
	}
	pthread_mutex_unlock(&f->lock);
	for (int i = 0; i < n; i++)
		conn_put(w, holders[i]);
}

/* ---- connections -------------------------------------------------------- */

static void conn_put(struct worker *w, struct wconn *c)
{
	int last;

	pthread_mutex_lock(&w->lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&w->lock);
	if (!last)
		return;
	iso_acct_count(w->acct, w->acct_slot, ISO_CTR_CONNS, -1);
	vshm_destroy(c->shm);
	close(c->fd);
	fio_rx_fini(&c->rx);
	free(c->handles);
	pthread_mutex_destroy(&c->tx);
	free(c);
}

static void session_check_empty(struct worker *w)
{
	int empty;

	pthread_mutex_lock(&w->lock);
	empty = !w->conns && !w->reserves;
	pthread_mutex_unlock(&w->lock);
	if (empty) {
		blog(LOG_I, "session ended: no connections left");
		_exit(0);
	}
}

static void conn_close(struct worker *w, struct wconn *c, const char *why)
{
	struct wconn **pp;

	pthread_mutex_lock(&c->tx);
	pthread_mutex_lock(&w->lock);
	if (c->dead) {
		pthread_mutex_unlock(&w->lock);
		pthread_mutex_unlock(&c->tx);
		return;
	}
	__atomic_store_n(&c->dead, 1, __ATOMIC_RELEASE);
	for (pp = &w->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	while (c->nhandles) {
		uint32_t h = c->handles[--c->nhandles];

		file_unopen_locked(w, w->files[h]);
	}
	pthread_mutex_unlock(&w->lock);
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->shm)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, vshm_rx_fd(c->shm), NULL);
	/* a sender waiting for room in the ring wakes up on this too */
	shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&c->tx);
	blog(why ? LOG_W : LOG_I,
	     "%s: connection closed%s%s (%llu requests, %llu ioctls, %llu refused)", c->desc,
	     why ? ": " : "", why ? why : "", (unsigned long long)c->nreq,
	     (unsigned long long)c->nioctl, (unsigned long long)c->nrefused);
	if (c->shm)
		blog(LOG_D, "%s: shm rings: %llu bells rung, %llu sleeps", c->desc,
		     (unsigned long long)c->shm->bells, (unsigned long long)c->shm->sleeps);
	ops_conn_gone(w, c);
	if (c->serial_tag >= 0) {
		int32_t tag = c->serial_tag;

		send(w->ctl_fd, &tag, sizeof(tag), MSG_NOSIGNAL);
	}
	conn_put(w, c);
	session_check_empty(w);
}

static void conn_arm(struct worker *w, struct wconn *c, int op)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT,
				 .data.ptr = &c->tag};

	if (epoll_ctl(w->epfd, op, c->fd, &ev) && op == EPOLL_CTL_MOD)
		blog(LOG_W, "%s: re-arming failed: %s", c->desc, strerror(errno));
}

static void jobs_push(struct worker *w, struct wjob *j)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	if (w->jobs_tail)
		w->jobs_tail->next = j;
	else
		w->jobs = j;
	w->jobs_tail = j;
	pthread_mutex_unlock(&w->lock);
	if (write(w->jobs_fd, &one, sizeof(one)) < 0)
		blog(LOG_W, "job queue wake-up failed: %s", strerror(errno));
}

static struct wjob *jobs_pop(struct worker *w)
{
	struct wjob *j;

	pthread_mutex_lock(&w->lock);
	j = w->jobs;
	if (j) {
		w->jobs = j->next;
		if (!w->jobs)
			w->jobs_tail = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	return j;
}

static void job_run(struct worker *w, struct wjob *j)
{
	struct wconn *c = j->conn;
	int resume;

	if (!c->dead)
		ops_dispatch(w, c, j->frame);
	free(j->frame);
	free(j);
	pthread_mutex_lock(&w->lock);
	c->inflight--;
	resume = c->paused && !c->dead && c->inflight < w->max_inflight / 2;
	if (resume)
		c->paused = 0;
	pthread_mutex_unlock(&w->lock);
	if (resume && c->shm)
		vshm_rx_kick(c->shm); /* whoever gets the bell reads the ring again */
	else if (resume)
		conn_arm(w, c, EPOLL_CTL_MOD);
	conn_put(w, c);
}

static struct wjob *job_from_frame(struct wconn *c, const struct wire_hdr *h)
{
	struct wjob *j = malloc(sizeof(*j));

	if (!j)
		return NULL;
	j->frame = aligned_alloc(8, VDRI_ALIGN8(h->len));
	if (!j->frame) {
		free(j);
		return NULL;
	}
	memcpy(j->frame, h, h->len);
	j->next = NULL;
	j->conn = c;
	return j;
}

/* One thread owns c's receive side until it re-arms the connection. */
static void conn_readable(struct worker *w, struct wconn *c)
{
	struct wjob *first = NULL;
	const struct wire_hdr *h;
	const char *why = NULL;
	int r, pause = 0;

	for (;;) {
		struct wjob *j;

		r = fio_recv(&c->rx, c->fd, &h);
		if (r != 1)
			break;
		if (h->op == WIRE_OP_HELLO || h->op == WIRE_OP_SHM_SETUP) {
			why = "HELLO or SHM_SETUP on an established connection";
			break;
		}
		j = job_from_frame(c, h);
		if (!j) {
			why = "out of memory";
			break;
		}
		pthread_mutex_lock(&w->lock);
		c->refs++;
		c->nreq++;
		pause = ++c->inflight >= w->max_inflight;
		c->paused = pause;
		pthread_mutex_unlock(&w->lock);
		if (!first)
			first = j;
		else
			jobs_push(w, j);
		/* Nothing more buffered: re-arm instead of a read that would say
		 * EAGAIN; epoll reports whatever arrives meanwhile. */
		if (pause || !fio_rx_has_frame(&c->rx)) {
			r = -EAGAIN;
			break;
		}
	}
	if (!why && r == -EPROTO)
		why = c->rx.why;
	else if (!why && r == -EIO)
		why = "connection ended inside a frame";
	else if (!why && r < 0 && r != -EAGAIN)
		why = strerror(-r);
	if (why || r == 0)
		conn_close(w, c, why);
	else if (!pause)
		conn_arm(w, c, EPOLL_CTL_MOD);
	if (first)
		job_run(w, first);
}

/* ---- shm connections ------------------------------------------------------ */

/*
 * epoll data of a shm connection: bit 62, bit 61 for its liveness socket
 * (clear: its request bell), its serial.  A key, not a pointer: the bell is
 * watched edge-triggered for the connection's whole life, so an event may
 * still be on its way to a thread while another one closes the connection.
 */
#define CONN_KEY_BIT (1ull << 62)
#define CONN_KEY_SOCK (1ull << 61)
#define CONN_KEY(c, sock) (CONN_KEY_BIT | (sock) | (c)->serial)

/* The live connection an event names, with a reference, or NULL. */
static struct wconn *conn_by_key(struct worker *w, uint64_t key)
{
	struct wconn *c;

	pthread_mutex_lock(&w->lock);
	for (c = w->conns; c; c = c->next)
		if (c->shm && c->serial == (uint32_t)key) {
			c->refs++;
			break;
		}
	pthread_mutex_unlock(&w->lock);
	return c;
}

static void conn_arm_sock(struct worker *w, struct wconn *c, int op)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT,
				 .data.u64 = CONN_KEY(c, CONN_KEY_SOCK)};

	if (epoll_ctl(w->epfd, op, c->fd, &ev))
		blog(LOG_W, "%s: watching the liveness socket failed: %s", c->desc,
		     strerror(errno));
}

/* Watch the bell and the socket, then have a thread look at the ring once. */
static void conn_watch_shm(struct worker *w, struct wconn *c)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = CONN_KEY(c, 0)};

	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, vshm_rx_fd(c->shm), &ev))
		blog(LOG_W, "%s: watching the request bell failed: %s", c->desc, strerror(errno));
	conn_arm_sock(w, c, EPOLL_CTL_ADD);
	vshm_rx_kick(c->shm);
}

/*
 * One thread at a time reads the request ring (c->rx_state).  A bell, or
 * a thread done with a request, tries to become the reader; if someone
 * already is, it marks "look again" so the reader cannot let go of the
 * ring with that request unseen.  1: we are the reader now.
 */
static int ring_enter(struct wconn *c)
{
	int st = __atomic_load_n(&c->rx_state, __ATOMIC_RELAXED);

	while (st != 2) {
		/*
		 * acq_rel: entering, we see what the previous reader left in
		 * c->rx (its release in ring_leave); marking 2, the reader's
		 * failed exchange sees the ring bytes our bell announced.
		 */
		if (__atomic_compare_exchange_n(&c->rx_state, &st, st ? 2 : 1, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return st == 0;
	}
	return 0;
}

/*
 * The reader lets go.  With arm, it first tells the guest to ring the bell
 * for what it posts from now on, and looks once more for what it posted
 * before.  1: let go; 0: still the reader (there is more to read).
 */
static int ring_leave(struct wconn *c, int arm)
{
	int st = 1, r = arm ? vshm_rx_arm(c->shm) : 0;

	if (r != 0) {
		vshm_rx_disarm(c->shm);
		return 0; /* bytes came (or the ring is bad: ring_take will say) */
	}
	/*
	 * release: what we did with c->rx happens before the next reader's
	 * acquire in ring_enter.  acquire on failure: a "look again" mark
	 * carries the ring bytes its bell announced (see ring_enter).
	 */
	if (__atomic_compare_exchange_n(&c->rx_state, &st, 0, 0, __ATOMIC_RELEASE,
					__ATOMIC_ACQUIRE))
		return 1;
	__atomic_store_n(&c->rx_state, 1, __ATOMIC_RELAXED);
	if (arm)
		vshm_rx_disarm(c->shm);
	return 0;
}

/*
 * The requests in the ring become jobs: the first is *first, the rest
 * are queued.  0 ring empty, 1 paused (max-inflight), -1 close (*why).
 */
static int ring_take(struct worker *w, struct wconn *c, struct wjob **first, const char **why)
{
	const struct wire_hdr *h;
	int r, pause;

	pthread_mutex_lock(&w->lock);
	pause = c->paused;
	pthread_mutex_unlock(&w->lock);
	while (!pause && (r = vshm_recv(c->shm, &c->rx, &h)) == 1) {
		struct wjob *j;

		if (h->op == WIRE_OP_HELLO || h->op == WIRE_OP_SHM_SETUP) {
			*why = "HELLO or SHM_SETUP on an established connection";
			return -1;
		}
		j = job_from_frame(c, h);
		if (!j) {
			*why = "out of memory";
			return -1;
		}
		pthread_mutex_lock(&w->lock);
		c->refs++;
		c->nreq++;
		pause = ++c->inflight >= w->max_inflight;
		c->paused = pause;
		pthread_mutex_unlock(&w->lock);
		if (!*first)
			*first = j;
		else
			jobs_push(w, j);
	}
	if (pause)
		return 1;
	if (r == -EAGAIN)
		return 0;
	*why = r == -EPROTO ? c->rx.why : r == -EPIPE ? vshm_why(c->shm) : strerror(-r);
	return -1;
}

/* Busy-poll the ring for the next request, if few enough threads already do. */
static int ring_spin(struct worker *w, struct wconn *c)
{
	int r = 0;

	if (__atomic_add_fetch(&w->spinners, 1, __ATOMIC_RELAXED) <= w->max_spinners)
		r = vshm_spin_rx(c->shm);
	__atomic_sub_fetch(&w->spinners, 1, __ATOMIC_RELAXED);
	return r;
}

/*
 * The reader's loop.  It runs the first request it finds itself but lets
 * go of the ring while it does (a request that blocks must not hold up the
 * next: the guest rings the bell meanwhile and epoll hands it to another
 * thread), and takes the ring back afterwards if nobody did.  With nothing
 * to do it busy-polls for the next request, and only when that budget is
 * spent lets go for good.
 */
static void ring_serve(struct worker *w, struct wconn *c)
{
	for (;;) {
		struct wjob *first = NULL;
		const char *why = NULL;
		int r;

		if (__atomic_load_n(&c->dead, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&c->rx_state, 0, __ATOMIC_RELEASE);
			return;
		}
		r = ring_take(w, c, &first, &why);
		while (r == 0 && first && !ring_leave(c, 1))
			r = ring_take(w, c, &first, &why);
		if (r < 0)
			conn_close(w, c, why);
		if (r != 0)
			/* closed, or paused: job_run's resume rings the bell */
			__atomic_store_n(&c->rx_state, 0, __ATOMIC_RELEASE);
		if (first)
			job_run(w, first);
		if (r != 0 || (first && !ring_enter(c)))
			return;
		if (first) {
			vshm_rx_disarm(c->shm); /* reading again: the guest need not ring */
			continue;
		}
		if (ring_spin(w, c) == 0 && ring_leave(c, 1)) {
			/* back to epoll: the next request rings (statistics only) */
			__atomic_add_fetch(&c->shm->sleeps, 1, __ATOMIC_RELAXED);
			return;
		}
	}
}

/* epoll says: the request bell rang, or the liveness socket has news. */
static void conn_shm_event(struct worker *w, uint64_t key)
{
	struct wconn *c = conn_by_key(w, key);
	const char *why = NULL;
	int r;

	if (!c)
		return;
	if (key & CONN_KEY_SOCK) {
		r = vshm_sock_check(c->fd, &why);
		if (r)
			conn_close(w, c, r == -EPIPE ? NULL : why); /* -EPIPE: the guest left */
		else
			conn_arm_sock(w, c, EPOLL_CTL_MOD);
	} else {
		vshm_rx_drain(c->shm);
		if (ring_enter(c)) {
			vshm_rx_disarm(c->shm);
			ring_serve(w, c);
		}
	}
	conn_put(w, c);
}

/* A HELLO asked for shm: its SHM_SETUP follows on the socket.  0 or -errno (logged). */
static int conn_shm_setup(struct worker *w, struct wconn *c, const struct handoff *ho,
			  struct vshm **out)
{
	struct wire_shm_setup st;
	int fds[VSHM_NFDS], r;
	const char *why = "shm needs a unix socket (descriptors travel with SCM_RIGHTS)";

	r = ho->peer.kind == VT_UNIX ? 0 : -EPROTONOSUPPORT;
	if (!r)
		r = vshm_setup_recv(c->fd, VSHM_SETUP_TIMEOUT_MS, &st, fds, &why);
	if (!r)
		r = vshm_attach(out, &vshm_memfd, &st, fds, c->fd, &why);
	if (r) {
		blog(LOG_W, "%s: shm setup refused: %s", c->desc, why);
		return r;
	}
	vshm_set_spin(*out, w->cfg->shm_spin_us);
	/* until epoll watches the bell, a request must ring it (conn_watch_shm looks once too) */
	vshm_rx_arm(*out);
	return 0;
}

/* ---- HELLO and new connections ------------------------------------------ */

static int attach_token(struct worker *w, struct wconn *c, uint64_t token, uint32_t *n)
{
	struct wreserve **pp, *r = NULL;

	pthread_mutex_lock(&w->lock);
	for (pp = &w->reserves; *pp; pp = &(*pp)->next)
		if ((*pp)->token == token) {
			r = *pp;
			*pp = r->next;
			break;
		}
	if (r) {
		/* The token's references become the connection's. */
		for (uint32_t i = 0; i < r->n; i++)
			if (conn_hold(c, r->handles[i]))
				file_unopen_locked(w, w->files[r->handles[i]]);
		*n = r->n;
	}
	pthread_mutex_unlock(&w->lock);
	if (!r)
		return -EACCES;
	free(r->handles);
	free(r);
	return 0;
}

static void conn_new(struct worker *w, struct handoff *ho)
{
	const struct wire_hdr *hh = (const struct wire_hdr *)ho->hello;
	const struct wire_hello *hello = (const struct wire_hello *)(hh + 1);
	struct wire_hello_reply rep = {0};
	struct wconn *c = calloc(1, sizeof(*c));
	struct vshm *shm = NULL;
	int64_t result = 0;

	if (!c || fio_rx_init(&c->rx, w->cfg->max_frame, 1)) {
		blog(LOG_E, "out of memory for a new connection");
		close(ho->fd);
		free(c);
		return;
	}
	c->tag.kind = WT_CONN;
	c->fd = ho->fd;
	c->refs = 1;
	iso_acct_count(w->acct, w->acct_slot, ISO_CTR_CONNS, 1);
	c->serial_tag = ho->serial_tag;
	c->pid = hello->pid;
	pthread_mutex_init(&c->tx, NULL);
	snprintf(c->desc, sizeof(c->desc), "pid %u via %s", hello->pid, ho->peer.desc);
	/* first: a failed setup must not have taken a fork token's handles */
	if (hello->features & WIRE_FEAT_SHM)
		result = conn_shm_setup(w, c, ho, &shm);
	if (!result && hello->session)
		result = attach_token(w, c, hello->attach_token, &rep.attached);
	rep.version = WIRE_VERSION;
	rep.max_frame = w->cfg->max_frame;
	rep.features = (WIRE_FEAT_ALL & hello->features) | (shm ? WIRE_FEAT_SHM : 0);
	rep.session = w->session;
	worker_reply(c, hh, result, &rep, sizeof(rep)); /* on the socket: c->shm is not set yet */
	if (result) {
		if (result == -EACCES)
			blog(LOG_W, "%s: attach refused: bad fork token", c->desc);
		vshm_destroy(shm);
		conn_put(w, c);
		return;
	}
	c->shm = shm;
	pthread_mutex_lock(&w->lock);
	c->serial = ++w->next_conn_serial;
	c->next = w->conns;
	w->conns = c;
	pthread_mutex_unlock(&w->lock);
	blog(LOG_I, "%s: connected%s%s (%u handles attached)", c->desc,
	     hello->session ? ", attached to session" : "", shm ? ", over shm rings" : "",
	     rep.attached);
	if (shm)
		conn_watch_shm(w, c);
	else
		conn_arm(w, c, EPOLL_CTL_ADD);
}

static void ctl_readable(struct worker *w)
{
	struct handoff ho;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&ho, sizeof(ho)};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	ssize_t n = recvmsg(w->ctl_fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

	if (n == 0) {
		blog(LOG_I, "daemon went away; ending session");
		_exit(0);
	}
	if (n != (ssize_t)sizeof(ho))
		return;
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return;
	memcpy(&ho.fd, CMSG_DATA(cm), sizeof(int));
	conn_new(w, &ho);
}

/* ---- the thread loop ------------------------------------------------------ */

static void expire_reserves(struct worker *w)
{
	time_t now = time(NULL);
	struct wreserve **pp = &w->reserves;

	pthread_mutex_lock(&w->lock);
	while (*pp) {
		struct wreserve *r = *pp;

		if (r->expires > now) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		for (uint32_t i = 0; i < r->n; i++)
			file_unopen_locked(w, w->files[r->handles[i]]);
		blog(LOG_I, "fork token expired unclaimed (%u handles)", r->n);
		free(r->handles);
		free(r);
	}
	pthread_mutex_unlock(&w->lock);
}

/*
 * A readiness event for a file.  epoll hands out what was registered, and
 * another thread may have closed and freed the file since (or epoll still
 * reports a dma-buf whose fd we closed but which a GEM object keeps
 * alive), so events carry the handle and serial, not a pointer, and the
 * file is looked up and held before use.
 */
static void file_event(struct worker *w, uint64_t key)
{
	uint32_t h = (uint32_t)key, serial = (uint32_t)(key >> 32) & FILE_KEY_SERIAL;
	struct wfile *f = NULL;

	pthread_mutex_lock(&w->lock);
	if (h < w->nfiles && w->files[h] && w->files[h]->serial == serial) {
		f = w->files[h];
		f->refs++;
	}
	pthread_mutex_unlock(&w->lock);
	if (f) {
		worker_file_update(w, f);
		worker_file_put(w, f);
	}
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		struct epoll_event ev;
		struct wjob *j = jobs_pop(w);
		int n;

		if (j) {
			job_run(w, j);
			continue;
		}
		n = epoll_wait(w->epfd, &ev, 1, 2000);
		if (n <= 0) {
			expire_reserves(w);
			session_check_empty(w);
			continue;
		}
		if (ev.data.u64 & FILE_KEY_BIT) {
			file_event(w, ev.data.u64);
			continue;
		}
		if (ev.data.u64 & CONN_KEY_BIT) {
			conn_shm_event(w, ev.data.u64);
			continue;
		}
		switch (((struct wtag *)ev.data.ptr)->kind) {
		case WT_CONN:
			conn_readable(w, (struct wconn *)ev.data.ptr);
			break;
		case WT_CTL:
			ctl_readable(w);
			break;
		case WT_JOBS: {
			uint64_t v;

			if (read(w->jobs_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				blog(LOG_W, "job queue read: %s", strerror(errno));
			break;
		}
		}
	}
	return NULL;
}

static void worker_setup(struct worker *w, const struct backd_config *cfg, int ctl_fd,
			 uint64_t session, const struct iso_guest *g, struct iso_acct *acct,
			 int acct_slot)
{
	struct epoll_event ev = {.events = EPOLLIN};

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->session = session;
	w->pol = *g;
	w->acct = acct;
	w->acct_slot = acct_slot;
	w->max_inflight = g->max_inflight && g->max_inflight < cfg->max_inflight
			      ? g->max_inflight
			      : cfg->max_inflight;
	w->res = iso_res_new(acct, acct_slot, g->flink);
	w->ctl_fd = ctl_fd;
	w->next_map = 1;
	{
		/* spinning threads: one CPU stays for the guest, one thread for epoll */
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		w->max_spinners = cfg->threads - 1 < cpus - 1 ? cfg->threads - 1 : (int)cpus - 1;
	}
	pthread_mutex_init(&w->lock, NULL);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->jobs_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->epfd < 0 || w->jobs_fd < 0 || !w->res) {
		blog(LOG_E, "worker setup: %s", strerror(errno));
		_exit(1);
	}
	w->ctl_tag.kind = WT_CTL;
	w->jobs_tag.kind = WT_JOBS;
	ev.data.ptr = &w->ctl_tag;
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, ctl_fd, &ev);
	ev.data.ptr = &w->jobs_tag;
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->jobs_fd, &ev);
}

/* Before any thread: privileges, limits and the system-call filter. */
static void worker_sandbox(const struct worker *w)
{
	struct iso_sandbox sb = {
	    .seccomp = w->cfg->sandbox,
	    /* the guest's files, plus connections, epoll, mappings' slack */
	    .max_files = w->pol.max_files + 256,
	    .user = w->cfg->user,
	    .keep_sys_admin = w->pol.role == ISO_ROLE_DISPLAY,
	    .keep_caps = w->cfg->keep_caps,
	};
	char err[256] = "";

	if (!w->cfg->sandbox) {
		blog(LOG_W, "sandbox off (configuration): the worker keeps the daemon's rights");
		return;
	}
	if (iso_sandbox_apply(&sb, err, sizeof(err))) {
		blog(LOG_E, "cannot sandbox the worker: %s; ending the session", err);
		_exit(1);
	}
	blog(LOG_D, "sandboxed: %s%s%s", iso_sandbox_describe(), *err ? "; " : "", err);
}

void worker_main(const struct backd_config *cfg, int ctl_fd, uint64_t session,
		 struct handoff *first, const struct iso_guest *g, struct iso_acct *acct,
		 int acct_slot)
{
	static struct worker w;
	const struct wire_hello *hello = (const void *)(first->hello + WIRE_HDR_SIZE);
	char who[WIRE_NAME_MAX + 160];
	int n = hello->name_len < WIRE_NAME_MAX ? hello->name_len : WIRE_NAME_MAX;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(0);
	worker_setup(&w, cfg, ctl_fd, session, g, acct, acct_slot);
	memcpy(w.guest, hello + 1, (size_t)n);
	snprintf(who, sizeof(who), "guest %s (%s) session %016llx", g->name,
		 n ? w.guest : "unnamed", (unsigned long long)session);
	blog_set_guest(who);
	worker_sandbox(&w);
	blog(LOG_I, "session worker started (%d threads, role %s)", cfg->threads,
	     iso_role_name(g->role));
	conn_new(&w, first);
	for (int i = 1; i < cfg->threads; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, worker_thread, &w))
			blog(LOG_W, "could not start worker thread %d", i);
	}
	worker_thread(&w);
	_exit(0);
}
