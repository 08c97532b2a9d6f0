/* SPDX-License-Identifier: MIT */
/*
 * marshal_back.c - the backend's half of the engine: rebuild a request
 * with local pointers (m_decode_request) and build the reply after the
 * ioctl ran (m_encode_reply).
 *
 * Nothing in a request is trusted: every record is checked against what
 * the backend's own walk of its own copy expects (length, direction,
 * count, order), reserved bytes and padding must be zero, and no guest
 * pointer value ever reaches the kernel: a pointer is either patched to
 * local memory or left 0.  The decoder records what it did (struct m_rec)
 * and the reply replays that record, since the kernel may have rewritten
 * the counts it would otherwise walk again.
 */
#include "marshal_private.h"

enum m_rec_kind {
	M_REC_BUF,	/* a buffer; at = its pointer field (NULL: top level) */
	M_REC_EMPTY,	/* a non-null pointer to nothing, aimed at m_empty */
	M_REC_FD_IN,	/* a handle turned into a real fd; restored in the reply */
	M_REC_FD_OUT,	/* an fd the kernel may write */
	M_REC_FD_INOUT, /* a handle turned into a real fd that the kernel replaces on success */
};

struct m_rec {
	uint8_t *local; /* M_REC_BUF: the local bytes; M_REC_FD_*: the fd field */
	uint8_t *at;	/* the pointer field in a local copy, or NULL */
	uint64_t guest; /* the guest's pointer value, or the handle (M_REC_FD_IN) */
	uint32_t len;
	uint8_t kind;
	uint8_t dir;
	uint8_t ptr_size;
	uint8_t owned; /* local was allocated here (an M_OUT-only buffer) */
};

struct m_call {
	struct m_walk w;
	const struct m_ioctl *d;
	const struct m_alloc *alloc;
	const struct m_back_ops *ops;
	uint8_t *payload;
	uint32_t len;
	uint32_t pos;  /* decode cursor in the payload */
	uint32_t nbuf; /* buffers the request announced */
	uint32_t seen; /* buffers the walk found */
	uint32_t cmd;
	uint64_t arg; /* the by-value argument, fd-translated */
	uint8_t *top; /* the local top-level argument, or NULL */
	struct m_rec *recs;
	uint32_t nrec;
	uint32_t caprec;
	int replied;
};

/* Where empty arrays point: non-null like the guest's pointer, never written. */
static uint8_t m_empty[8];

static int m_rec_add(struct m_call *c, const struct m_rec *r)
{
	struct m_rec *recs;
	uint32_t cap;

	if (c->nrec == c->caprec) {
		cap = c->caprec ? c->caprec * 2 : 8;
		if (cap < c->caprec)
			return -ENOMEM;
		recs = c->alloc->alloc(c->alloc->ctx, (uint64_t)cap * sizeof(*recs));
		if (!recs)
			return -ENOMEM;
		if (c->nrec)
			vdri_memcpy(recs, c->recs, c->nrec * sizeof(*recs));
		if (c->recs)
			c->alloc->free(c->alloc->ctx, c->recs);
		c->recs = recs;
		c->caprec = cap;
	}
	c->recs[c->nrec++] = *r;
	return 0;
}

static int m_put_ptr(uint8_t *at, uint32_t size, const void *p)
{
	uint64_t v = (uint64_t)(uintptr_t)p;

	if (size == 4 && v > M_U32_MAX)
		return -EOVERFLOW; /* a 32-bit pointer field cannot hold our address */
	m_put_uint(at, size, v);
	return 0;
}

static int m_zero(const uint8_t *p, uint64_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* ---- decode --------------------------------------------------------------- */

/* The next record must be exactly what our own walk expects. */
static int m_bdec_take(struct m_call *c, uint32_t len, uint32_t dir, uint8_t **local)
{
	uint32_t rlen, rdir;
	uint64_t padded = VDRI_ALIGN8((uint64_t)len);

	if (c->seen == c->nbuf || c->len - c->pos < sizeof(struct wire_ioctl_buf))
		return -EINVAL;
	if (m_get_buf_hdr(c->payload + c->pos, &rlen, &rdir) || rlen != len || rdir != dir)
		return -EINVAL;
	c->pos += sizeof(struct wire_ioctl_buf);
	c->seen++;
	if (!(dir & M_IN)) {
		*local = c->alloc->alloc(c->alloc->ctx, len);
		if (!*local)
			return -ENOMEM;
		vdri_memset(*local, 0, len); /* never show the guest our old memory */
		return 0;
	}
	if (padded > c->len - c->pos || !m_zero(c->payload + c->pos + len, padded - len))
		return -EINVAL;
	*local = c->payload + c->pos; /* IN buffers are used in place */
	c->pos += (uint32_t)padded;
	return 0;
}

static int m_bdec_buf(struct m_walk *w, const struct m_field *f, const struct m_sloc *s,
		      uint64_t ptr, uint32_t len, uint32_t dir, struct m_sloc *data)
{
	struct m_call *c = w->ctx;
	struct m_rec r = {.guest = ptr, .len = len, .kind = M_REC_BUF, .dir = (uint8_t)dir};
	int ret;

	ret = m_bdec_take(c, len, dir, &r.local);
	if (ret)
		return ret;
	r.owned = !(dir & M_IN);
	if (f) {
		r.at = m_sloc_ptr(s) + f->ptr_off;
		r.ptr_size = f->ptr_size;
	}
	ret = m_rec_add(c, &r);
	if (ret) {
		if (r.owned)
			c->alloc->free(c->alloc->ctx, r.local);
		return ret;
	}
	/* the walker only walks the top level and M_STRUCTS, which are M_IN: in place */
	data->basep = &c->top;
	data->off = 0;
	if (!f) {
		c->top = r.local;
		return 0;
	}
	if (dir & M_IN) {
		data->basep = &c->payload;
		data->off = (uint64_t)(r.local - c->payload);
	}
	return m_put_ptr(r.at, r.ptr_size, r.local);
}

static int m_bdec_empty(struct m_walk *w, const struct m_field *f, const struct m_sloc *s,
			uint64_t ptr)
{
	struct m_call *c = w->ctx;
	struct m_rec r = {.at = m_sloc_ptr(s) + f->ptr_off,
			  .guest = ptr,
			  .kind = M_REC_EMPTY,
			  .ptr_size = f->ptr_size};
	int ret = m_rec_add(c, &r);

	return ret ? ret : m_put_ptr(r.at, r.ptr_size, m_empty);
}

static int m_bdec_handle(struct m_call *c, uint32_t h, int32_t *fd)
{
	int ret;

	if (!c->ops || !c->ops->handle_to_fd)
		return -EBADF;
	ret = c->ops->handle_to_fd(c->ops->ctx, h, fd);
	if (ret)
		return ret < 0 ? ret : -EBADF;
	return *fd < 0 ? -EBADF : 0;
}

static int m_bdec_fd(struct m_walk *w, const struct m_field *f, const struct m_sloc *s)
{
	struct m_call *c = w->ctx;
	struct m_rec r = {.local = m_sloc_ptr(s) + f->ptr_off, .kind = M_REC_FD_OUT};
	int32_t v = m_get_fd(r.local), fd;
	int ret;

	if (f->dir == M_OUT) {
		/* whatever the guest left there must not pass for a new fd */
		m_put_fd(r.local, -1);
		return m_rec_add(c, &r);
	}
	r.kind = f->dir == M_INOUT ? M_REC_FD_INOUT : M_REC_FD_IN;
	r.guest = (uint32_t)v;
	if (v < 0)
		return f->dir == M_INOUT ? m_rec_add(c, &r) : 0;
	ret = m_bdec_handle(c, (uint32_t)v, &fd);
	if (ret)
		return ret;
	m_put_fd(r.local, fd);
	if (!(s->dir & M_OUT))
		return 0;
	return m_rec_add(c, &r);
}

/* "ns from now" back to this machine's absolute deadline (the frontend restores the guest's). */
static int m_bdec_time(struct m_walk *w, const struct m_field *f, const struct m_sloc *s)
{
	struct m_call *c = w->ctx;
	uint8_t *p = m_sloc_ptr(s) + f->ptr_off;

	if (c->ops && c->ops->now_ns)
		m_put_uint(p, 8,
			   (uint64_t)m_time_to_abs((int64_t)m_get_uint(p, 8),
						   c->ops->now_ns(c->ops->ctx)));
	return 0;
}

static const struct m_walk_ops m_bdec_ops = {
    .buf = m_bdec_buf,
    .empty = m_bdec_empty,
    .fd = m_bdec_fd,
    .time = m_bdec_time,
};

static int m_bdec_header(struct m_call *c, const struct wire_ioctl *wi, uint32_t *size)
{
	const struct m_ioctl *d = c->d;
	uint32_t dir, h = (uint32_t)c->arg;
	int32_t fd;
	int ret;

	if (wi->reserved || vdri_le32(wi->flags) != m_wire_flags(d))
		return -EINVAL;
	if ((d && d->cmd != c->cmd) ||
	    c->nbuf > (c->len - sizeof(*wi)) / sizeof(struct wire_ioctl_buf))
		return -EINVAL;
	m_top(d, c->cmd, size, &dir);
	if (*size || m_no_arg(d))
		return c->arg ? -EINVAL : 0; /* the guest's pointer stays home */
	if (!d || !(d->flags & M_F_ARG_FD) || (int32_t)h < 0)
		return 0;
	if (c->arg > M_U32_MAX)
		return -EINVAL;
	ret = m_bdec_handle(c, h, &fd);
	if (!ret)
		c->arg = (uint32_t)fd;
	return ret;
}

int m_decode_request(const struct m_ioctl *d, void *payload, uint32_t len,
		     const struct m_limits *lim, const struct m_alloc *alloc,
		     const struct m_back_ops *ops, struct m_call **out)
{
	struct wire_ioctl wi;
	struct m_call *c;
	uint32_t size;
	int ret;

	*out = NULL;
	if (!payload || len < sizeof(wi) || ((uintptr_t)payload & 7))
		return -EINVAL;
	c = alloc->alloc(alloc->ctx, sizeof(*c));
	if (!c)
		return -ENOMEM;
	vdri_memset(c, 0, sizeof(*c));
	vdri_memcpy(&wi, payload, sizeof(wi));
	c->d = d;
	c->alloc = alloc;
	c->ops = ops;
	c->payload = payload;
	c->len = len;
	c->pos = sizeof(wi);
	c->cmd = vdri_le32(wi.cmd);
	c->arg = vdri_le64(wi.arg);
	c->nbuf = vdri_le32(wi.nbuf);
	ret = m_bdec_header(c, &wi, &size);
	if (ret)
		goto err;
	m_walk_init(&c->w, &m_bdec_ops, c, lim);
	ret = m_walk_run(&c->w, d, c->cmd, 0);
	if (!ret && (c->seen != c->nbuf || c->pos != c->len))
		ret = -EINVAL;
	if (ret)
		goto err;
	*out = c;
	return 0;
err:
	m_call_free(c);
	return ret;
}

uint32_t m_call_cmd(const struct m_call *c)
{
	return c->cmd;
}

unsigned long m_call_arg(const struct m_call *c)
{
	return c->top ? (unsigned long)(uintptr_t)c->top : (unsigned long)c->arg;
}

void m_call_free(struct m_call *c)
{
	uint32_t i;

	if (!c)
		return;
	for (i = 0; i < c->nrec; i++)
		if (c->recs[i].owned)
			c->alloc->free(c->alloc->ctx, c->recs[i].local);
	if (c->recs)
		c->alloc->free(c->alloc->ctx, c->recs);
	c->alloc->free(c->alloc->ctx, c);
}

/* ---- reply ---------------------------------------------------------------- */

/* File records being written while fds are registered. */
struct m_files {
	uint8_t *at;
	uint32_t n;
	int err; /* first failure: the rest are only handed over and dropped */
};

static void m_brep_unregister(struct m_call *c, uint32_t h)
{
	if (h && c->ops->drop_handle)
		c->ops->drop_handle(c->ops->ctx, h);
}

/* Give ops->new_handle an fd the kernel created: 0 and a handle, or -errno. */
static int m_brep_register(struct m_call *c, int32_t fd, struct wire_ioctl_file *wf)
{
	uint32_t h = 0;
	int ret;

	vdri_memset(wf, 0, sizeof(*wf));
	if (!c->ops || !c->ops->new_handle)
		return -EBADF; /* nobody to own it: a table with fds needs ops */
	ret = c->ops->new_handle(c->ops->ctx, fd, &h, &wf->info);
	if (ret)
		return ret < 0 ? ret : -EIO;
	if (!m_handle_ok(h)) {
		m_brep_unregister(c, h);
		return -EOVERFLOW;
	}
	wf->handle = vdri_le32(h);
	return 0;
}

/*
 * One fd the kernel created (or a negative "none"): a file record, its
 * handle returned.  new_handle owns the fd even when it fails, and
 * marshal.c cannot close(2), so after a failure every later fd is still
 * handed over, and dropped at once.
 */
static uint32_t m_brep_one(struct m_call *c, struct m_files *fs, int32_t fd)
{
	struct wire_ioctl_file wf;
	int ret;

	if (fs->err) {
		if (fd >= 0 && !m_brep_register(c, fd, &wf))
			m_brep_unregister(c, vdri_le32(wf.handle));
		return 0;
	}
	vdri_memset(&wf, 0, sizeof(wf));
	ret = fd >= 0 ? m_brep_register(c, fd, &wf) : 0;
	if (ret) {
		fs->err = ret;
		return 0;
	}
	vdri_memcpy(fs->at + fs->n++ * M_FILE_SIZE, &wf, sizeof(wf));
	return vdri_le32(wf.handle);
}

static int m_rec_fd_out(const struct m_rec *r)
{
	return r->kind == M_REC_FD_OUT || r->kind == M_REC_FD_INOUT;
}

/* Register M_FD M_OUT fields, then M_F_RET_FD's result.  Returns the result to report. */
static int64_t m_brep_files(struct m_call *c, int64_t result, struct m_files *fs)
{
	struct wire_ioctl_file wf;
	uint32_t i, h;

	for (i = 0; i < c->nrec; i++) {
		if (!m_rec_fd_out(&c->recs[i]))
			continue;
		h = m_brep_one(c, fs, m_get_fd(c->recs[i].local));
		if (h)
			m_put_uint(c->recs[i].local, 4, h);
	}
	if (c->d && (c->d->flags & M_F_RET_FD))
		result = m_brep_one(c, fs, (int32_t)result);
	if (!fs->err)
		return result;
	for (i = 0; i < fs->n; i++) {
		vdri_memcpy(&wf, fs->at + i * M_FILE_SIZE, sizeof(wf));
		m_brep_unregister(c, vdri_le32(wf.handle));
	}
	fs->n = 0;
	return fs->err;
}

/* The guest gets its own pointer values and handles back, never ours. */
static void m_brep_restore(struct m_call *c, int failed)
{
	struct m_rec *r;
	uint32_t i;

	for (i = 0, r = c->recs; i < c->nrec; i++, r++) {
		if ((r->kind == M_REC_BUF && r->at) || r->kind == M_REC_EMPTY)
			m_put_uint(r->at, r->ptr_size, r->guest);
		else if (r->kind == M_REC_FD_IN || (r->kind == M_REC_FD_INOUT && failed))
			m_put_uint(r->local, 4, r->guest);
		else if (r->kind == M_REC_FD_OUT && failed)
			m_put_fd(r->local, -1);
	}
}

static void m_brep_write(const struct m_call *c, uint8_t *p, int64_t result, uint32_t nout,
			 uint32_t nfile)
{
	struct wire_reply wr = {.result = (int64_t)vdri_le64((uint64_t)result)};
	struct wire_ioctl_reply ir = {.nbuf = vdri_le32(nout), .nfile = vdri_le32(nfile)};
	const struct m_rec *r;
	uint32_t i, padded;

	vdri_memcpy(p, &wr, sizeof(wr));
	vdri_memcpy(p + sizeof(wr), &ir, sizeof(ir));
	p += sizeof(wr) + sizeof(ir);
	for (i = 0, r = c->recs; i < c->nrec; i++, r++) {
		if (r->kind != M_REC_BUF || !(r->dir & M_OUT))
			continue;
		padded = (uint32_t)VDRI_ALIGN8((uint64_t)r->len);
		m_put_buf_hdr(p, r->len, r->dir);
		p += sizeof(struct wire_ioctl_buf);
		vdri_memcpy(p, r->local, r->len);
		vdri_memset(p + r->len, 0, padded - r->len);
		p += padded;
	}
}

int m_encode_reply(struct m_call *c, int64_t result, struct m_buf *out)
{
	uint32_t hdr = sizeof(struct wire_reply) + sizeof(struct wire_ioctl_reply);
	int ret_fd = c->d && (c->d->flags & M_F_RET_FD);
	struct m_files fs = {0};
	uint64_t bufs = 0, total;
	uint32_t i, nout = 0, nslot = ret_fd ? 1 : 0;
	int ret;

	if (c->replied)
		return -EINVAL;
	c->replied = 1;
	for (i = 0; i < c->nrec; i++) {
		nslot += m_rec_fd_out(&c->recs[i]);
		if (c->recs[i].kind != M_REC_BUF || !(c->recs[i].dir & M_OUT))
			continue;
		nout++;
		bufs += sizeof(struct wire_ioctl_buf) + VDRI_ALIGN8((uint64_t)c->recs[i].len);
	}
	total = hdr + bufs + (result >= 0 ? (uint64_t)nslot * M_FILE_SIZE : 0);
	ret = total > M_U32_MAX ? -E2BIG : m_buf_reserve(out, (uint32_t)total);
	if (ret) {
		fs.err = ret; /* still hand the new fds over, to have them closed */
		if (result >= 0)
			m_brep_files(c, result, &fs);
		return ret;
	}
	fs.at = out->data + out->len + hdr + bufs;
	if (result >= 0)
		result = m_brep_files(c, result, &fs);
	m_brep_restore(c, result < 0);
	m_brep_write(c, out->data + out->len, result, nout, fs.n);
	out->len += (uint32_t)(hdr + bufs + (uint64_t)fs.n * M_FILE_SIZE);
	return 0;
}
