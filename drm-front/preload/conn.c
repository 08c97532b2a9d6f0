/* SPDX-License-Identifier: MIT */
/*
 * conn.c - the frontend's connection to vdri-backd: connect and HELLO,
 * requests from many threads multiplexed by id, a reader thread that
 * completes requests and applies readiness events, failure handling (a
 * lost connection fails every request with EIO at once and marks every
 * file dead), reconnection on the next open, and fork (the child attaches
 * to the session with a fork token).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "drm-front/preload/front.h"

static struct fconn *cur;            /* the process's connection (front_lock) */
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

static void conn_free(struct fconn *c)
{
	if (c->fd >= 0) {
		front_private_mark(c->fd, 0);
		real.close(c->fd);
	}
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

/* Caller holds front_lock. */
static void conn_fail_locked(struct fconn *c, const char *why)
{
	if (c->dead)
		return;
	c->dead = 1;
	front_log("connection to %s lost: %s", fcfg.addr_uri, why);
	for (struct waiter *w = c->waiters; w; w = w->next) {
		w->err = -EIO;
		__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
		futex_wake(&w->done);
	}
	c->waiters = NULL;
	rfile_conn_died_locked(c);
	/* Wake blocked readers so they see EOF too. */
	shutdown(c->fd, SHUT_RDWR);
}

/* ---- the reader thread ------------------------------------------------------ */

static void reader_event(struct fconn *c, const struct wire_hdr *h)
{
	const struct wire_event *ev = (const void *)(h + 1);

	pthread_mutex_lock(&front_lock);
	if (h->handle < c->nbyhandle && c->byhandle[h->handle])
		rfile_set_revents_locked(c->byhandle[h->handle], vdri_le32(ev->revents));
	pthread_mutex_unlock(&front_lock);
}

static void reader_reply(struct fconn *c, const struct wire_hdr *h)
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
	pthread_mutex_unlock(&front_lock);
	if (!w) {
		free(copy); /* a request of an image replaced by exec */
		return;
	}
	if (copy)
		memcpy(copy, h, h->len);
	else
		w->err = -ENOMEM;
	w->frame = copy;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	futex_wake(&w->done);
}

static void *reader_main(void *arg)
{
	struct fconn *c = arg;
	const struct wire_hdr *h;
	struct fio_rx rx;
	const char *why = "out of memory";
	int r = -ENOMEM;

	if (fio_rx_init(&rx, c->max_frame, 0) == 0) {
		while ((r = fio_recv(&rx, c->fd, &h)) == 1) {
			if (h->flags & WIRE_F_EVENT)
				reader_event(c, h);
			else
				reader_reply(c, h);
		}
		why = r == 0 ? "closed by the backend" : r == -EPROTO ? rx.why : strerror(-r);
		fio_rx_fini(&rx);
	}
	pthread_mutex_lock(&front_lock);
	conn_fail_locked(c, why);
	pthread_mutex_unlock(&front_lock);
	conn_put(c);
	return NULL;
}

void conn_start_reader(struct fconn *c)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&front_lock);
	c->refs++;
	pthread_mutex_unlock(&front_lock);
	if (pthread_create(&c->reader, NULL, reader_main, c) == 0) {
		pthread_detach(c->reader);
		c->reader_started = 1;
	} else {
		pthread_mutex_lock(&front_lock);
		c->refs--;
		conn_fail_locked(c, "cannot start the reader thread");
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

/* HELLO on a fresh fd, read synchronously before the reader exists. */
static int conn_hello(struct fconn *c, uint64_t session, uint64_t token)
{
	size_t nlen = strlen(fcfg.name);
	struct wire_hello hl = {
		.magic = vdri_le32(WIRE_MAGIC), .version_min = WIRE_VERSION,
		.version_max = WIRE_VERSION, .features = WIRE_FEAT_ALL, .session = session,
		.attach_token = token, .pid = (uint32_t)getpid(), .name_len = (uint16_t)nlen};
	struct iovec iov[2] = {{&hl, sizeof(hl)}, {fcfg.name, nlen}};
	const struct wire_hello_reply *rep;
	const struct wire_hdr *h;
	struct wire_hdr hdr;
	struct fio_rx rx;
	uint32_t blen;
	int r;

	wire_hdr_init(&hdr, WIRE_OP_HELLO, 0, 1, 0, (uint32_t)(sizeof(hl) + nlen));
	r = fio_send(c->fd, &hdr, iov, 2);
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
		if (!r) {
			c->session = rep->session;
			c->max_frame = rep->max_frame;
		}
	} else if (r >= 0) {
		r = -ECONNRESET;
	}
	fio_rx_fini(&rx);
	return r;
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
	c->refs = 1;
	c->next_id = 1;
	pthread_mutex_init(&c->tx, NULL);
	*err = conn_hello(c, session, token);
	if (*err) {
		front_log("HELLO to %s failed: %s", fcfg.addr_uri, strerror(-*err));
		conn_free(c);
		return NULL;
	}
	return c;
}

struct fconn *conn_adopt(int fd, uint64_t session)
{
	struct fconn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->refs = 1;
	c->next_id = 1;
	c->session = session;
	c->max_frame = WIRE_FRAME_DEFAULT_LIMIT;
	pthread_mutex_init(&c->tx, NULL);
	pthread_mutex_lock(&front_lock);
	cur = c;
	pthread_mutex_unlock(&front_lock);
	return c;
}

int front_conn_fd(void)
{
	return cur ? cur->fd : -1;
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

/* ---- requests ----------------------------------------------------------------- */

int64_t conn_call(struct fconn *c, uint16_t op, uint32_t handle, const struct iovec *iov,
		  int niov, struct wire_hdr **reply)
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
	w.next = c->waiters;
	/* w lives until done: the reader or conn_fail_locked unlinks it first. */
	/* cppcheck-suppress autoVariables */
	c->waiters = &w;
	pthread_mutex_unlock(&front_lock);
	wire_hdr_init(&h, op, 0, w.id, handle, (uint32_t)len);
	pthread_mutex_lock(&c->tx);
	r = fio_send(c->fd, &h, iov, niov);
	pthread_mutex_unlock(&c->tx);
	if (r) {
		pthread_mutex_lock(&front_lock);
		conn_fail_locked(c, strerror(-r));
		pthread_mutex_unlock(&front_lock);
	}
	while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE))
		futex_wait(&w.done, 0);
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
	free(old);
}
