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
	c->dead = 1;
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
	shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&c->tx);
	blog(why ? LOG_W : LOG_I,
	     "%s: connection closed%s%s (%llu requests, %llu ioctls, %llu refused)", c->desc,
	     why ? ": " : "", why ? why : "", (unsigned long long)c->nreq,
	     (unsigned long long)c->nioctl, (unsigned long long)c->nrefused);
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
	if (resume)
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
		if (h->op == WIRE_OP_HELLO) {
			why = "HELLO on an established connection";
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
	if (hello->session)
		result = attach_token(w, c, hello->attach_token, &rep.attached);
	rep.version = WIRE_VERSION;
	rep.max_frame = w->cfg->max_frame;
	rep.features = WIRE_FEAT_ALL & hello->features;
	rep.session = w->session;
	worker_reply(c, hh, result, &rep, sizeof(rep));
	if (result) {
		blog(LOG_W, "%s: attach refused: bad fork token", c->desc);
		conn_put(w, c);
		return;
	}
	pthread_mutex_lock(&w->lock);
	c->next = w->conns;
	w->conns = c;
	pthread_mutex_unlock(&w->lock);
	blog(LOG_I, "%s: connected%s (%u handles attached)", c->desc,
	     hello->session ? ", attached to session" : "", rep.attached);
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
