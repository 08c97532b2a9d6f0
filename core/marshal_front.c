/* SPDX-License-Identifier: MIT */
/*
 * marshal_front.c - the frontend's half of the engine: build an IOCTL
 * request from guest memory (m_encode_request) and apply the reply to it
 * (m_apply_reply).
 *
 * Guest memory is read exactly once per buffer; every pointer and count is
 * then taken from the copy in the payload, which is what the backend will
 * see, so a guest thread changing its memory meanwhile cannot make the two
 * sides disagree.
 *
 * The plan remembers where each buffer lives in the guest.  It also holds
 * fd slots (entries whose field is an M_FD): an M_OUT slot receives the
 * local fd of a file the reply creates; an M_IN slot inside a struct that
 * is copied back keeps the guest's own fd (in len), written back over the
 * handle the reply carries there.
 */
#include "marshal_private.h"

struct m_fenc {
	struct m_walk w;
	const struct m_access *acc;
	struct m_buf *out;
	struct m_plan *plan;
	uint32_t nbuf;
};

static int m_plan_add(struct m_plan *p, uint64_t uaddr, uint32_t len, uint32_t dir,
		      const struct m_field *f)
{
	struct m_plan_ent *ents;
	uint32_t cap;

	if (p->count == p->cap) {
		cap = p->cap ? p->cap * 2 : 8;
		if (!p->alloc || cap < p->cap)
			return -ENOMEM;
		ents = p->alloc->alloc(p->alloc->ctx, (uint64_t)cap * sizeof(*ents));
		if (!ents)
			return -ENOMEM;
		if (p->count)
			vdri_memcpy(ents, p->ents, p->count * sizeof(*ents));
		if (p->ents)
			p->alloc->free(p->alloc->ctx, p->ents);
		p->ents = ents;
		p->cap = cap;
	}
	p->ents[p->count++] = (struct m_plan_ent){uaddr, len, dir, f, 0};
	return 0;
}

static int m_plan_is_fd(const struct m_plan_ent *e)
{
	return e->field && e->field->kind == M_FD;
}

static int m_plan_is_time(const struct m_plan_ent *e)
{
	return e->field && e->field->kind == M_TIME;
}

/* ---- encode --------------------------------------------------------------- */

static int m_fenc_buf(struct m_walk *w, const struct m_field *f, const struct m_sloc *s,
		      uint64_t ptr, uint32_t len, uint32_t dir, struct m_sloc *data)
{
	struct m_fenc *e = w->ctx;
	struct m_buf *out = e->out;
	uint64_t padded = VDRI_ALIGN8((uint64_t)len);
	uint64_t need = sizeof(struct wire_ioctl_buf) + ((dir & M_IN) ? padded : 0);
	uint32_t off;
	int ret;

	if (need > M_U32_MAX)
		return -E2BIG;
	ret = m_buf_reserve(out, (uint32_t)need);
	if (ret)
		return ret;
	m_put_buf_hdr(out->data + out->len, len, dir);
	off = out->len + (uint32_t)sizeof(struct wire_ioctl_buf);
	if (dir & M_IN) {
		if (e->acc->read(e->acc->ctx, out->data + off, ptr, len))
			return -EFAULT;
		vdri_memset(out->data + off + len, 0, padded - len);
	}
	ret = m_plan_add(e->plan, ptr, len, dir, f);
	if (ret)
		return ret;
	out->len += (uint32_t)need;
	e->nbuf++;
	data->basep = &out->data;
	data->off = off;
	return 0;
}

static int m_fenc_empty(struct m_walk *w, const struct m_field *f, const struct m_sloc *s,
			uint64_t ptr)
{
	return 0; /* the backend points it at something harmless */
}

static int m_fenc_fd(struct m_walk *w, const struct m_field *f, const struct m_sloc *s)
{
	struct m_fenc *e = w->ctx;
	uint8_t *p = m_sloc_ptr(s) + f->ptr_off;
	uint64_t uaddr = s->uaddr + f->ptr_off;
	int32_t fd;
	uint32_t h = 0;
	int ret;

	if (f->dir == M_OUT)
		return m_plan_add(e->plan, uaddr, 0, M_OUT, f);
	fd = m_get_fd(p);
	if (fd < 0) /* "none" travels as is */
		return f->dir == M_INOUT ? m_plan_add(e->plan, uaddr, (uint32_t)fd, M_INOUT, f) : 0;
	ret = e->acc->fd_to_handle(e->acc->ctx, fd, &h);
	if (ret)
		return ret < 0 ? ret : -EBADF;
	if (!m_handle_ok(h))
		return -EBADF;
	m_put_uint(p, 4, h);
	if (!(s->dir & M_OUT))
		return 0;
	return m_plan_add(e->plan, uaddr, (uint32_t)fd, f->dir, f);
}

/* A deadline travels relative; the guest gets its own value back. */
static int m_fenc_time(struct m_walk *w, const struct m_field *f, const struct m_sloc *s)
{
	struct m_fenc *e = w->ctx;
	uint8_t *p = m_sloc_ptr(s) + f->ptr_off;
	int64_t v = (int64_t)m_get_uint(p, 8);
	int ret;

	if (!e->acc->now_ns)
		return 0;
	m_put_uint(p, 8, (uint64_t)m_time_to_rel(v, e->acc->now_ns(e->acc->ctx)));
	if (!(s->dir & M_OUT))
		return 0;
	ret = m_plan_add(e->plan, s->uaddr + f->ptr_off, 8, M_IN, f);
	if (!ret)
		e->plan->ents[e->plan->count - 1].value = (uint64_t)v;
	return ret;
}

static const struct m_walk_ops m_fenc_ops = {
    .buf = m_fenc_buf,
    .empty = m_fenc_empty,
    .fd = m_fenc_fd,
    .time = m_fenc_time,
};

/* The by-value argument as it travels: a guest fd becomes its handle. */
static int m_fenc_arg(const struct m_ioctl *d, uint64_t arg, const struct m_access *acc,
		      uint64_t *wire_arg)
{
	int32_t fd = (int32_t)(uint32_t)arg;
	uint32_t h = 0;
	int ret;

	*wire_arg = m_no_arg(d) ? 0 : arg;
	if (!d || !(d->flags & M_F_ARG_FD) || fd < 0)
		return 0;
	ret = acc->fd_to_handle(acc->ctx, fd, &h);
	if (ret)
		return ret < 0 ? ret : -EBADF;
	if (!m_handle_ok(h))
		return -EBADF;
	*wire_arg = h;
	return 0;
}

int m_encode_request(const struct m_ioctl *d, uint32_t cmd, uint64_t arg,
		     const struct m_access *acc, const struct m_limits *lim, struct m_buf *out,
		     struct m_plan *plan)
{
	struct m_fenc e = {.acc = acc, .out = out, .plan = plan};
	struct wire_ioctl wi = {.cmd = vdri_le32(cmd)};
	uint32_t base = out->len, size, dir;
	uint64_t wire_arg = 0;
	int ret;

	plan->count = 0;
	if (!plan->alloc)
		plan->alloc = out->alloc;
	if (d && d->cmd != cmd)
		return -EINVAL;
	m_top(d, cmd, &size, &dir);
	if (!size) {
		ret = m_fenc_arg(d, arg, acc, &wire_arg);
		if (ret)
			return ret;
	}
	ret = m_buf_reserve(out, sizeof(wi));
	if (ret)
		return ret;
	out->len += sizeof(wi);
	m_walk_init(&e.w, &m_fenc_ops, &e, lim);
	ret = m_walk_run(&e.w, d, cmd, arg);
	if (ret)
		goto err;
	wi.flags = vdri_le32(m_wire_flags(d));
	wi.arg = vdri_le64(wire_arg);
	wi.nbuf = vdri_le32(e.nbuf);
	vdri_memcpy(out->data + base, &wi, sizeof(wi));
	return 0;
err:
	out->len = base;
	plan->count = 0;
	return ret;
}

/* ---- apply ---------------------------------------------------------------- */

struct m_fapply {
	const struct m_plan *plan;
	const struct m_access *acc;
	const uint8_t *reply;
	uint32_t len;
	uint32_t files_off; /* where the file records start */
	uint32_t nfile;
	int32_t *fds; /* local fds by file record, -1 for none */
	uint32_t ncreated;
};

static uint32_t m_plan_count(const struct m_plan *p, int fd_slots, uint32_t dir)
{
	uint32_t i, n = 0;

	for (i = 0; i < p->count; i++)
		if (m_plan_is_fd(&p->ents[i]) == fd_slots && (p->ents[i].dir & dir))
			n++;
	return n;
}

/* Check every out buffer of the reply against the plan; find the files. */
static int m_fapply_check_bufs(struct m_fapply *a)
{
	const struct m_plan *p = a->plan;
	uint32_t i, pos = sizeof(struct wire_reply) + sizeof(struct wire_ioctl_reply), len, dir;
	uint64_t padded;

	for (i = 0; i < p->count; i++) {
		const struct m_plan_ent *e = &p->ents[i];

		if (m_plan_is_fd(e) || !(e->dir & M_OUT))
			continue;
		if (a->len - pos < sizeof(struct wire_ioctl_buf) ||
		    m_get_buf_hdr(a->reply + pos, &len, &dir) || len != e->len || dir != e->dir)
			return -EPROTO;
		pos += sizeof(struct wire_ioctl_buf);
		padded = VDRI_ALIGN8((uint64_t)len);
		if (padded > a->len - pos)
			return -EPROTO;
		pos += (uint32_t)padded;
	}
	if ((uint64_t)a->nfile * M_FILE_SIZE != a->len - pos)
		return -EPROTO;
	a->files_off = pos;
	return 0;
}

static void m_fapply_file(const struct m_fapply *a, uint32_t k, struct wire_ioctl_file *wf)
{
	vdri_memcpy(wf, a->reply + a->files_off + k * M_FILE_SIZE, sizeof(*wf));
	wf->handle = vdri_le32(wf->handle);
}

/* File records: handle 0 (none) or a valid one; M_F_RET_FD's, the last, must exist. */
static int m_fapply_check_files(const struct m_fapply *a, int ret_fd)
{
	struct wire_ioctl_file wf;
	uint32_t k;

	for (k = 0; k < a->nfile; k++) {
		m_fapply_file(a, k, &wf);
		if (wf.reserved || (wf.handle && !m_handle_ok(wf.handle)))
			return -EPROTO;
		if (ret_fd && k == a->nfile - 1 && !wf.handle)
			return -EPROTO;
	}
	return 0;
}

static void m_fapply_drop(struct m_fapply *a)
{
	uint32_t k;

	for (k = 0; k < a->ncreated; k++)
		if (a->fds[k] >= 0)
			a->acc->drop_file(a->acc->ctx, a->fds[k]);
	a->ncreated = 0;
}

/* Turn the reply's files into local fds (-1 where a record has none). */
static int m_fapply_files(struct m_fapply *a)
{
	struct wire_ioctl_file wf;
	uint32_t k;
	int32_t fd;

	for (k = 0; k < a->nfile; k++) {
		m_fapply_file(a, k, &wf);
		fd = wf.handle ? a->acc->new_file(a->acc->ctx, wf.handle, &wf.info) : -1;
		if (wf.handle && fd < 0) {
			m_fapply_drop(a);
			return fd;
		}
		a->fds[k] = fd;
		a->ncreated = k + 1;
	}
	return 0;
}

/*
 * Write the out buffers, the top level last: drm_ioctl copies the argument
 * out after the driver wrote the nested buffers.
 */
static int m_fapply_write_bufs(struct m_fapply *a)
{
	const struct m_plan *p = a->plan;
	uint32_t i, pos = sizeof(struct wire_reply) + sizeof(struct wire_ioctl_reply);
	const struct m_plan_ent *e, *top = NULL;
	const uint8_t *top_data = NULL;

	for (i = 0, e = p->ents; i < p->count; i++, e++) {
		if (m_plan_is_fd(e) || !(e->dir & M_OUT))
			continue;
		pos += sizeof(struct wire_ioctl_buf);
		if (!e->field) {
			top = e;
			top_data = a->reply + pos;
		} else if (a->acc->write(a->acc->ctx, e->uaddr, a->reply + pos, e->len)) {
			return -EFAULT;
		}
		pos += (uint32_t)VDRI_ALIGN8((uint64_t)e->len);
	}
	if (top && a->acc->write(a->acc->ctx, top->uaddr, top_data, top->len))
		return -EFAULT;
	return 0;
}

/* Then the fd slots inside them: local fds for new files, the guest's own fds back. */
static int m_fapply_write_slots(struct m_fapply *a)
{
	const struct m_plan *p = a->plan;
	const struct m_plan_ent *e;
	uint32_t i, k = 0;
	uint8_t v[4], t[8];

	for (i = 0, e = p->ents; i < p->count; i++, e++) {
		if (m_plan_is_time(e)) {
			m_put_uint(t, 8, e->value);
			if (a->acc->write(a->acc->ctx, e->uaddr, t, sizeof(t)))
				return -EFAULT;
			continue;
		}
		if (!m_plan_is_fd(e))
			continue;
		if (e->dir == M_IN)
			m_put_fd(v, (int32_t)e->len);
		else if (a->fds[k++] >= 0)
			m_put_fd(v, a->fds[k - 1]);
		else if (e->dir == M_INOUT)
			m_put_fd(v, (int32_t)e->len); /* nothing new: the guest's own fd */
		else
			continue; /* no file: the buffer carries what the kernel wrote */
		if (a->acc->write(a->acc->ctx, e->uaddr, v, sizeof(v)))
			return -EFAULT;
	}
	return 0;
}

static int m_fapply_run(struct m_fapply *a, int ret_fd, int64_t *result)
{
	int ret = m_fapply_files(a);

	if (ret)
		return ret;
	ret = m_fapply_write_bufs(a);
	if (!ret)
		ret = m_fapply_write_slots(a);
	if (ret) {
		m_fapply_drop(a);
		return ret;
	}
	if (ret_fd)
		*result = a->fds[a->nfile - 1];
	return 0;
}

/* The reply's shape must be exactly what the plan expects. */
static int m_fapply_parse(struct m_fapply *a, int ret_fd, int64_t *result)
{
	struct wire_ioctl_reply ir;
	uint64_t res;

	if (a->len < sizeof(struct wire_reply) + sizeof(ir))
		return -EPROTO;
	vdri_memcpy(&res, a->reply, sizeof(res));
	vdri_memcpy(&ir, a->reply + sizeof(struct wire_reply), sizeof(ir));
	*result = (int64_t)vdri_le64(res);
	a->nfile = vdri_le32(ir.nfile);
	if (vdri_le32(ir.nbuf) != m_plan_count(a->plan, 0, M_OUT))
		return -EPROTO;
	if (*result < 0 ? a->nfile != 0
			: a->nfile != m_plan_count(a->plan, 1, M_OUT) + (ret_fd ? 1u : 0u))
		return -EPROTO;
	if (m_fapply_check_bufs(a))
		return -EPROTO;
	return m_fapply_check_files(a, ret_fd);
}

int m_apply_reply(const struct m_ioctl *d, uint32_t cmd, uint64_t arg, const struct m_plan *plan,
		  const struct m_access *acc, const void *reply, uint32_t reply_len,
		  int64_t *result)
{
	struct m_fapply a = {.plan = plan, .acc = acc, .reply = reply, .len = reply_len};
	const struct m_alloc *al = plan->alloc;
	int ret_fd = d && (d->flags & M_F_RET_FD);
	int32_t small[16];
	int64_t res = 0;
	int ret;

	ret = m_fapply_parse(&a, ret_fd, &res);
	/* like drm_ioctl: nothing is copied back on error */
	if (ret || res < 0)
		goto out;
	a.fds = small;
	if (a.nfile > sizeof(small) / sizeof(small[0])) {
		a.fds = al ? al->alloc(al->ctx, (uint64_t)a.nfile * sizeof(*a.fds)) : NULL;
		if (!a.fds) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = m_fapply_run(&a, ret_fd, &res);
	if (a.fds != small)
		al->free(al->ctx, a.fds);
out:
	*result = ret ? ret : res;
	return ret;
}
