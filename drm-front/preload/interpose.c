/* SPDX-License-Identifier: MIT */
/*
 * interpose.c - the libc entry points libvdri-front.so replaces.  Each one
 * checks whether its fd (or path) is forwarded and otherwise calls the next
 * definition (the real libc one) unchanged.  Only these symbols are exported.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "drm-front/preload/front.h"
#include "drm-front/preload/sysview.h"
#include "vdri/stat_wire.h"

struct real_fns real;
extern pid_t front_pid;
static int initialized;
static int config_loaded;
extern char **environ;

/*
 * Sanitizer runtimes may call an interposed function before libc has set
 * up the environment: load the configuration once environ exists.
 */
static void ensure_config(void)
{
	if (__builtin_expect(config_loaded, 1) || !environ)
		return;
	config_loaded = 1;
	front_config_load();
	state_restore();
}

static int ret_errno(int64_t r)
{
	if (r >= 0)
		return (int)r;
	errno = (int)-r;
	return -1;
}

static void resolve(void)
{
#define R(name) real.name = (__typeof__(real.name))dlsym(RTLD_NEXT, #name)
	R(open);
	R(openat);
	R(close);
	R(read);
	R(write);
	R(ioctl);
	R(poll);
	R(fcntl);
	R(dup);
	R(dup2);
	R(dup3);
	R(mmap);
	R(munmap);
	R(msync);
#undef R
}

static uint64_t fork_token;
static int fork_had_conn;

static void atfork_prepare(void)
{
	fork_token = conn_fork_token();
	pthread_mutex_lock(&front_lock);
	fork_had_conn = 1;
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&front_lock);
}

static void atfork_child(void)
{
	front_pid = (pid_t)syscall(SYS_getpid);
	conn_after_fork_child(fork_token, fork_had_conn);
	pthread_mutex_unlock(&front_lock);
	conn_child_start();
	state_after_fork_child();
}

__attribute__((constructor)) static void front_init(void)
{
	if (initialized)
		return;
	initialized = 1;
	resolve();
	front_pid = getpid();
	front_fdmap_init();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	ensure_config();
	drmdev_init();
}

#define ENSURE_INIT()                                                                              \
	do {                                                                                       \
		if (__builtin_expect(!initialized, 0))                                             \
			front_init();                                                              \
		ensure_config();                                                                   \
	} while (0)

/* ---- open ------------------------------------------------------------------------ */

static int want_forward(const char *path)
{
	return path && path[0] == '/' && fcfg.nglobs && front_path_matches(path);
}

/*
 * Paths of the driver VM's sysfs view (sysview.c) lead to the private
 * mirror; it is read-only, as the attributes libdrm reads are.
 */
static int do_open(int dirfd, const char *path, int flags, mode_t mode)
{
	char sbuf[PATH_MAX];
	const char *p;

	ENSURE_INIT();
	if (want_forward(path))
		return ret_errno(fop_open(path, flags, mode));
	p = sysview_map(path, sbuf, sizeof(sbuf));
	if (p != path && (flags & O_ACCMODE) != O_RDONLY) {
		errno = EACCES;
		return -1;
	}
	return real.openat(dirfd, p, flags, mode);
}

#define OPEN_MODE(flags, mode)                                                                     \
	do {                                                                                       \
		if ((flags) & (O_CREAT | __O_TMPFILE)) {                                           \
			va_list ap;                                                                \
			va_start(ap, flags);                                                       \
			mode = va_arg(ap, mode_t);                                                 \
			va_end(ap);                                                                \
		}                                                                                  \
	} while (0)

FRONT_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return do_open(AT_FDCWD, path, flags, mode);
}

/* On LP64, open64 is open. */
FRONT_EXPORT int open64(const char *path, int flags, ...) __attribute__((alias("open")));

FRONT_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return do_open(dirfd, path, flags, mode);
}

/* On LP64, openat64 is openat. */
FRONT_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
    __attribute__((alias("openat")));

/* _FORTIFY_SOURCE variants (glibc declares them only under fortify) */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t len);

FRONT_EXPORT int __open_2(const char *path, int flags)
{
	return do_open(AT_FDCWD, path, flags, 0);
}

/* On LP64, __open64_2 is __open_2. */
FRONT_EXPORT int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

FRONT_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return do_open(dirfd, path, flags, 0);
}

/* On LP64, __openat64_2 is __openat_2. */
FRONT_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
    __attribute__((alias("__openat_2")));

/* ---- close and dup ------------------------------------------------------------------ */

FRONT_EXPORT int close(int fd)
{
	ENSURE_INIT();
	if (rfile_is_private_fd(fd))
		return 0; /* a close-everything loop must not cut our connection */
	rfile_unmap_fd(fd);
	return real.close(fd);
}

/* newfd now refers to what oldfd refers to: mirror that in the table. */
static int after_dup(int oldfd, int newfd)
{
	struct rfile *f;

	if (newfd < 0)
		return newfd;
	f = rfile_get(oldfd);
	if (f) {
		pthread_mutex_lock(&front_lock);
		rfile_map_fd_locked(newfd, f);
		pthread_mutex_unlock(&front_lock);
		rfile_put(f);
		state_save();
	}
	return newfd;
}

/* dup2/dup3 onto a library-private fd would cut the connection: refuse it. */
static int private_target(int newfd)
{
	if (!rfile_is_private_fd(newfd))
		return 0;
	front_log("dup2/dup3 onto the library's private fd %d refused (EBUSY)", newfd);
	errno = EBUSY;
	return 1;
}

FRONT_EXPORT int dup(int oldfd)
{
	ENSURE_INIT();
	return after_dup(oldfd, real.dup(oldfd));
}

FRONT_EXPORT int dup2(int oldfd, int newfd)
{
	int r;

	ENSURE_INIT();
	if (oldfd == newfd)
		return real.dup2(oldfd, newfd);
	if (private_target(newfd))
		return -1;
	r = real.dup2(oldfd, newfd);
	if (r >= 0)
		rfile_unmap_fd(newfd);
	return after_dup(oldfd, r);
}

FRONT_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int r;

	ENSURE_INIT();
	if (private_target(newfd))
		return -1;
	r = real.dup3(oldfd, newfd, flags);
	if (r >= 0)
		rfile_unmap_fd(newfd);
	return after_dup(oldfd, r);
}

/* ---- fcntl -------------------------------------------------------------------------- */

static int fcntl_forwarded(struct rfile *f, int fd, int cmd, long arg)
{
	int r;

	switch (cmd) {
	case F_GETFL:
		return f->status;
	case F_SETFL:
		f->status =
		    (f->status & O_ACCMODE) | ((int)arg & (O_NONBLOCK | O_APPEND | O_ASYNC));
		return 0;
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return after_dup(fd, real.fcntl(fd, cmd, arg));
	case F_SETFD:
		r = real.fcntl(fd, cmd, arg);
		state_save();
		return r;
	default:
		return real.fcntl(fd, cmd, arg);
	}
}

static int do_fcntl(int fd, int cmd, long arg)
{
	struct rfile *f;
	int r;

	ENSURE_INIT();
	f = rfile_get(fd);
	if (!f)
		return real.fcntl(fd, cmd, arg);
	r = fcntl_forwarded(f, fd, cmd, arg);
	rfile_put(f);
	return r;
}

FRONT_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return do_fcntl(fd, cmd, arg);
}

/* On LP64, fcntl64 is fcntl. */
FRONT_EXPORT int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

/* ---- read / write / ioctl ------------------------------------------------------------- */

#define WITH_RFILE(fd, call, fallback)                                                             \
	do {                                                                                       \
		struct rfile *f_;                                                                  \
		ENSURE_INIT();                                                                     \
		f_ = rfile_get(fd);                                                                \
		if (!f_)                                                                           \
			return fallback;                                                           \
		int64_t r_ = call;                                                                 \
		rfile_put(f_);                                                                     \
		if (r_ < 0) {                                                                      \
			errno = (int)-r_;                                                          \
			return -1;                                                                 \
		}                                                                                  \
		return r_;                                                                         \
	} while (0)

FRONT_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	WITH_RFILE(fd, fop_read(f_, buf, n, -1), real.read(fd, buf, n));
}

FRONT_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	WITH_RFILE(fd, fop_write(f_, buf, n, -1), real.write(fd, buf, n));
}

FRONT_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	WITH_RFILE(fd, off < 0 ? -EINVAL : fop_read(f_, buf, n, off),
		   (ssize_t)syscall(SYS_pread64, fd, buf, n, off));
}

/* On LP64, pread64 is pread. */
FRONT_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off_t off)
    __attribute__((alias("pread")));

FRONT_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	WITH_RFILE(fd, off < 0 ? -EINVAL : fop_write(f_, buf, n, off),
		   (ssize_t)syscall(SYS_pwrite64, fd, buf, n, off));
}

/* On LP64, pwrite64 is pwrite. */
FRONT_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
    __attribute__((alias("pwrite")));

FRONT_EXPORT int ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	WITH_RFILE(fd, fop_ioctl(f_, cmd, arg), real.ioctl(fd, cmd, arg));
}

FRONT_EXPORT off_t lseek(int fd, off_t off, int whence)
{
	WITH_RFILE(fd, fop_lseek(f_, off, whence), (off_t)syscall(SYS_lseek, fd, off, whence));
}

/* On LP64, lseek64 is lseek. */
FRONT_EXPORT off_t lseek64(int fd, off_t off, int whence) __attribute__((alias("lseek")));

/* ---- poll and select -------------------------------------------------------------------- */

static int any_forwarded(const struct pollfd *fds, nfds_t n)
{
	for (nfds_t i = 0; i < n; i++)
		if (rfile_is_forwarded(fds[i].fd))
			return 1;
	return 0;
}

FRONT_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	ENSURE_INIT();
	if (!any_forwarded(fds, n))
		return real.poll(fds, n, timeout);
	return front_poll(fds, n, timeout);
}

FRONT_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t len)
{
	return poll(fds, n, timeout);
}

static int ts_to_ms(const struct timespec *ts)
{
	if (!ts)
		return -1;
	return (int)(ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000);
}

FRONT_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		       const sigset_t *mask)
{
	sigset_t old;
	int r;

	ENSURE_INIT();
	if (!any_forwarded(fds, n))
		return (int)syscall(SYS_ppoll, fds, n, ts, mask, 8);
	if (mask)
		pthread_sigmask(SIG_SETMASK, mask, &old);
	r = front_poll(fds, n, ts_to_ms(ts));
	if (mask) {
		int e = errno;

		pthread_sigmask(SIG_SETMASK, &old, NULL);
		errno = e;
	}
	return r;
}

/* select() in terms of front_poll when a forwarded fd is in the sets. */
static int select_forwarded(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, int timeout_ms)
{
	struct pollfd *p = calloc((size_t)nfds, sizeof(*p));
	int n = 0, r, ready = 0;

	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	for (int fd = 0; fd < nfds; fd++) {
		short ev = (short)((rd && FD_ISSET(fd, rd) ? POLLIN : 0) |
				   (wr && FD_ISSET(fd, wr) ? POLLOUT : 0) |
				   (ex && FD_ISSET(fd, ex) ? POLLPRI : 0));

		if (ev)
			p[n++] = (struct pollfd){.fd = fd, .events = ev};
	}
	r = front_poll(p, (nfds_t)n, timeout_ms);
	if (r >= 0) {
		if (rd)
			FD_ZERO(rd);
		if (wr)
			FD_ZERO(wr);
		if (ex)
			FD_ZERO(ex);
		for (int i = 0; i < n; i++) {
			short re = p[i].revents;

			if (rd && (re & (POLLIN | POLLHUP | POLLERR)) && (p[i].events & POLLIN))
				FD_SET(p[i].fd, rd), ready++;
			if (wr && (re & (POLLOUT | POLLERR)) && (p[i].events & POLLOUT))
				FD_SET(p[i].fd, wr), ready++;
			if (ex && (re & POLLPRI))
				FD_SET(p[i].fd, ex), ready++;
		}
		r = ready;
	}
	free(p);
	return r;
}

static int sets_forwarded(int nfds, fd_set *rd, fd_set *wr, fd_set *ex)
{
	for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
		if (((rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)) ||
		     (ex && FD_ISSET(fd, ex))) &&
		    rfile_is_forwarded(fd))
			return 1;
	return 0;
}

FRONT_EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	ENSURE_INIT();
	if (nfds > FD_SETSIZE || !sets_forwarded(nfds, rd, wr, ex))
		return (int)syscall(SYS_select, nfds, rd, wr, ex, tv);
	return select_forwarded(nfds, rd, wr, ex,
				tv ? (int)(tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000) : -1);
}

FRONT_EXPORT int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *ts,
			 const sigset_t *mask)
{
	sigset_t old;
	int r;

	ENSURE_INIT();
	if (nfds > FD_SETSIZE || !sets_forwarded(nfds, rd, wr, ex)) {
		struct {
			const sigset_t *ss;
			size_t len;
		} sm = {mask, 8};

		return (int)syscall(SYS_pselect6, nfds, rd, wr, ex, ts, mask ? &sm : NULL);
	}
	if (mask)
		pthread_sigmask(SIG_SETMASK, mask, &old);
	r = select_forwarded(nfds, rd, wr, ex, ts_to_ms(ts));
	if (mask) {
		int e = errno;

		pthread_sigmask(SIG_SETMASK, &old, NULL);
		errno = e;
	}
	return r;
}

/* ---- mmap ---------------------------------------------------------------------------------- */

FRONT_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct rfile *f;
	void *r;

	ENSURE_INIT();
	if (flags & MAP_ANONYMOUS || !(f = rfile_get(fd)))
		return real.mmap(addr, len, prot, flags, fd, off);
	r = fop_mmap(f, addr, len, prot, flags, off);
	rfile_put(f);
	return r;
}

/* On LP64, mmap64 is mmap. */
FRONT_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
    __attribute__((alias("mmap")));

FRONT_EXPORT int munmap(void *addr, size_t len)
{
	int r;

	ENSURE_INIT();
	if (fop_munmap(addr, len, &r))
		return r;
	return real.munmap(addr, len);
}

FRONT_EXPORT int msync(void *addr, size_t len, int flags)
{
	int r;

	ENSURE_INIT();
	if (fop_msync(addr, len, flags, &r))
		return r;
	return real.msync(addr, len, flags);
}

/* ---- stat family ------------------------------------------------------------------------------
 */

static int fstat_common(int fd, struct stat *st)
{
	struct wire_stat ws;
	struct rfile *f = rfile_get(fd);
	int r;

	if (!f)
		return (int)syscall(SYS_fstat, fd, st);
	r = fop_fstat(f, &ws);
	rfile_put(f);
	if (r < 0)
		return ret_errno(r);
	vdri_wire_to_stat(&ws, st);
	return 0;
}

static int stat_common(int dirfd, const char *path, struct stat *st, int flags)
{
	struct wire_stat ws;
	int r;

	if ((flags & AT_EMPTY_PATH) && path && !path[0])
		return fstat_common(dirfd, st);
	if (!want_forward(path)) {
		char sbuf[PATH_MAX];

		return (int)syscall(SYS_newfstatat, dirfd, sysview_map(path, sbuf, sizeof(sbuf)),
				    st, flags);
	}
	r = fop_stat_path(path, !!(flags & AT_SYMLINK_NOFOLLOW), &ws);
	if (r < 0)
		return ret_errno(r);
	vdri_wire_to_stat(&ws, st);
	return 0;
}

FRONT_EXPORT int fstat(int fd, struct stat *st)
{
	ENSURE_INIT();
	return fstat_common(fd, st);
}

FRONT_EXPORT int fstat64(int fd, struct stat64 *st)
{
	ENSURE_INIT();
	return fstat_common(fd, (struct stat *)st);
}

FRONT_EXPORT int stat(const char *path, struct stat *st)
{
	ENSURE_INIT();
	return stat_common(AT_FDCWD, path, st, 0);
}

FRONT_EXPORT int stat64(const char *path, struct stat64 *st)
{
	ENSURE_INIT();
	return stat_common(AT_FDCWD, path, (struct stat *)st, 0);
}

FRONT_EXPORT int lstat(const char *path, struct stat *st)
{
	ENSURE_INIT();
	return stat_common(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

FRONT_EXPORT int lstat64(const char *path, struct stat64 *st)
{
	ENSURE_INIT();
	return stat_common(AT_FDCWD, path, (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}

FRONT_EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	ENSURE_INIT();
	return stat_common(dirfd, path, st, flags);
}

FRONT_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	ENSURE_INIT();
	return stat_common(dirfd, path, (struct stat *)st, flags);
}

/* glibc < 2.33 binaries call the versioned __xstat family. */
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);

FRONT_EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	ENSURE_INIT();
	return fstat_common(fd, st);
}

FRONT_EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
	ENSURE_INIT();
	return fstat_common(fd, (struct stat *)st);
}

FRONT_EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	ENSURE_INIT();
	return stat_common(AT_FDCWD, path, st, 0);
}

FRONT_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	ENSURE_INIT();
	return stat_common(AT_FDCWD, path, (struct stat *)st, 0);
}

FRONT_EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	ENSURE_INIT();
	return stat_common(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

FRONT_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	ENSURE_INIT();
	return stat_common(AT_FDCWD, path, (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}

FRONT_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	ENSURE_INIT();
	return stat_common(dirfd, path, st, flags);
}

FRONT_EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
	ENSURE_INIT();
	return stat_common(dirfd, path, (struct stat *)st, flags);
}

FRONT_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *sx)
{
	struct stat st;
	int r;

	ENSURE_INIT();
	if (!((flags & AT_EMPTY_PATH) && !path[0] && rfile_is_forwarded(dirfd)) &&
	    !want_forward(path)) {
		char sbuf[PATH_MAX];

		return (int)syscall(SYS_statx, dirfd, sysview_map(path, sbuf, sizeof(sbuf)), flags,
				    mask, sx);
	}
	r = stat_common(dirfd, path, &st, flags);
	if (r)
		return r;
	memset(sx, 0, sizeof(*sx));
	sx->stx_mask = STATX_BASIC_STATS;
	sx->stx_mode = (uint16_t)st.st_mode;
	sx->stx_ino = st.st_ino;
	sx->stx_nlink = (uint32_t)st.st_nlink;
	sx->stx_uid = st.st_uid;
	sx->stx_gid = st.st_gid;
	sx->stx_size = (uint64_t)st.st_size;
	sx->stx_blocks = (uint64_t)st.st_blocks;
	sx->stx_blksize = (uint32_t)st.st_blksize;
	sx->stx_rdev_major = major(st.st_rdev);
	sx->stx_rdev_minor = minor(st.st_rdev);
	sx->stx_dev_major = major(st.st_dev);
	sx->stx_dev_minor = minor(st.st_dev);
	sx->stx_atime.tv_sec = st.st_atim.tv_sec;
	sx->stx_atime.tv_nsec = (uint32_t)st.st_atim.tv_nsec;
	sx->stx_mtime.tv_sec = st.st_mtim.tv_sec;
	sx->stx_mtime.tv_nsec = (uint32_t)st.st_mtim.tv_nsec;
	sx->stx_ctime.tv_sec = st.st_ctim.tv_sec;
	sx->stx_ctime.tv_nsec = (uint32_t)st.st_ctim.tv_nsec;
	return 0;
}

FRONT_EXPORT int access(const char *path, int mode)
{
	struct stat st;

	ENSURE_INIT();
	if (!want_forward(path)) {
		char sbuf[PATH_MAX];

		return (int)syscall(SYS_faccessat, AT_FDCWD, sysview_map(path, sbuf, sizeof(sbuf)),
				    mode);
	}
	return stat_common(AT_FDCWD, path, &st, 0);
}

FRONT_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	struct stat st;

	ENSURE_INIT();
	if (!want_forward(path)) {
		char sbuf[PATH_MAX];

		return (int)syscall(SYS_faccessat2, dirfd, sysview_map(path, sbuf, sizeof(sbuf)),
				    mode, flags);
	}
	return stat_common(dirfd, path, &st, 0);
}
