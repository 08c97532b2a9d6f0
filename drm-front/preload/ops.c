/* SPDX-License-Identifier: MIT */
/*
 * ops.c - forwarded file operations on the guest side: open, read, write
 * (blocking ones wait for a readiness event and retry, since the backend
 * never blocks), ioctl through the marshalling engine, stat, lseek, and
 * mmap with a guest-side copy kept coherent at defined points.
 *
 * mmap consistency model (generic files; the DRM class refines it):
 *  - guest writes are published (changed pages only, compared with a shadow
 *    of what was last exchanged) by msync(), munmap(), and before every
 *    forwarded ioctl or write on the same file;
 *  - backend-side changes become visible after every forwarded ioctl on the
 *    file and at msync(MS_INVALIDATE).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "drm-front/preload/front.h"
#include "vdri/marshal.h"

#include <drm.h>
#include <drm_mode.h>

pid_t front_pid;

static void *f_alloc(void *ctx, uint64_t n)
{
	return malloc(n ? n : 1);
}

static void f_free(void *ctx, void *p)
{
	free(p);
}

static const struct m_alloc front_alloc = {f_alloc, f_free, NULL};

/* ---- open / read / write ------------------------------------------------------ */

int fop_open(const char *path, int flags, mode_t mode)
{
	size_t plen = strlen(path);
	struct wire_open o = {.flags = (uint32_t)flags, .mode = mode, .path_len = (uint16_t)plen};
	struct iovec iov[2] = {{&o, sizeof(o)}, {(void *)path, plen}};
	const struct wire_file_info *info;
	struct wire_hdr *rep = NULL;
	struct fconn *c;
	int64_t r;
	uint32_t len;

	if (plen >= WIRE_PATH_MAX)
		return -ENAMETOOLONG;
	c = conn_get_current();
	if (!c) /* a backend that refused this guest (no policy for it) says EACCES */
		return errno == EACCES ? -EACCES : -ENODEV;
	r = conn_call(c, WIRE_OP_OPEN, 0, iov, 2, &rep);
	if (r >= 0) {
		info = reply_body(rep, &len);
		if (len < sizeof(*info))
			r = -EPROTO;
		else
			r = rfile_create(c, (uint32_t)r, info,
					 S_ISCHR(info->st.mode) ? vdri_class_for_rdev(info->st.rdev)
								: NULL,
					 path, flags, -1);
	}
	free(rep);
	conn_put(c);
	if (r >= 0) {
		fop_file_created((int)r);
		drmdev_probe((int)r);
	}
	if (r == -EIO)
		r = -ENODEV; /* the backend went away while opening */
	return (int)r;
}

static void maps_publish(struct rfile *f);
static void maps_refresh(struct rfile *f);

/*
 * Ask the backend for a file's readiness now.  An EVENT that arrives while
 * the question is out is newer than the answer, so the answer is used only
 * if none did.
 */
static void refresh_readiness(struct rfile *f)
{
	struct wire_poll p = {.events = POLLIN | POLLOUT | POLLPRI};
	struct iovec iov = {&p, sizeof(p)};
	struct wire_hdr *rep = NULL;
	uint32_t seq;
	int64_t r;

	pthread_mutex_lock(&front_lock);
	seq = f->evseq;
	pthread_mutex_unlock(&front_lock);
	r = conn_call(f->conn, WIRE_OP_POLL, f->handle, &iov, 1, &rep);
	free(rep);
	pthread_mutex_lock(&front_lock);
	if (r >= 0 && f->evseq == seq)
		rfile_set_revents_locked(f, (uint32_t)r);
	pthread_mutex_unlock(&front_lock);
}

void fop_file_created(int fd)
{
	struct rfile *f = rfile_get(fd);
	int missed = 0;

	if (!f)
		return;
	pthread_mutex_lock(&front_lock);
	for (uint32_t i = 0; i < 8 && i < f->conn->nmissed; i++)
		if (f->conn->missed[i] == f->handle) {
			f->conn->missed[i] = 0;
			missed = 1;
		}
	pthread_mutex_unlock(&front_lock);
	if (missed)
		refresh_readiness(f);
	rfile_put(f);
}

void fop_refresh_readiness(int fd)
{
	struct rfile *f = rfile_get(fd);

	if (f) {
		refresh_readiness(f);
		rfile_put(f);
	}
}

ssize_t fop_read(struct rfile *f, void *buf, size_t n, int64_t off)
{
	struct wire_read rd = {.count = n > WIRE_IO_MAX ? WIRE_IO_MAX : (uint32_t)n, .offset = off};
	struct iovec iov = {&rd, sizeof(rd)};

	if (rd.count + 64u > f->conn->max_frame)
		rd.count = f->conn->max_frame - 64u;
	for (;;) {
		struct wire_hdr *rep = NULL;
		int64_t r;
		uint32_t len;
		const void *data;

		if (f->dead)
			return -EIO;
		r = conn_call(f->conn, WIRE_OP_READ, f->handle, &iov, 1, &rep);
		if (r >= 0) {
			data = reply_body(rep, &len);
			if (len != r || len > rd.count)
				r = -EPROTO;
			else
				memcpy(buf, data, len);
		}
		free(rep);
		if (r != -EAGAIN || (f->status & O_NONBLOCK))
			return r;
		r = rfile_wait(f, POLLIN, -1);
		if (r)
			return r;
	}
}

ssize_t fop_write(struct rfile *f, const void *buf, size_t n, int64_t off)
{
	struct wire_write wr = {.offset = off};
	size_t room = f->conn->max_frame - 64u;
	struct iovec iov[2] = {{&wr, sizeof(wr)}, {(void *)buf, n}};

	if (iov[1].iov_len > WIRE_IO_MAX)
		iov[1].iov_len = WIRE_IO_MAX;
	if (iov[1].iov_len > room)
		iov[1].iov_len = room;
	maps_publish(f);
	for (;;) {
		struct wire_hdr *rep = NULL;
		int64_t r;

		if (f->dead)
			return -EIO;
		r = conn_call(f->conn, WIRE_OP_WRITE, f->handle, iov, 2, &rep);
		free(rep);
		if (r != -EAGAIN || (f->status & O_NONBLOCK))
			return r;
		r = rfile_wait(f, POLLOUT, -1);
		if (r)
			return r;
	}
}

/* ---- ioctl ------------------------------------------------------------------------ */

struct actx {
	struct rfile *f;
};

static int acc_read(void *ctx, void *dst, uint64_t uaddr, uint64_t len)
{
	struct iovec l = {dst, len}, r = {(void *)(uintptr_t)uaddr, len};
	ssize_t n = process_vm_readv(front_pid, &l, 1, &r, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		memcpy(dst, (void *)(uintptr_t)uaddr, len); /* no safe probe available */
		return 0;
	}
	return -EFAULT;
}

static int acc_write(void *ctx, uint64_t uaddr, const void *src, uint64_t len)
{
	struct iovec l = {(void *)src, len}, r = {(void *)(uintptr_t)uaddr, len};
	ssize_t n = process_vm_writev(front_pid, &l, 1, &r, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		memcpy((void *)(uintptr_t)uaddr, src, len);
		return 0;
	}
	return -EFAULT;
}

static int acc_fd_to_handle(void *ctx, int32_t fd, uint32_t *handle)
{
	struct actx *x = ctx;
	struct rfile *g = rfile_get(fd);
	int r = -EBADF;

	if (!g)
		return r;
	if (g->conn == x->f->conn && !g->dead) {
		*handle = g->handle;
		r = 0;
	}
	rfile_put(g);
	return r;
}

static int32_t acc_new_file(void *ctx, uint32_t handle, const struct wire_file_info *info)
{
	struct actx *x = ctx;
	int32_t fd = rfile_create(x->f->conn, handle, info, x->f->cls, "(from ioctl)",
				  (int)info->oflags, -1);
	struct rfile *g = fd >= 0 ? rfile_get(fd) : NULL;

	if (g) {
		g->drv = x->f->drv; /* a dma-buf or fence of the same device */
		rfile_put(g);
		fop_file_created(fd);
	}
	return fd;
}

static int64_t acc_now_ns(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void acc_drop_file(void *ctx, int32_t fd)
{
	if (rfile_unmap_fd(fd))
		real.close(fd);
}

/*
 * Which coherence points an ioctl is: classes that say so in their
 * descriptors (DRM) get exactly those; others get both on every ioctl.
 */
static uint32_t ioctl_sync_points(const struct rfile *f, const struct m_ioctl *d)
{
	if (f->cls && (f->cls->flags & VDRI_CLASS_SYNC_BY_DESC))
		return d ? d->flags & (M_F_PUBLISH | M_F_REFRESH) : 0;
	return M_F_PUBLISH | M_F_REFRESH;
}

int fop_copy_in(void *dst, const void *src, size_t n)
{
	return acc_read(NULL, dst, (uint64_t)(uintptr_t)src, n);
}

int fop_copy_out(void *dst, const void *src, size_t n)
{
	return acc_write(NULL, (uint64_t)(uintptr_t)dst, src, n);
}

int fop_ioctl(struct rfile *f, unsigned long cmd, void *arg)
{
	int r;

	/* atomic commits with fence properties take the fenced variant (drmdev.c) */
	if (cmd == DRM_IOCTL_MODE_ATOMIC && f->cls && drmdev_atomic(f, arg, &r))
		return r;
	return fop_ioctl_desc(f, f->cls ? vdri_class_lookup(f->cls, f->drv, (uint32_t)cmd) : NULL,
			      cmd, arg);
}

int fop_ioctl_desc(struct rfile *f, const struct m_ioctl *d, unsigned long cmd, void *arg)
{
	const struct m_limits lim = M_LIMITS_DEFAULT;
	struct actx x = {f};
	const struct m_access acc = {.read = acc_read,
				     .write = acc_write,
				     .fd_to_handle = acc_fd_to_handle,
				     .new_file = acc_new_file,
				     .drop_file = acc_drop_file,
				     .now_ns = acc_now_ns,
				     .ctx = &x};
	uint32_t sync = ioctl_sync_points(f, d);
	struct m_buf buf = {.alloc = &front_alloc};
	struct m_plan plan = {.alloc = &front_alloc};
	struct wire_hdr *rep = NULL;
	int64_t r, result;

	if (f->dead)
		return -EIO;
	r = m_encode_request(d, (uint32_t)cmd, (uint64_t)(uintptr_t)arg, &acc, &lim, &buf, &plan);
	if (r)
		goto out;
	if (sync & M_F_PUBLISH)
		maps_publish(f);
	{
		struct iovec iov = {buf.data, buf.len};

		r = conn_call(f->conn, WIRE_OP_IOCTL, f->handle, &iov, 1, &rep);
	}
	if (!rep)
		goto out; /* transport failure: r is -EIO */
	if (r < 0 && rep->len == WIRE_HDR_SIZE + sizeof(struct wire_reply))
		goto out; /* refused or rejected before the call: no body */
	r = m_apply_reply(d, (uint32_t)cmd, (uint64_t)(uintptr_t)arg, &plan, &acc, rep + 1,
			  rep->len - WIRE_HDR_SIZE, &result);
	if (!r)
		r = result;
	if (sync & M_F_REFRESH)
		maps_refresh(f);
out:
	free(rep);
	m_buf_fini(&buf);
	m_plan_fini(&plan);
	return r < -4095 ? -EPROTO : r > 0x7fffffff ? -EOVERFLOW : (int)r;
}

/* ---- stat, lseek ------------------------------------------------------------------- */

static int stat_reply(int64_t r, struct wire_hdr *rep, struct wire_stat *st)
{
	uint32_t len;
	const void *b;

	if (r >= 0) {
		b = reply_body(rep, &len);
		if (len < sizeof(*st))
			r = -EPROTO;
		else
			memcpy(st, b, sizeof(*st));
	}
	free(rep);
	return (int)r;
}

int fop_fstat(struct rfile *f, struct wire_stat *st)
{
	struct wire_hdr *rep = NULL;
	int64_t r;

	if (f->dead)
		return -EIO;
	r = conn_call(f->conn, WIRE_OP_FSTAT, f->handle, NULL, 0, &rep);
	return stat_reply(r, rep, st);
}

int fop_stat_path(const char *path, int nofollow, struct wire_stat *st)
{
	size_t plen = strlen(path);
	struct wire_stat_req sr = {.path_len = (uint16_t)plen,
				   .flags = nofollow ? WIRE_STAT_NOFOLLOW : 0};
	struct iovec iov[2] = {{&sr, sizeof(sr)}, {(void *)path, plen}};
	struct wire_hdr *rep = NULL;
	struct fconn *c;
	int r;

	if (plen >= WIRE_PATH_MAX)
		return -ENAMETOOLONG;
	c = conn_get_current();
	if (!c)
		return -ENOENT; /* no backend: the virtual node does not exist */
	r = (int)conn_call(c, WIRE_OP_STAT, 0, iov, 2, &rep);
	r = stat_reply(r, rep, st);
	conn_put(c);
	return r == -EIO ? -ENOENT : r;
}

int64_t fop_lseek(struct rfile *f, int64_t off, int whence)
{
	struct wire_lseek l = {.offset = off, .whence = (uint32_t)whence};
	struct iovec iov = {&l, sizeof(l)};
	struct wire_hdr *rep = NULL;
	int64_t r;

	if (f->dead)
		return -EIO;
	r = conn_call(f->conn, WIRE_OP_LSEEK, f->handle, &iov, 1, &rep);
	free(rep);
	return r;
}

/* ---- mmap ------------------------------------------------------------------------------ */

struct fmap {
	struct fmap *next;
	uint8_t *addr;
	size_t len;
	uint64_t id;
	struct rfile *f; /* holds a ref */
	uint8_t *shadow; /* what the backend had when last exchanged */
	int prot;
	int users;    /* threads using it (front_lock) */
	int unlinked; /* munmapped: the last user frees it */
};

static struct fmap *fmaps; /* front_lock */
#define MAPS_AT_ONCE 256   /* mappings one coherence point visits */

static int pages_xfer(struct rfile *f, uint64_t id, uint64_t off, void *buf, size_t len, int wr)
{
	while (len) {
		size_t chunk = len > WIRE_IO_MAX / 2 ? WIRE_IO_MAX / 2 : len;
		struct wire_pages p = {.map_id = id, .offset = off, .length = chunk};
		struct iovec iov[2] = {{&p, wr ? 16 : sizeof(p)}, {buf, chunk}};
		struct wire_hdr *rep = NULL;
		int64_t r = conn_call(f->conn, wr ? WIRE_OP_PAGES_WRITE : WIRE_OP_PAGES_READ,
				      f->handle, iov, wr ? 2 : 1, &rep);
		uint32_t blen;

		if (r >= 0 && !wr) {
			const void *b = reply_body(rep, &blen);

			if (blen != chunk)
				r = -EPROTO;
			else
				memcpy(buf, b, chunk);
		}
		free(rep);
		if (r < 0)
			return (int)r;
		buf = (uint8_t *)buf + chunk;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/* Write back the pages that differ from the shadow, coalescing runs. */
static int map_publish(struct fmap *m)
{
	const size_t pg = 4096;
	int r = 0;

	if (!(m->prot & PROT_WRITE))
		return 0;
	for (size_t p = 0; p < m->len && !r;) {
		size_t end = p;

		while (end < m->len && memcmp(m->addr + end, m->shadow + end, pg))
			end += pg;
		if (end == p) {
			p += pg;
			continue;
		}
		r = pages_xfer(m->f, m->id, p, m->addr + p, end - p, 1);
		if (!r)
			memcpy(m->shadow + p, m->addr + p, end - p);
		p = end;
	}
	return r;
}

/* Apply one PAGES_DIFF reply covering [off, off + done): runs into shadow and guest copy. */
static int diff_apply(struct fmap *m, uint64_t off, uint64_t done, const uint8_t *b, uint32_t blen)
{
	struct wire_run run;
	uint32_t pos = 0;

	while (pos < blen) {
		if (blen - pos < sizeof(run))
			return -EPROTO;
		memcpy(&run, b + pos, sizeof(run));
		pos += sizeof(run);
		if (run.offset < off || run.offset > off + done ||
		    run.length > off + done - run.offset || (run.offset & 4095) ||
		    (run.length & 4095) || run.length > blen - pos)
			return -EPROTO;
		memcpy(m->shadow + run.offset, b + pos, run.length);
		memcpy(m->addr + run.offset, b + pos, run.length);
		pos += run.length;
	}
	return 0;
}

/* Pull only the pages the backend says changed since we last saw them. */
static int map_refresh_diff(struct fmap *m)
{
	uint64_t off = 0;
	int64_t r = 0;

	while (off < m->len && r >= 0) {
		struct wire_pages p = {.map_id = m->id, .offset = off, .length = m->len - off};
		struct iovec iov = {&p, sizeof(p)};
		struct wire_hdr *rep = NULL;
		const void *b;
		uint32_t blen;

		r = conn_call(m->f->conn, WIRE_OP_PAGES_DIFF, m->f->handle, &iov, 1, &rep);
		if (r == 0 || r > (int64_t)(m->len - off))
			r = -EPROTO; /* no progress, or past the end */
		if (r > 0) {
			b = reply_body(rep, &blen);
			if (diff_apply(m, off, (uint64_t)r, b, blen))
				r = -EPROTO;
			else
				off += (uint64_t)r;
		}
		free(rep);
	}
	return r < 0 ? (int)r : 0;
}

static int map_refresh(struct fmap *m)
{
	int r;

	if (!(m->prot & PROT_WRITE))
		mprotect(m->addr, m->len, PROT_READ | PROT_WRITE);
	if (m->f->conn->features & WIRE_FEAT_DIFF) {
		r = map_refresh_diff(m);
	} else {
		r = pages_xfer(m->f, m->id, 0, m->shadow, m->len, 0);
		if (!r)
			memcpy(m->addr, m->shadow, m->len);
	}
	if (!(m->prot & PROT_WRITE))
		mprotect(m->addr, m->len, m->prot);
	return r;
}

static void map_destroy(struct fmap *m)
{
	real.munmap(m->addr, m->len);
	rfile_put(m->f);
	free(m->shadow);
	free(m);
}

static void map_put(struct fmap *m)
{
	int last;

	pthread_mutex_lock(&front_lock);
	last = --m->users == 0 && m->unlinked;
	pthread_mutex_unlock(&front_lock);
	if (last)
		map_destroy(m);
}

/*
 * Run fn on every mapping of f, each held by a use while fn runs.  For
 * classes with descriptor-chosen coherence points (DRM) that is every
 * mapping of the connection: a submission on one file may read a buffer
 * mapped through another (a dma-buf, a second open of the device).
 */
static void maps_each(struct rfile *f, int (*fn)(struct fmap *))
{
	int wide = f->cls && (f->cls->flags & VDRI_CLASS_SYNC_BY_DESC);
	struct fmap *list[MAPS_AT_ONCE];
	int n = 0;

	pthread_mutex_lock(&front_lock);
	for (struct fmap *m = fmaps; m && n < MAPS_AT_ONCE; m = m->next)
		if (m->f == f || (wide && m->f->conn == f->conn)) {
			m->users++;
			list[n++] = m;
		}
	pthread_mutex_unlock(&front_lock);
	for (int i = 0; i < n; i++) {
		fn(list[i]);
		map_put(list[i]);
	}
}

static void maps_publish(struct rfile *f)
{
	if (fmaps)
		maps_each(f, map_publish);
}

static void maps_refresh(struct rfile *f)
{
	if (fmaps)
		maps_each(f, map_refresh);
}

void *fop_mmap(struct rfile *f, void *addr, size_t len, int prot, int flags, off_t off)
{
	struct wire_mmap wm = {.offset = (uint64_t)off,
			       .length = (len + 4095) & ~(size_t)4095,
			       .prot = (uint32_t)(prot & (PROT_READ | PROT_WRITE)),
			       .flags = (uint32_t)(flags & (MAP_SHARED | MAP_PRIVATE))};
	struct iovec iov = {&wm, sizeof(wm)};
	struct fmap *m = calloc(1, sizeof(*m));
	struct wire_hdr *rep = NULL;
	int64_t r = -ENOMEM;

	if (!m || f->dead) {
		free(m);
		errno = f->dead ? EIO : ENOMEM;
		return MAP_FAILED;
	}
	m->len = wm.length;
	m->prot = prot;
	m->f = f;
	m->shadow =
	    calloc(1, m->len); /* zeros, like the fresh guest copy and the backend's record */
	m->addr = real.mmap(addr, m->len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | (flags & MAP_FIXED), -1, 0);
	if (m->shadow && m->addr != MAP_FAILED) {
		r = conn_call(f->conn, WIRE_OP_MMAP, f->handle, &iov, 1, &rep);
		free(rep);
	}
	if (r > 0) {
		m->id = (uint64_t)r;
		r = map_refresh(m);
	}
	if (r) {
		if (m->addr != MAP_FAILED)
			real.munmap(m->addr, m->len);
		free(m->shadow);
		free(m);
		errno = r > 0 ? EPROTO : (int)-r;
		return MAP_FAILED;
	}
	mprotect(m->addr, m->len, prot);
	pthread_mutex_lock(&front_lock);
	f->refs++;
	m->next = fmaps;
	fmaps = m;
	pthread_mutex_unlock(&front_lock);
	return m->addr;
}

/*
 * The forwarded mapping starting at addr, with a use taken (with unlink,
 * also removed from the table).  A range that only overlaps a forwarded
 * mapping sets *partial: splitting a forwarded mapping is not supported.
 */
static struct fmap *map_take(void *addr, size_t len, int unlink, int *partial)
{
	struct fmap **pp, *m = NULL;
	uint8_t *a = addr;

	*partial = 0;
	pthread_mutex_lock(&front_lock);
	for (pp = &fmaps; *pp; pp = &(*pp)->next) {
		struct fmap *x = *pp;

		if (x->addr == a) {
			m = x;
			m->users++;
			if (unlink) {
				*pp = m->next;
				m->unlinked = 1;
			}
			break;
		}
		if (a < x->addr + x->len && x->addr < a + len)
			*partial = 1;
	}
	pthread_mutex_unlock(&front_lock);
	return m;
}

int fop_munmap(void *addr, size_t len, int *ret)
{
	struct wire_munmap u;
	struct iovec iov = {&u, sizeof(u)};
	struct wire_hdr *rep = NULL;
	struct fmap *m;
	int partial;

	if (!fmaps)
		return 0;
	m = map_take(addr, len, 1, &partial);
	if (!m && partial) {
		front_log("munmap of part of a forwarded mapping is not supported");
		errno = EINVAL;
		*ret = -1;
		return 1;
	}
	if (!m)
		return 0;
	map_publish(m);
	u.map_id = m->id;
	if (!m->f->dead) {
		conn_call(m->f->conn, WIRE_OP_MUNMAP, m->f->handle, &iov, 1, &rep);
		free(rep);
	}
	*ret = 0;
	map_put(m);
	return 1;
}

int fop_msync(void *addr, size_t len, int flags, int *ret)
{
	struct fmap *m;
	int r, partial;

	if (!fmaps)
		return 0;
	m = map_take(addr, len, 0, &partial);
	if (!m)
		return 0;
	r = map_publish(m);
	if (!r && (flags & MS_INVALIDATE))
		r = map_refresh(m);
	map_put(m);
	*ret = r ? -1 : 0;
	if (r)
		errno = -r;
	return 1;
}
