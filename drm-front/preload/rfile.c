/* SPDX-License-Identifier: MIT */
/*
 * rfile.c - forwarded files on the guest side: the fd table, the eventfd
 * stand-ins and their readiness mirror, waiting for readiness, and poll().
 *
 * The stand-in's eventfd counter encodes the remote readiness:
 *   readable and writable -> 1, readable only -> 0xfffffffffffffffe,
 *   writable only or neither -> 0 (an eventfd cannot show "neither").
 * poll/ppoll/select are interposed and answer from the mirror exactly;
 * epoll sees the eventfd (exact for input, approximate for output).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "drm-front/preload/front.h"

#define READY_IN (POLLIN | POLLRDNORM | POLLPRI)
#define READY_OUT (POLLOUT | POLLWRNORM)
#define READY_ERR (POLLERR | POLLHUP | POLLNVAL)

pthread_mutex_t front_lock = PTHREAD_MUTEX_INITIALIZER;

static struct rfile **fdmap; /* local fd -> rfile; read without the lock */
static int fdmap_size;
static uint8_t *privmap; /* fds the library owns (connection, stand-in dups) */
static int nforwarded;

/* Threads blocked on readiness, each with its own eventfd. */
struct rwaiter {
	struct rwaiter *next;
	int efd;
};
static struct rwaiter *rwaiters;
static __thread int tl_efd = -1;

void front_fdmap_init(void)
{
	struct rlimit rl;
	size_t n = 65536;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max > n)
		n = rl.rlim_max > (1u << 20) ? (1u << 20) : rl.rlim_max;
	fdmap = real.mmap(NULL, n * sizeof(*fdmap), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	privmap = real.mmap(NULL, n, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fdmap == MAP_FAILED || privmap == MAP_FAILED) {
		fdmap = NULL;
		privmap = NULL;
		return;
	}
	fdmap_size = (int)n;
}

static struct rfile *fd_lookup(int fd)
{
	if (fd < 0 || fd >= fdmap_size)
		return NULL;
	return __atomic_load_n(&fdmap[fd], __ATOMIC_ACQUIRE);
}

int rfile_is_forwarded(int fd)
{
	return fd_lookup(fd) != NULL;
}

struct rfile *rfile_get(int fd)
{
	struct rfile *f;

	if (!fd_lookup(fd))
		return NULL;
	pthread_mutex_lock(&front_lock);
	f = fd_lookup(fd);
	if (f)
		f->refs++;
	pthread_mutex_unlock(&front_lock);
	return f;
}

void rfile_put(struct rfile *f)
{
	struct fconn *c = NULL;
	int last;

	pthread_mutex_lock(&front_lock);
	last = --f->refs == 0;
	if (last) {
		c = f->conn;
		if (c && f->handle < c->nbyhandle && c->byhandle[f->handle] == f)
			c->byhandle[f->handle] = NULL;
	}
	pthread_mutex_unlock(&front_lock);
	if (!last)
		return;
	front_private_mark(f->efd, 0);
	real.close(f->efd);
	free(f);
	if (c)
		conn_put(c);
}

void front_private_mark(int fd, int on)
{
	if (fd >= 0 && fd < fdmap_size && privmap)
		__atomic_store_n(&privmap[fd], (uint8_t)on, __ATOMIC_RELAXED);
}

int rfile_is_private_fd(int fd)
{
	return fd >= 0 && fd < fdmap_size && privmap &&
	       __atomic_load_n(&privmap[fd], __ATOMIC_RELAXED);
}

/* ---- readiness mirror ------------------------------------------------------- */

static void efd_set(int efd, uint32_t revents, int dead)
{
	int in = dead || (revents & (READY_IN | READY_ERR));
	int out = dead || (revents & (READY_OUT | READY_ERR));
	uint64_t v, target = in && out ? 1 : in ? 0xfffffffffffffffeull : 0;

	if (syscall(SYS_read, efd, &v, sizeof(v)) < 0)
		v = 0;
	if (target)
		syscall(SYS_write, efd, &target, sizeof(target));
}

void front_notify_waiters_locked(void)
{
	uint64_t one = 1;

	for (struct rwaiter *w = rwaiters; w; w = w->next)
		syscall(SYS_write, w->efd, &one, sizeof(one));
}

void rfile_set_revents_locked(struct rfile *f, uint32_t revents)
{
	f->revents = revents;
	efd_set(f->efd, revents, f->dead);
	front_notify_waiters_locked();
}

void rfile_conn_died_locked(struct fconn *c)
{
	for (uint32_t h = 0; h < c->nbyhandle; h++) {
		struct rfile *f = c->byhandle[h];

		if (!f)
			continue;
		f->dead = 1;
		rfile_set_revents_locked(f, POLLERR | POLLHUP);
	}
	front_notify_waiters_locked();
}

/* ---- fd table ------------------------------------------------------------------ */

static int byhandle_set_locked(struct fconn *c, uint32_t handle, struct rfile *f)
{
	if (handle >= c->nbyhandle) {
		uint32_t n = handle < 32 ? 64 : handle * 2;
		struct rfile **t = realloc(c->byhandle, n * sizeof(*t));

		if (!t)
			return -ENOMEM;
		memset(t + c->nbyhandle, 0, (n - c->nbyhandle) * sizeof(*t));
		c->byhandle = t;
		c->nbyhandle = n;
	}
	c->byhandle[handle] = f;
	return 0;
}

void rfile_map_fd_locked(int fd, struct rfile *f)
{
	if (fd < 0 || fd >= fdmap_size)
		return;
	f->nfds++;
	f->refs++;
	nforwarded++;
	__atomic_store_n(&fdmap[fd], f, __ATOMIC_RELEASE);
}

int rfile_create(struct fconn *c, uint32_t handle, const struct wire_file_info *info,
		 const struct vdri_class *cls, const char *path, int oflags, int efd)
{
	struct rfile *f = calloc(1, sizeof(*f));
	int r = -ENOMEM, own = efd < 0;

	if (own)
		efd = eventfd(0, EFD_NONBLOCK | ((oflags & O_CLOEXEC) ? EFD_CLOEXEC : 0));
	if (!f || efd < 0 || efd >= fdmap_size)
		goto err;
	f->efd = real.fcntl(efd, F_DUPFD_CLOEXEC, FRONT_PRIVATE_FD_MIN);
	if (f->efd < 0)
		goto err;
	front_private_mark(f->efd, 1);
	f->handle = handle;
	f->conn = c;
	f->cls = cls;
	f->st = info->st;
	f->status = oflags & ~(O_CLOEXEC | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC);
	snprintf(f->path, sizeof(f->path), "%s", path);
	pthread_mutex_lock(&front_lock);
	r = byhandle_set_locked(c, handle, f);
	if (!r) {
		c->refs++;
		rfile_map_fd_locked(efd, f);
		rfile_set_revents_locked(f, info->revents);
	}
	pthread_mutex_unlock(&front_lock);
	if (r)
		goto err;
	state_save();
	return efd;
err:
	if (f && f->efd > 0) {
		front_private_mark(f->efd, 0);
		real.close(f->efd);
	}
	if (efd >= 0 && own)
		real.close(efd);
	free(f);
	return efd < 0 ? -errno : r;
}

int rfile_unmap_fd(int fd)
{
	struct rfile *f;
	int last;

	if (!fd_lookup(fd))
		return 0;
	pthread_mutex_lock(&front_lock);
	f = fd_lookup(fd);
	if (!f) {
		pthread_mutex_unlock(&front_lock);
		return 0;
	}
	__atomic_store_n(&fdmap[fd], NULL, __ATOMIC_RELEASE);
	nforwarded--;
	last = --f->nfds == 0;
	pthread_mutex_unlock(&front_lock);
	if (last && !f->dead) {
		struct wire_hdr *rep = NULL;

		conn_call(f->conn, WIRE_OP_CLOSE, f->handle, NULL, 0, &rep);
		free(rep);
	}
	rfile_put(f);
	state_save();
	return 1;
}

void rfile_foreach_locked(void (*fn)(int fd, struct rfile *f, void *arg), void *arg)
{
	int seen = 0;

	for (int fd = 0; fd < fdmap_size && seen < nforwarded; fd++)
		if (fdmap[fd]) {
			seen++;
			fn(fd, fdmap[fd], arg);
		}
}

/* ---- waiting -------------------------------------------------------------------- */

static int tl_waiter_fd(void)
{
	if (tl_efd < 0) {
		int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

		if (fd >= 0) {
			tl_efd = real.fcntl(fd, F_DUPFD_CLOEXEC, FRONT_PRIVATE_FD_MIN);
			real.close(fd);
			front_private_mark(tl_efd, 1);
		}
	}
	return tl_efd;
}

static void waiter_add_locked(struct rwaiter *w)
{
	w->next = rwaiters;
	rwaiters = w;
	conn_want_events_locked();
}

int front_readiness_waiters_locked(void)
{
	return rwaiters != NULL;
}

static void waiter_del(struct rwaiter *w)
{
	uint64_t v;

	pthread_mutex_lock(&front_lock);
	for (struct rwaiter **pp = &rwaiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	pthread_mutex_unlock(&front_lock);
	syscall(SYS_read, w->efd, &v, sizeof(v));
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left < 0 ? 0 : (int)left;
}

int rfile_wait(struct rfile *f, uint32_t events, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	struct rwaiter w = {.efd = tl_waiter_fd()};

	if (w.efd < 0)
		return -ENOMEM;
	for (;;) {
		struct pollfd p = {.fd = w.efd, .events = POLLIN};
		int r;

		pthread_mutex_lock(&front_lock);
		if (f->dead || (f->revents & (events | READY_ERR))) {
			pthread_mutex_unlock(&front_lock);
			return 0;
		}
		waiter_add_locked(&w);
		pthread_mutex_unlock(&front_lock);
		r = real.poll(&p, 1, remaining(deadline));
		waiter_del(&w);
		if (r < 0)
			return -errno;
		if (r == 0 && deadline >= 0)
			return -ETIMEDOUT;
	}
}

/* revents of a forwarded entry from its mirror; caller holds front_lock. */
static short mirror_revents(const struct pollfd *p, struct rfile *f)
{
	if (f->dead)
		return (short)(POLLERR | POLLHUP | (p->events & (POLLIN | POLLOUT)));
	return (short)(f->revents & ((uint32_t)(unsigned short)p->events | READY_ERR));
}

int front_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	struct pollfd stack[64], *tmp = n + 1 <= 64 ? stack : malloc((n + 1) * sizeof(*tmp));
	struct rwaiter w = {.efd = tl_waiter_fd()};
	int r = -1;

	if (!tmp || w.efd < 0) {
		errno = ENOMEM;
		goto out;
	}
	for (;;) {
		int ready = 0, total = 0;

		pthread_mutex_lock(&front_lock);
		for (nfds_t i = 0; i < n; i++) {
			struct rfile *f = fd_lookup(fds[i].fd);

			tmp[i] = fds[i];
			if (f) {
				tmp[i].fd = -1;
				ready += mirror_revents(&fds[i], f) != 0;
			}
		}
		waiter_add_locked(&w);
		pthread_mutex_unlock(&front_lock);
		tmp[n] = (struct pollfd){.fd = w.efd, .events = POLLIN};
		r = real.poll(tmp, n + 1, ready ? 0 : remaining(deadline));
		waiter_del(&w);
		if (r < 0)
			goto out;
		pthread_mutex_lock(&front_lock);
		for (nfds_t i = 0; i < n; i++) {
			struct rfile *f = fd_lookup(fds[i].fd);

			fds[i].revents = f ? mirror_revents(&fds[i], f) : tmp[i].revents;
			total += fds[i].revents != 0;
		}
		pthread_mutex_unlock(&front_lock);
		if (total || remaining(deadline) == 0) {
			r = total;
			goto out;
		}
	}
out:
	if (tmp && tmp != stack)
		free(tmp);
	return r;
}
