/* SPDX-License-Identifier: MIT */
/*
 * state.c - keeping forwarded files across exec.
 *
 * exec replaces the library's memory but keeps fds without FD_CLOEXEC: the
 * stand-in eventfds and the connection socket survive.  A small memfd (its
 * number in VDRI_STATE_FD, which exec passes on in the environment) records
 * which fds are forwarded, their handles, and the connection; the new
 * image's constructor reads it back.  The memfd is rewritten on every
 * change of the table.  A shm connection's region and bells survive the
 * same way and are mapped again (conn_adopt).  A process started with
 * posix_spawn/vfork (no fork handlers ran) finds another pid in the state:
 * it must not read from its parent's connection (nor its rings), so its
 * inherited forwarded fds are marked dead.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "drm-front/preload/front.h"

#define STATE_ENV "VDRI_STATE_FD"
#define STATE_NAME "vdri-state"
#define STATE_MAX (256 * 1024)

static int state_fd = -1;

static int state_open(void)
{
	char num[16];
	int fd;

	if (state_fd >= 0)
		return state_fd;
	fd = (int)syscall(SYS_memfd_create, STATE_NAME, 0);
	if (fd < 0)
		return -1;
	state_fd = real.fcntl(fd, F_DUPFD, FRONT_PRIVATE_FD_MIN);
	real.close(fd);
	if (state_fd < 0)
		return -1;
	front_private_mark(state_fd, 1);
	snprintf(num, sizeof(num), "%d", state_fd);
	setenv(STATE_ENV, num, 1);
	return state_fd;
}

struct state_buf {
	char *p;
	size_t len, cap;
};

static void sb_printf(struct state_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(struct state_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len = n < 0 ? b->cap : b->len + (size_t)n;
}

static void save_one(int fd, struct rfile *f, void *arg)
{
	int fdfl = real.fcntl(fd, F_GETFD);

	if (fdfl < 0 || (fdfl & FD_CLOEXEC) || f->dead)
		return; /* gone after exec */
	sb_printf(arg, "file %d %u %d %s %s\n", fd, f->handle, f->status,
		  f->cls ? f->cls->name : "-", f->path[0] ? f->path : "-");
}

void state_save(void)
{
	static char text[STATE_MAX];
	struct state_buf b = {text, 0, sizeof(text)};
	int fd, shm[VSHM_NFDS];
	uint32_t ring;

	pthread_mutex_lock(&front_lock);
	fd = front_conn_fd() >= 0 ? state_open() : -1;
	if (fd >= 0) {
		sb_printf(&b, "vdri-state 1 %d\nconn %d %llx %u", (int)getpid(), front_conn_fd(),
			  (unsigned long long)front_conn_session(), front_conn_max_frame());
		if (front_conn_shm(shm, &ring))
			sb_printf(&b, " shm %u %d %d %d %d %d", ring, shm[0], shm[1], shm[2],
				  shm[3], shm[4]);
		sb_printf(&b, "\n");
		rfile_foreach_locked(save_one, &b);
		if (b.len < b.cap) {
			syscall(SYS_pwrite64, fd, text, b.len, 0);
			syscall(SYS_ftruncate, fd, b.len);
		}
	}
	pthread_mutex_unlock(&front_lock);
}

void state_after_fork_child(void)
{
	int old = state_fd, fd;

	if (old < 0)
		return;
	/* The inherited memfd is shared with the parent: take a private one. */
	fd = (int)syscall(SYS_memfd_create, STATE_NAME, 0);
	if (fd >= 0) {
		real.dup2(fd, old);
		real.close(fd);
	}
	state_save();
}

static int fd_is(int fd, const char *prefix)
{
	char link[64], target[128];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return strncmp(target, prefix, strlen(prefix)) == 0;
}

static void restore_file(struct fconn *c, int fd, uint32_t handle, int status, const char *cls,
			 const char *path)
{
	struct wire_file_info info = {0};
	int r;

	if (!fd_is(fd, "anon_inode:[eventfd]")) {
		front_log("after exec: fd %d is no longer a stand-in; not restored", fd);
		return;
	}
	info.revents = POLLIN | POLLOUT; /* until the POLL below answers */
	r = rfile_create(c, handle, &info, vdri_class_by_name(cls), strcmp(path, "-") ? path : "",
			 status, fd);
	if (r < 0) {
		front_log("after exec: fd %d not restored: %s", fd, strerror(-r));
		return;
	}
	fop_refresh_readiness(fd);
	drmdev_probe(fd);
}

void state_restore(void)
{
	const char *env = getenv(STATE_ENV);
	char text[STATE_MAX / 4], *line, *save = NULL;
	struct fconn *c = NULL;
	int fd, pid = 0, same;
	ssize_t n;

	if (!env)
		return;
	fd = atoi(env);
	if (fd < 0 || !fd_is(fd, "/memfd:" STATE_NAME))
		return;
	n = syscall(SYS_pread64, fd, text, sizeof(text) - 1, 0);
	if (n <= 0)
		return;
	text[n] = '\0';
	state_fd = fd;
	front_private_mark(fd, 1);
	sscanf(text, "vdri-state 1 %d", &pid);
	same = pid == getpid();
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char cls[64], path[256];
		unsigned long long session;
		unsigned max_frame = WIRE_FRAME_DEFAULT_LIMIT, ring = 0;
		int lfd, status, shm[VSHM_NFDS], k;
		unsigned handle;

		k = sscanf(line, "conn %d %llx %u shm %u %d %d %d %d %d", &lfd, &session,
			   &max_frame, &ring, &shm[0], &shm[1], &shm[2], &shm[3], &shm[4]);
		if (k >= 2) {
			if (same && lfd >= 0) {
				c = conn_adopt(lfd, session, max_frame, k == 9 ? shm : NULL, ring);
				front_private_mark(lfd, 1);
				if (c)
					conn_start_reader(c);
			} else if (lfd >= 0) {
				real.close(lfd); /* the parent's connection, not ours */
				for (int i = 0; k == 9 && i < VSHM_NFDS; i++)
					real.close(shm[i]);
			}
		} else if (sscanf(line, "file %d %u %d %63s %255s", &lfd, &handle, &status, cls,
				  path) == 5 &&
			   c) {
			restore_file(c, lfd, handle, status, cls, path);
		}
	}
	front_log("restored state after exec: %s", c ? "connection adopted" : "nothing adopted");
	state_save();
}
