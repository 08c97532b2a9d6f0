/* SPDX-License-Identifier: MIT */
/*
 * ops.c - executes forwarded file operations on the real files and replies.
 *
 * Every handler: decode and check its payload (the frame's header was
 * checked by frame_io), act, re-poll the file so its readiness event goes
 * out before the reply, send the reply.  Real files are always open
 * O_NONBLOCK here: blocking is the frontend's business (it waits for a
 * readiness event and retries), so no request can stall the session.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>

#include "drm-back/drmdev.h"
#include "drm-back/sysinfo.h"
#include "drm-back/worker.h"
#include "vdri/stat_wire.h"

#define POLLERR_BITS (POLLERR | POLLHUP | POLLNVAL | POLLRDHUP)
#define FORK_TOKEN_TTL 60 /* seconds an unclaimed fork token holds files */
/* The wire uses the kernel's numbering: glibc's O_LARGEFILE is 0 on x86-64. */
#define WIRE_O_LARGEFILE 0100000
#define OPEN_FLAGS_PASSED                                                                          \
	(O_ACCMODE | O_APPEND | O_SYNC | O_DSYNC | O_NOATIME | O_DIRECT | O_NOFOLLOW)
#define OPEN_FLAGS_LOCAL (O_CLOEXEC | O_NOCTTY | O_NONBLOCK | WIRE_O_LARGEFILE)

static const void *payload(const struct wire_hdr *h)
{
	return h + 1;
}

static uint32_t payload_len(const struct wire_hdr *h)
{
	return h->len - WIRE_HDR_SIZE;
}

/* Copy "path" that follows a fixed struct; 0 or -EINVAL. */
static int take_path(const struct wire_hdr *h, uint32_t off, uint32_t len, char *out)
{
	if (wire_check_string(payload(h), payload_len(h), off, len, WIRE_PATH_MAX - 1))
		return -EINVAL;
	memcpy(out, (const uint8_t *)payload(h) + off, len);
	out[len] = '\0';
	return 0;
}

static int is_drm(const struct wfile *f)
{
	return f->cls && !strcmp(f->cls->name, "drm");
}

static void op_open(struct worker *w, struct wconn *c, const struct wire_hdr *h)
{
	struct wire_open o;
	struct wire_file_info info;
	char path[WIRE_PATH_MAX];
	const char *why = "";
	struct wfile *f;
	struct stat st;
	int fd, r;

	wire_take(&o, sizeof(o), payload(h), payload_len(h));
	r = take_path(h, sizeof(o), o.path_len, path);
	if (r)
		goto reply;
	r = iso_guest_may_open(&w->pol, &w->cfg->policy, path, &why);
	if (!r && (o.flags & ~(uint32_t)(OPEN_FLAGS_PASSED | OPEN_FLAGS_LOCAL))) {
		why = "open flags not allowed on a forwarded file";
		r = -EACCES;
	}
	if (r) {
		blog(LOG_W, "%s: open %s refused: %s", c->desc, path, why);
		goto reply;
	}
	fd = open(path, (int)(o.flags & OPEN_FLAGS_PASSED) | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		goto reply;
	}
	fstat(fd, &st);
	r = worker_file_add(w, c, fd, S_ISCHR(st.st_mode) ? vdri_class_for_rdev(st.st_rdev) : NULL,
			    path, &f);
	if (r)
		goto reply;
	f->drv = drmdev_driver(f->fd, f->cls);
	f->device = 1;
	f->display = iso_guest_may_display(&w->pol, path);
	/*
	 * The first opener of a card becomes its DRM master: a guest that may
	 * not drive the display gives that up at once, so it cannot keep a
	 * display guest from becoming master.
	 */
	if (is_drm(f) && !f->display && ioctl(f->fd, DRM_IOCTL_DROP_MASTER, 0) == 0)
		blog(LOG_I, "%s: %s: DRM master given up (the guest may not drive the display)",
		     c->desc, path);
	worker_fill_info(f->fd, f->revents, &info);
	info.oflags = o.flags;
	blog(LOG_D, "%s: open %s -> handle %u (class %s, driver %s)", c->desc, path, f->handle,
	     f->cls ? f->cls->name : "none", f->drv ? f->drv->name : "none");
	worker_reply(c, h, f->handle, &info, sizeof(info));
	worker_file_watch(w, f);
	worker_file_put(w, f);
	return;
reply:
	worker_reply(c, h, r, NULL, 0);
}

static void op_close(struct worker *w, struct wconn *c, const struct wire_hdr *h)
{
	worker_reply(c, h, worker_file_release(w, c, h->handle), NULL, 0);
}

static void op_read(struct worker *w, struct wconn *c, const struct wire_hdr *h, struct wfile *f)
{
	struct wire_read rd;
	ssize_t n;
	void *buf;

	wire_take(&rd, sizeof(rd), payload(h), payload_len(h));
	if (rd.count > WIRE_IO_MAX)
		rd.count = WIRE_IO_MAX;
	if (rd.count + 64u > w->cfg->max_frame)
		rd.count = w->cfg->max_frame - 64u;
	buf = malloc(rd.count ? rd.count : 1);
	if (!buf) {
		worker_reply(c, h, -ENOMEM, NULL, 0);
		return;
	}
	n = rd.offset < 0 ? read(f->fd, buf, rd.count) : pread(f->fd, buf, rd.count, rd.offset);
	worker_file_update(w, f);
	worker_reply(c, h, n < 0 ? -errno : n, buf, n > 0 ? (uint32_t)n : 0);
	free(buf);
}

static void op_write(struct worker *w, struct wconn *c, const struct wire_hdr *h, struct wfile *f)
{
	struct wire_write wr;
	const uint8_t *data = (const uint8_t *)payload(h) + sizeof(wr);
	size_t len = payload_len(h) - sizeof(wr);
	ssize_t n;

	wire_take(&wr, sizeof(wr), payload(h), payload_len(h));
	n = wr.offset < 0 ? write(f->fd, data, len) : pwrite(f->fd, data, len, wr.offset);
	worker_file_update(w, f);
	worker_reply(c, h, n < 0 ? -errno : n, NULL, 0);
}

/* ---- ioctl -------------------------------------------------------------- */

struct ioctl_ctx {
	struct worker *w;
	struct wconn *c;
	struct wfile *parent;
	struct wfile *used[16]; /* files whose fds the call borrows */
	int nused;
	struct wfile *created[16];
	int ncreated;
};

static int back_handle_to_fd(void *ctx, uint32_t handle, int32_t *fd)
{
	struct ioctl_ctx *x = ctx;
	struct wfile *f;

	if (x->nused == (int)(sizeof(x->used) / sizeof(x->used[0])))
		return -EINVAL;
	f = worker_file_get(x->w, x->c, handle);
	if (!f)
		return -EBADF;
	x->used[x->nused++] = f;
	*fd = f->fd;
	return 0;
}

static int back_new_handle(void *ctx, int32_t fd, uint32_t *handle, struct wire_file_info *info)
{
	struct ioctl_ctx *x = ctx;
	struct wfile *f;
	char name[96];
	int r, oflags;

	if (x->ncreated == (int)(sizeof(x->created) / sizeof(x->created[0]))) {
		close(fd);
		return -EMFILE;
	}
	oflags = fcntl(fd, F_GETFL);
	if (fcntl(fd, F_GETFD) & FD_CLOEXEC)
		oflags |= O_CLOEXEC;
	snprintf(name, sizeof(name), "fd from %.80s", x->parent->name);
	r = worker_file_add(x->w, x->c, fd, x->parent->cls, name, &f);
	if (r)
		return r;
	f->drv = x->parent->drv;
	f->display = x->parent->display; /* a lease fd drives what its parent may */
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, (oflags & ~O_CLOEXEC) | O_NONBLOCK);
	x->created[x->ncreated++] = f;
	*handle = f->handle;
	worker_fill_info(f->fd, f->revents, info);
	info->oflags = (uint32_t)oflags;
	return 0;
}

static void back_drop_handle(void *ctx, uint32_t handle)
{
	struct ioctl_ctx *x = ctx;

	for (int i = 0; i < x->ncreated; i++)
		if (x->created[i]->handle == handle) {
			worker_file_release(x->w, x->c, handle);
			worker_file_put(x->w, x->created[i]);
			x->created[i] = x->created[--x->ncreated];
			return;
		}
}

static int64_t back_now_ns(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *m_malloc(void *ctx, uint64_t size)
{
	return malloc(size ? size : 1);
}

static void m_free(void *ctx, void *p)
{
	free(p);
}

static const struct m_alloc back_alloc = {m_malloc, m_free, NULL};

/* out already holds the reply payload, struct wire_reply included. */
static void send_encoded_reply(struct wconn *c, const struct wire_hdr *req, const struct m_buf *out)
{
	struct iovec iov = {out->data, out->len};
	struct wire_hdr rh;

	wire_hdr_init(&rh, req->op, WIRE_F_REPLY, req->id, req->handle, out->len);
	worker_send(c, &rh, &iov, 1);
}

/*
 * An ioctl on one DRM file can change another's readiness without waking
 * anybody: attaching a fence to a buffer makes its dma-buf busy.  So after
 * a DRM ioctl every file of the connection is polled again, and changes go
 * out as events before the reply.
 */
static void update_conn_files(struct worker *w, struct wconn *c)
{
	struct wfile *files[64];
	int n = 0;

	pthread_mutex_lock(&w->lock);
	for (uint32_t i = 0; i < c->nhandles && n < 64; i++) {
		struct wfile *f = w->files[c->handles[i]];

		if (f) {
			f->refs++;
			files[n++] = f;
		}
	}
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < n; i++) {
		worker_file_update(w, files[i]);
		worker_file_put(w, files[i]);
	}
}

/* What the DRM tables cannot say, on the decoded call (drm_atomic.c). */
static int drm_prepare(struct ioctl_ctx *x, struct wfile *f, const struct m_call *call, int decoded,
		       int variant, struct drm_atomic_fences *af)
{
	const char *why = NULL;
	int r;

	af->nout = 0;
	/*
	 * Every DRM file, whatever its driver (bochs has atomic too, and no
	 * table); only decoded calls, whose pointers are this process's.
	 */
	if (m_call_cmd(call) != DRM_IOCTL_MODE_ATOMIC || !decoded)
		return 0;
	pthread_mutex_lock(&f->lock);
	r = drm_atomic_prepare(f->fd, &f->props, m_call_arg(call), variant, back_handle_to_fd, x,
			       af, &why);
	pthread_mutex_unlock(&f->lock);
	if (r)
		blog(LOG_W, "%s: %s: DRM_IOCTL_MODE_ATOMIC refused: %s", x->c->desc, f->name, why);
	return r;
}

/*
 * After a fenced atomic commit: the out-fences the kernel made become files
 * of this guest, and their handles go back where the values were (0: none).
 */
static void drm_finish(struct ioctl_ctx *x, struct drm_atomic_fences *af, int64_t res)
{
	struct wire_file_info info;
	uint32_t h;

	for (unsigned i = 0; i < af->nout; i++) {
		*af->value[i] = 0;
		if (res >= 0 && af->slot[i] >= 0 && !back_new_handle(x, af->slot[i], &h, &info))
			*af->value[i] = h;
		else if (af->slot[i] >= 0 && res < 0)
			close(af->slot[i]); /* not expected: the kernel installs them on success */
	}
}

static void refused(struct worker *w, struct wconn *c, struct wfile *f, const struct m_ioctl *d,
		    uint32_t cmd, const char *why)
{
	c->nrefused++;
	iso_acct_count(w->acct, w->acct_slot, ISO_CTR_REFUSED, 1);
	blog(LOG_W, "%s: %s: ioctl %s (0x%08x) refused: %s", c->desc, f->name,
	     d ? d->name : "without descriptor", cmd, why ? why : "policy");
}

/* A dma-buf's identity and size, for the buffer book. */
static int res_fd_info(void *ctx, int fd, uint64_t *ino, uint64_t *size)
{
	struct stat st;
	off_t end;

	if (fstat(fd, &st))
		return -errno;
	end = lseek(fd, 0, SEEK_END); /* dma-bufs answer their size; other files vary */
	if (end < 0)
		return -errno;
	lseek(fd, 0, SEEK_SET);
	*ino = (uint64_t)st.st_ino;
	*size = (uint64_t)end;
	return 0;
}

static const struct iso_res_ops res_ops = {res_fd_info, NULL};

/* After the call: the book learns what it did (an export names its new file). */
static void res_post(struct worker *w, struct ioctl_ctx *x, struct iso_res_call *rc,
		     struct m_call *call, int64_t res)
{
	uint64_t new_file = 0, ino = 0;
	struct stat st;

	if (res >= 0 && x->ncreated == 1) {
		new_file = WFILE_RES_KEY(x->created[0]);
		if (!fstat(x->created[0]->fd, &st))
			ino = (uint64_t)st.st_ino;
	}
	iso_res_post(w->res, rc, (const void *)m_call_arg(call), res, new_file, ino);
}

static void op_ioctl(struct worker *w, struct wconn *c, struct wire_hdr *h, struct wfile *f)
{
	struct m_limits lim = M_LIMITS_DEFAULT;
	struct ioctl_ctx x = {.w = w, .c = c, .parent = f};
	struct drm_atomic_fences af;
	const struct m_back_ops ops = {.handle_to_fd = back_handle_to_fd,
				       .new_handle = back_new_handle,
				       .drop_handle = back_drop_handle,
				       .now_ns = back_now_ns,
				       .ctx = &x};
	struct wire_ioctl wi;
	struct m_buf out = {.alloc = &back_alloc};
	const struct m_ioctl *d;
	struct m_call *call = NULL;
	struct iso_res_call rc = {0};
	const char *why = NULL;
	enum iso_verdict v;
	int64_t res;
	int r, err, pre;

	/* The reply must fit in a frame: bound the call's buffers by it. */
	if (lim.max_bytes > w->cfg->max_frame - 4096)
		lim.max_bytes = w->cfg->max_frame - 4096;
	if (w->pol.max_call_bytes && lim.max_bytes > w->pol.max_call_bytes)
		lim.max_bytes = w->pol.max_call_bytes;
	if (w->pol.max_call_buffers && lim.max_bufs > w->pol.max_call_buffers)
		lim.max_bufs = w->pol.max_call_buffers;
	wire_take(&wi, sizeof(wi), payload(h), payload_len(h));
	if (wi.flags & WIRE_IOCTL_VARIANT)
		d = f->cls ? vdri_class_variant(f->cls, wi.cmd) : NULL;
	else
		d = f->cls ? vdri_class_lookup(f->cls, f->drv, wi.cmd) : NULL;
	v = iso_guest_ioctl_verdict(&w->cfg->policy, &w->pol, d, wi.cmd, f->display, &err, &why);
	if (v == ISO_DESC && (wi.flags & WIRE_IOCTL_FLAT)) {
		v = ISO_DENY;
		err = ENOTTY;
		why = "sent flat but has a descriptor";
	}
	c->nioctl++;
	iso_acct_count(w->acct, w->acct_slot, ISO_CTR_IOCTL, 1);
	if (v == ISO_DENY) {
		refused(w, c, f, d, wi.cmd, why);
		worker_reply(c, h, -err, NULL, 0);
		return;
	}
	r = m_decode_request(d, (void *)payload(h), payload_len(h), &lim, &back_alloc, &ops, &call);
	if (r) {
		res = r;
		blog(LOG_D, "%s: %s: ioctl %s (0x%08x) rejected by the marshaller: %s", c->desc,
		     f->name, d ? d->name : "flat", wi.cmd, strerror(-r));
		goto out;
	}
	res = drm_prepare(&x, f, call, d != NULL, d && (d->flags & M_F_VARIANT), &af);
	/* What the call does to the guest's buffers: refused past its partition. */
	pre = res || !d || !is_drm(f) || (d->flags & (M_F_ARG_VALUE | M_F_ARG_FD))
		  ? 1
		  : iso_res_pre(w->res, f->drv ? f->drv->name : NULL, WFILE_RES_KEY(f),
				m_call_cmd(call), (const void *)m_call_arg(call), &res_ops, &rc,
				&why);
	if (pre < 0) {
		res = pre;
		refused(w, c, f, d, wi.cmd, why);
	}
	if (!res) {
		res = ioctl(f->fd, m_call_cmd(call), m_call_arg(call));
		if (res < 0)
			res = -errno;
		drm_finish(&x, &af, res);
	}
	if (f->cls && (f->cls->flags & VDRI_CLASS_SYNC_BY_DESC))
		update_conn_files(w, c);
	else
		worker_file_update(w, f);
	r = m_encode_reply(call, res, &out);
	/*
	 * The book learns what the call did after the encoding (which turns new
	 * fds into files: an export's dma-buf) and before the reply goes out (a
	 * guest that closes the new handle at once must find it recorded).
	 */
	if (pre == 0)
		res_post(w, &x, &rc, call, res);
	if (r) {
		res = r;
		goto out;
	}
	send_encoded_reply(c, h, &out);
	goto done;
out:
	worker_reply(c, h, res, NULL, 0);
done:
	for (int i = 0; i < x.ncreated; i++) {
		worker_file_watch(w, x.created[i]);
		worker_file_put(w, x.created[i]);
	}
	for (int i = 0; i < x.nused; i++)
		worker_file_put(w, x.used[i]);
	if (call)
		m_call_free(call);
	m_buf_fini(&out);
}

/* ---- the rest ----------------------------------------------------------- */

static void op_poll(struct worker *w, struct wconn *c, const struct wire_hdr *h, struct wfile *f)
{
	struct wire_poll p;

	wire_take(&p, sizeof(p), payload(h), payload_len(h));
	worker_file_update(w, f);
	worker_reply(c, h, (int64_t)(worker_poll_now(f->fd) & (p.events | POLLERR_BITS)), NULL, 0);
}

static void op_fstat(struct wconn *c, const struct wire_hdr *h, struct wfile *f)
{
	struct stat st;
	struct wire_stat ws;

	if (fstat(f->fd, &st)) {
		worker_reply(c, h, -errno, NULL, 0);
		return;
	}
	vdri_stat_to_wire(&st, &ws);
	worker_reply(c, h, 0, &ws, sizeof(ws));
}

static void op_stat(struct worker *w, struct wconn *c, const struct wire_hdr *h)
{
	struct wire_stat_req sr;
	struct wire_stat ws;
	char path[WIRE_PATH_MAX];
	const char *why;
	struct stat st;
	int r;

	wire_take(&sr, sizeof(sr), payload(h), payload_len(h));
	r = take_path(h, sizeof(sr), sr.path_len, path);
	if (!r)
		r = iso_guest_may_open(&w->pol, &w->cfg->policy, path, &why);
	if (!r && ((sr.flags & WIRE_STAT_NOFOLLOW) ? lstat(path, &st) : stat(path, &st)))
		r = -errno;
	if (r) {
		worker_reply(c, h, r, NULL, 0);
		return;
	}
	vdri_stat_to_wire(&st, &ws);
	worker_reply(c, h, 0, &ws, sizeof(ws));
}

static void op_lseek(struct wconn *c, const struct wire_hdr *h, struct wfile *f)
{
	struct wire_lseek l;
	off_t r;

	wire_take(&l, sizeof(l), payload(h), payload_len(h));
	r = lseek(f->fd, l.offset, (int)l.whence);
	worker_reply(c, h, r < 0 ? -errno : r, NULL, 0);
}

#define SYSINFO_NODES 32 /* DRM nodes described to one guest */

/* Mappings up to this size keep a copy of what the guest has (PAGES_DIFF). */
#define SEEN_MAX (256ull << 20)

static void op_mmap(struct worker *w, struct wconn *c, const struct wire_hdr *h, struct wfile *f)
{
	struct wire_mmap m;
	struct wmap *map;
	uintptr_t token = 0;
	const char *why = NULL;
	void *addr;
	int r;

	wire_take(&m, sizeof(m), payload(h), payload_len(h));
	if (!m.length || m.length > (1ull << 40) || (m.offset & 4095) ||
	    (m.flags != MAP_SHARED && m.flags != MAP_PRIVATE) ||
	    (m.prot & ~(uint32_t)(PROT_READ | PROT_WRITE))) {
		worker_reply(c, h, -EINVAL, NULL, 0);
		return;
	}
	/* Only offsets this guest obtained for its own buffers; the mapping holds the buffer. */
	r = is_drm(f) ? iso_res_map(w->res, WFILE_RES_KEY(f), f->device, m.offset, &token, &why)
		      : 0;
	if (r) {
		blog(LOG_W, "%s: %s: mmap of offset 0x%llx refused: %s", c->desc, f->name,
		     (unsigned long long)m.offset, why);
		worker_reply(c, h, r, NULL, 0);
		return;
	}
	/* readable whatever the guest asked: page transfers read it */
	addr = mmap(NULL, m.length, (int)m.prot | PROT_READ, (int)m.flags, f->fd, (off_t)m.offset);
	map = addr == MAP_FAILED ? NULL : calloc(1, sizeof(*map));
	if (!map) {
		int e = addr == MAP_FAILED ? errno : ENOMEM;

		if (addr != MAP_FAILED)
			munmap(addr, m.length);
		iso_res_unmap(w->res, token);
		worker_reply(c, h, -e, NULL, 0);
		return;
	}
	map->res_token = token;
	map->addr = addr;
	map->len = m.length;
	map->owner = c;
	map->file = f;
	/* both copies start as zeros: the guest's is fresh anonymous memory */
	map->seen = m.length <= SEEN_MAX ? calloc(1, m.length) : NULL;
	pthread_mutex_init(&map->seen_lock, NULL);
	pthread_mutex_lock(&w->lock);
	f->refs++;
	map->id = w->next_map++;
	map->next = w->maps;
	w->maps = map;
	pthread_mutex_unlock(&w->lock);
	worker_reply(c, h, (int64_t)map->id, NULL, 0);
}

static void map_free(struct worker *w, struct wmap *m)
{
	munmap(m->addr, m->len);
	iso_res_unmap(w->res, m->res_token);
	free(m->seen);
	pthread_mutex_destroy(&m->seen_lock);
	worker_file_put(w, m->file);
	free(m);
}

/*
 * Find a mapping owned by c and take a use on it (with unlink, also remove
 * it from the table).  Several requests of one connection run at once, so
 * a mapping is freed only by its last user (map_put).
 */
static struct wmap *map_find(struct worker *w, struct wconn *c, uint64_t id, int unlink)
{
	struct wmap **pp, *m = NULL;

	pthread_mutex_lock(&w->lock);
	for (pp = &w->maps; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id && (*pp)->owner == c) {
			m = *pp;
			m->users++;
			if (unlink) {
				*pp = m->next;
				m->unlinked = 1;
			}
			break;
		}
	pthread_mutex_unlock(&w->lock);
	return m;
}

static void map_put(struct worker *w, struct wmap *m)
{
	int last;

	pthread_mutex_lock(&w->lock);
	last = --m->users == 0 && m->unlinked;
	pthread_mutex_unlock(&w->lock);
	if (last)
		map_free(w, m);
}

static void op_munmap(struct worker *w, struct wconn *c, const struct wire_hdr *h)
{
	struct wire_munmap u;
	struct wmap *m;

	wire_take(&u, sizeof(u), payload(h), payload_len(h));
	m = map_find(w, c, u.map_id, 1);
	if (m)
		map_put(w, m);
	worker_reply(c, h, m ? 0 : -EINVAL, NULL, 0);
}

/* PAGES_READ / PAGES_WRITE: the range must lie inside the mapping. */
static void op_pages(struct worker *w, struct wconn *c, const struct wire_hdr *h)
{
	struct wire_pages p = {0};
	int wr = h->op == WIRE_OP_PAGES_WRITE;
	uint32_t hdr = wr ? 16 : sizeof(p);
	uint64_t len, end;
	struct wmap *m;

	wire_take(&p, hdr, payload(h), payload_len(h));
	len = wr ? payload_len(h) - hdr : p.length;
	m = map_find(w, c, p.map_id, 0);
	if (!m || (p.offset & 4095) || vdri_add_overflow(p.offset, len, &end) || end > m->len ||
	    len > WIRE_IO_MAX || (!wr && len + 64 > w->cfg->max_frame)) {
		if (m)
			map_put(w, m);
		worker_reply(c, h, -EINVAL, NULL, 0);
		return;
	}
	pthread_mutex_lock(&m->seen_lock);
	if (wr) {
		memcpy((uint8_t *)m->addr + p.offset, (const uint8_t *)payload(h) + hdr, len);
		if (m->seen)
			memcpy(m->seen + p.offset, (const uint8_t *)payload(h) + hdr, len);
		worker_reply(c, h, (int64_t)len, NULL, 0);
	} else if (m->seen) {
		/* one read of device memory: what is sent is what is recorded */
		memcpy(m->seen + p.offset, (uint8_t *)m->addr + p.offset, len);
		worker_reply(c, h, (int64_t)len, m->seen + p.offset, (uint32_t)len);
	} else {
		worker_reply(c, h, (int64_t)len, (uint8_t *)m->addr + p.offset, (uint32_t)len);
	}
	pthread_mutex_unlock(&m->seen_lock);
	map_put(w, m);
}

/*
 * Append the pages changed in [*pos, end) as runs to out (at most cap
 * bytes); *pos advances past what was examined.  Caller holds seen_lock.
 */
static uint32_t diff_runs(struct wmap *m, uint64_t *pos, uint64_t end, uint8_t *out, uint32_t cap)
{
	const uint64_t pg = 4096;
	const uint8_t *dev = m->addr;
	uint32_t used = 0;
	uint64_t p = *pos, e;

	while (p < end) {
		if (m->seen && !memcmp(dev + p, m->seen + p, pg)) {
			p += pg;
			continue;
		}
		if (cap - used < sizeof(struct wire_run) + pg)
			break; /* the rest in the next request */
		for (e = p + pg; e < end && cap - used - sizeof(struct wire_run) >= e + pg - p &&
				 (!m->seen || memcmp(dev + e, m->seen + e, pg));
		     e += pg)
			;
		struct wire_run r = {.offset = p, .length = (uint32_t)(e - p)};

		memcpy(out + used, &r, sizeof(r));
		memcpy(out + used + sizeof(r), dev + p, e - p);
		if (m->seen)
			memcpy(m->seen + p, out + used + sizeof(r), e - p);
		used += (uint32_t)(sizeof(r) + (e - p));
		p = e;
	}
	*pos = p;
	return used;
}

/* PAGES_DIFF: what changed on this side since the guest last saw it. */
static void op_pages_diff(struct worker *w, struct wconn *c, const struct wire_hdr *h)
{
	struct wire_pages p;
	uint64_t end, pos;
	uint32_t cap = w->cfg->max_frame - 128, used;
	uint8_t *out;
	struct wmap *m;

	wire_take(&p, sizeof(p), payload(h), payload_len(h));
	m = map_find(w, c, p.map_id, 0);
	if (!m || (p.offset & 4095) || (p.length & 4095) ||
	    vdri_add_overflow(p.offset, p.length, &end) || end > m->len) {
		if (m)
			map_put(w, m);
		worker_reply(c, h, -EINVAL, NULL, 0);
		return;
	}
	if (cap > WIRE_IO_MAX)
		cap = WIRE_IO_MAX;
	out = malloc(cap);
	if (!out) {
		map_put(w, m);
		worker_reply(c, h, -ENOMEM, NULL, 0);
		return;
	}
	pos = p.offset;
	pthread_mutex_lock(&m->seen_lock);
	used = diff_runs(m, &pos, end, out, cap);
	pthread_mutex_unlock(&m->seen_lock);
	worker_reply(c, h, (int64_t)(pos - p.offset), out, used);
	free(out);
	map_put(w, m);
}

/*
 * SYSINFO: the sysfs view (sysinfo.c) of the DRM nodes this guest may
 * open, for libdrm's and Mesa's device discovery on the guest side.
 */
static void op_sysinfo(struct worker *w, struct wconn *c, const struct wire_hdr *h)
{
	const char *names[SYSINFO_NODES], *why;
	struct dirent *de;
	char store[SYSINFO_NODES][SYSINFO_NODE_MAX], path[16 + sizeof(de->d_name)];
	size_t n = 0, len = 0;
	char *out = NULL;
	DIR *d = opendir("/dev/dri");
	int r;

	while (d && (de = readdir(d)) && n < SYSINFO_NODES) {
		if (strncmp(de->d_name, "card", 4) && strncmp(de->d_name, "renderD", 7))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		if (strlen(de->d_name) >= SYSINFO_NODE_MAX ||
		    iso_guest_may_open(&w->pol, &w->cfg->policy, path, &why))
			continue;
		memcpy(store[n], de->d_name, strlen(de->d_name) + 1); /* length checked above */
		names[n] = store[n];
		n++;
	}
	if (d)
		closedir(d);
	r = sysinfo_collect("", names, n, &out, &len);
	if (!r && len + 128 > w->cfg->max_frame)
		r = -E2BIG;
	if (r)
		blog(LOG_W, "%s: sysfs view of %zu DRM nodes: %s", c->desc, n, strerror(-r));
	worker_reply(c, h, r ? r : (int64_t)len, r ? NULL : out, r ? 0 : (uint32_t)len);
	free(out);
}

static void op_fork(struct worker *w, struct wconn *c, const struct wire_hdr *h)
{
	struct wire_fork_reply fr = {0};
	struct wreserve *r = calloc(1, sizeof(*r));

	if (!r || getrandom(&r->token, sizeof(r->token), 0) != sizeof(r->token)) {
		free(r);
		worker_reply(c, h, -ENOMEM, NULL, 0);
		return;
	}
	pthread_mutex_lock(&w->lock);
	r->handles = malloc((c->nhandles ? c->nhandles : 1) * sizeof(uint32_t));
	if (r->handles) {
		r->n = c->nhandles;
		for (uint32_t i = 0; i < r->n; i++) {
			struct wfile *f = w->files[c->handles[i]];

			r->handles[i] = c->handles[i];
			f->opens++;
			f->refs++;
		}
		r->expires = time(NULL) + FORK_TOKEN_TTL;
		r->next = w->reserves;
		w->reserves = r;
	}
	pthread_mutex_unlock(&w->lock);
	if (!r->handles) {
		free(r);
		worker_reply(c, h, -ENOMEM, NULL, 0);
		return;
	}
	fr.token = r->token;
	fr.handles = r->n;
	worker_reply(c, h, 0, &fr, sizeof(fr));
}

void ops_conn_gone(struct worker *w, struct wconn *c)
{
	struct wmap **pp = &w->maps, *dead = NULL;

	pthread_mutex_lock(&w->lock);
	while (*pp) {
		struct wmap *m = *pp;

		if (m->owner != c) {
			pp = &m->next;
			continue;
		}
		*pp = m->next;
		m->unlinked = 1;
		m->users++;
		m->next = dead;
		dead = m;
	}
	pthread_mutex_unlock(&w->lock);
	while (dead) {
		struct wmap *m = dead;

		dead = m->next;
		map_put(w, m);
	}
}

/* Operations on one file: look the handle up (this connection must hold it). */
static void file_op(struct worker *w, struct wconn *c, struct wire_hdr *h)
{
	struct wfile *f = worker_file_get(w, c, h->handle);

	if (!f) {
		worker_reply(c, h, -EBADF, NULL, 0);
		return;
	}
	switch (h->op) {
	case WIRE_OP_READ:
		op_read(w, c, h, f);
		break;
	case WIRE_OP_WRITE:
		op_write(w, c, h, f);
		break;
	case WIRE_OP_IOCTL:
		op_ioctl(w, c, h, f);
		break;
	case WIRE_OP_POLL:
		op_poll(w, c, h, f);
		break;
	case WIRE_OP_FSTAT:
		op_fstat(c, h, f);
		break;
	case WIRE_OP_LSEEK:
		op_lseek(c, h, f);
		break;
	case WIRE_OP_MMAP:
		op_mmap(w, c, h, f);
		break;
	}
	worker_file_put(w, f);
}

void ops_dispatch(struct worker *w, struct wconn *c, struct wire_hdr *h)
{
	switch (h->op) {
	case WIRE_OP_OPEN:
		op_open(w, c, h);
		break;
	case WIRE_OP_CLOSE:
		op_close(w, c, h);
		break;
	case WIRE_OP_STAT:
		op_stat(w, c, h);
		break;
	case WIRE_OP_MUNMAP:
		op_munmap(w, c, h);
		break;
	case WIRE_OP_PAGES_READ:
	case WIRE_OP_PAGES_WRITE:
		op_pages(w, c, h);
		break;
	case WIRE_OP_PAGES_DIFF:
		op_pages_diff(w, c, h);
		break;
	case WIRE_OP_SYSINFO:
		op_sysinfo(w, c, h);
		break;
	case WIRE_OP_FORK:
		op_fork(w, c, h);
		break;
	case WIRE_OP_PING:
		worker_reply(c, h, 0, NULL, 0);
		break;
	default:
		file_op(w, c, h);
		break;
	}
}
