/* SPDX-License-Identifier: MIT */
/*
 * marshal.c - the field walker, field and table checks, and the small
 * buffers the marshalling engine builds into.
 *
 * The directions themselves live in marshal_front.c (encode a request,
 * apply a reply) and marshal_back.c (decode a request, encode a reply).
 * Like them this file compiles in user space and in the kernel module:
 * vdri headers only, no libc, allocation only through struct m_alloc.
 */
#include "marshal_private.h"

/* ---- scalars ------------------------------------------------------------ */

uint64_t m_get_uint(const uint8_t *p, uint32_t size)
{
	uint64_t v = 0;
	uint32_t i;

	for (i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void m_put_uint(uint8_t *p, uint32_t size, uint64_t v)
{
	uint32_t i;

	for (i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void m_put_buf_hdr(uint8_t *p, uint32_t len, uint32_t dir)
{
	struct wire_ioctl_buf b = {.len = vdri_le32(len), .dir = (uint8_t)dir};

	vdri_memcpy(p, &b, sizeof(b));
}

int m_get_buf_hdr(const uint8_t *p, uint32_t *len, uint32_t *dir)
{
	struct wire_ioctl_buf b;

	vdri_memcpy(&b, p, sizeof(b));
	if (b.reserved0 || b.reserved1)
		return -EINVAL;
	*len = vdri_le32(b.len);
	*dir = b.dir;
	return 0;
}

/* ---- m_buf and m_plan ----------------------------------------------------- */

int m_buf_reserve(struct m_buf *b, uint32_t extra)
{
	uint64_t need = (uint64_t)b->len + extra;
	uint64_t cap = b->cap ? b->cap : 256;
	uint8_t *p;

	if (need > M_U32_MAX)
		return -E2BIG;
	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > M_U32_MAX)
		cap = M_U32_MAX;
	if (!b->alloc)
		return -ENOMEM;
	p = b->alloc->alloc(b->alloc->ctx, cap);
	if (!p)
		return -ENOMEM;
	if (b->len)
		vdri_memcpy(p, b->data, b->len);
	if (b->data)
		b->alloc->free(b->alloc->ctx, b->data);
	b->data = p;
	b->cap = (uint32_t)cap;
	return 0;
}

void m_buf_fini(struct m_buf *b)
{
	if (b->data && b->alloc)
		b->alloc->free(b->alloc->ctx, b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void m_plan_fini(struct m_plan *p)
{
	if (p->ents && p->alloc)
		p->alloc->free(p->alloc->ctx, p->ents);
	p->ents = NULL;
	p->count = 0;
	p->cap = 0;
}

/* ---- the top level -------------------------------------------------------- */

void m_top(const struct m_ioctl *d, uint32_t cmd, uint32_t *size, uint32_t *dir)
{
	uint32_t s, dr, io;

	if (d && (d->flags & M_F_ARG_VALUE)) {
		s = 0;
		dr = 0;
	} else if (d && (d->flags & M_F_SIZE)) {
		s = d->size;
		dr = d->dir & M_INOUT;
	} else {
		io = m_ioc_dir(cmd);
		s = m_ioc_size(cmd);
		dr = ((io & M_IOC_WRITE) ? M_IN : 0) | ((io & M_IOC_READ) ? M_OUT : 0);
	}
	/* An argument without a size or a direction is a value. */
	if (!s || !dr) {
		s = 0;
		dr = 0;
	}
	*size = s;
	*dir = dr;
}

/* ---- field checks (shared by the walker and m_table_check) ----------------- */

static int m_within(uint32_t off, uint32_t n, uint32_t size)
{
	return (uint64_t)off + n <= size;
}

static const char *m_cond_problem(const struct m_field *f, uint32_t size, uint32_t dir)
{
	if (!f->cond_mask)
		return f->cond_val ? "cond_val without cond_mask" : NULL;
	if (f->cond_val & ~f->cond_mask)
		return "cond_val has bits outside cond_mask";
	if (!m_within(f->cond_off, 4, size))
		return "condition field outside the struct";
	/* conditions are read before the call, from what the guest wrote */
	if (!(dir & M_IN))
		return "condition in a struct the kernel does not read";
	return NULL;
}

static const char *m_ptr_problem(const struct m_field *f, uint32_t size, uint32_t dir)
{
	uint32_t cs = f->count_size;

	if (!(dir & M_IN))
		return "pointer in a struct the kernel does not read";
	if (f->dir < M_IN || f->dir > M_INOUT)
		return "bad direction";
	if ((f->ptr_size != 4 && f->ptr_size != 8) || !m_within(f->ptr_off, f->ptr_size, size))
		return "pointer outside the struct or of a bad size";
	if (cs != 0 && cs != 1 && cs != 2 && cs != 4 && cs != 8)
		return "bad count size";
	if (cs && !m_within(f->count_off, cs, size))
		return "count outside the struct";
	if (!f->max || !f->elem_size)
		return "max or elem_size is 0";
	if ((uint64_t)f->max * f->elem_size > M_U32_MAX)
		return "max * elem_size does not fit a wire buffer";
	if (f->kind != M_STRUCTS)
		return NULL;
	if (!(f->dir & M_IN))
		return "M_STRUCTS the kernel does not read";
	if (!f->elem || !f->elem->fields || f->elem->size != f->elem_size)
		return "M_STRUCTS without elem or with elem_size != elem->size";
	return NULL;
}

static const char *m_fd_problem(const struct m_field *f, uint32_t size, uint32_t dir)
{
	if (f->ptr_size != 4 || !m_within(f->ptr_off, 4, size))
		return "fd outside the struct or not 32-bit";
	if (f->dir == M_IN)
		return (dir & M_IN) ? NULL : "fd M_IN in a struct the kernel does not read";
	if (f->dir == M_OUT)
		return (dir & M_OUT) ? NULL : "fd M_OUT in a struct the kernel does not write";
	/*
	 * M_INOUT means the kernel always replaces the fd on success: only
	 * then can a new fd be told apart from the guest's own.
	 */
	if (f->dir == M_INOUT)
		return dir == M_INOUT ? NULL : "fd M_INOUT in a struct not copied both ways";
	return "bad fd direction";
}

const char *m_field_problem(const struct m_field *f, uint32_t size, uint32_t dir)
{
	const char *why = m_cond_problem(f, size, dir);

	if (why)
		return why;
	switch (f->kind) {
	case M_ARRAY:
	case M_STRUCTS:
		return m_ptr_problem(f, size, dir);
	case M_FD:
		return m_fd_problem(f, size, dir);
	case M_REFUSE:
		if ((f->ptr_size != 1 && f->ptr_size != 2 && f->ptr_size != 4 &&
		     f->ptr_size != 8) ||
		    !m_within(f->ptr_off, f->ptr_size, size))
			return "refused field outside the struct or of a bad size";
		return (dir & M_IN) ? NULL : "refused field in a struct the kernel does not read";
	case M_TIME:
		if (f->ptr_size != 8 || !m_within(f->ptr_off, 8, size))
			return "time outside the struct or not 64-bit";
		return (f->dir == M_IN && (dir & M_IN)) ? NULL
							: "time must be M_IN in a struct read";
	default:
		return "bad field kind";
	}
}

/* ---- the walker ----------------------------------------------------------- */

static int m_walk_struct(struct m_walk *w, const struct m_field *fields, const struct m_sloc *s,
			 uint32_t depth);

/* The buffers walked so far in one field list (for sum_of counts). */
#define M_SUM_FIELDS 16u
struct m_walked_ent {
	const struct m_field *f;
	struct m_sloc data;
	uint64_t len; /* 0: no buffer (inactive, null or empty) */
};
struct m_walked {
	uint32_t n; /* fields visited, including those beyond ents[] */
	struct m_walked_ent ents[M_SUM_FIELDS];
};

void m_walk_init(struct m_walk *w, const struct m_walk_ops *ops, void *ctx,
		 const struct m_limits *lim)
{
	static const struct m_limits def = M_LIMITS_DEFAULT;

	w->ops = ops;
	w->ctx = ctx;
	w->lim = lim ? *lim : def;
	if (w->lim.max_depth > M_DEPTH_HARD_MAX)
		w->lim.max_depth = M_DEPTH_HARD_MAX;
	w->items = 0;
	w->bytes = 0;
}

static int m_walk_count(struct m_walk *w, uint64_t len)
{
	if (w->items >= w->lim.max_bufs)
		return -EINVAL;
	if (len > w->lim.max_bytes - w->bytes || len > M_U32_MAX)
		return -EINVAL;
	w->items++;
	w->bytes += len;
	return 0;
}

static int m_field_active(const struct m_field *f, const struct m_sloc *s)
{
	uint32_t v;

	if (!f->cond_mask)
		return 1;
	v = (uint32_t)m_get_uint(m_sloc_ptr(s) + f->cond_off, 4) & f->cond_mask;
	return f->cond_val ? v == f->cond_val : v != 0;
}

static int m_walk_elems(struct m_walk *w, const struct m_field *f, const struct m_sloc *arr,
			uint64_t count, uint32_t depth)
{
	struct m_sloc e = *arr;
	uint64_t i;
	int ret;

	if (depth > w->lim.max_depth)
		return -EINVAL;
	e.size = f->elem_size;
	for (i = 0; i < count; i++) {
		e.off = arr->off + i * f->elem_size;
		e.uaddr = arr->uaddr + i * f->elem_size;
		ret = m_walk_struct(w, f->elem->fields, &e, depth);
		if (ret)
			return ret;
	}
	return 0;
}

/* A field's count when it is the sum of an earlier array's elements. */
static int m_sum_count(const struct m_field *f, const struct m_walked *done, uint64_t *count)
{
	const struct m_walked_ent *ref;
	const uint8_t *q;
	uint64_t i, sum = 0;

	if (f->sum_of > M_SUM_FIELDS || f->sum_of >= done->n)
		return -EINVAL;
	ref = &done->ents[f->sum_of - 1];
	if (!ref->f || ref->f->kind != M_ARRAY || ref->f->dir != M_IN || ref->f->elem_size != 4)
		return -EINVAL;
	q = ref->len ? m_sloc_ptr(&ref->data) : NULL;
	for (i = 0; q && i < ref->len / 4; i++) {
		sum += m_get_uint(q + 4 * i, 4);
		if (sum > f->max)
			return -EINVAL;
	}
	*count = sum;
	return 0;
}

static int m_walk_ptr(struct m_walk *w, const struct m_field *f, const struct m_sloc *s,
		      uint32_t depth, struct m_walked *done)
{
	const uint8_t *p = m_sloc_ptr(s);
	uint64_t ptr = m_get_uint(p + f->ptr_off, f->ptr_size);
	uint64_t count = f->count_size ? m_get_uint(p + f->count_off, f->count_size) : f->max;
	uint64_t len;
	struct m_sloc data;
	int ret;

	if (f->sum_of && (ret = m_sum_count(f, done, &count)))
		return ret;
	/* a null pointer with any count is a query (drm "count first" calls) */
	if (!ptr)
		return 0;
	if (count > f->max)
		return -EINVAL;
	len = count * f->elem_size; /* both below 2^32: no overflow */
	ret = m_walk_count(w, len);
	if (ret)
		return ret;
	if (!len)
		return w->ops->empty(w, f, s, ptr);
	ret = w->ops->buf(w, f, s, ptr, (uint32_t)len, f->dir, &data);
	if (!ret && done->n <= M_SUM_FIELDS) {
		done->ents[done->n - 1].data = data;
		done->ents[done->n - 1].len = len;
	}
	if (ret || f->kind != M_STRUCTS)
		return ret;
	data.uaddr = ptr;
	data.dir = f->dir;
	return m_walk_elems(w, f, &data, count, depth + 1);
}

static int m_walk_struct(struct m_walk *w, const struct m_field *fields, const struct m_sloc *s,
			 uint32_t depth)
{
	const struct m_field *f;
	struct m_walked done;
	int ret;

	done.n = 0;
	for (f = fields; f->kind != M_END; f++) {
		if (m_field_problem(f, s->size, s->dir))
			return -EINVAL;
		/* what this field's buffer holds, for a later sum_of (none yet) */
		if (done.n < M_SUM_FIELDS)
			done.ents[done.n] = (struct m_walked_ent){.f = f};
		done.n++;
		if (!m_field_active(f, s))
			continue;
		if (f->kind == M_REFUSE) {
			if (m_get_uint(m_sloc_ptr(s) + f->ptr_off, f->ptr_size))
				return -EINVAL;
			continue;
		}
		if (f->kind == M_FD || f->kind == M_TIME) {
			ret = m_walk_count(w, 0);
			if (!ret)
				ret = f->kind == M_FD ? w->ops->fd(w, f, s) : w->ops->time(w, f, s);
		} else {
			ret = m_walk_ptr(w, f, s, depth, &done);
		}
		if (ret)
			return ret;
	}
	return 0;
}

int m_walk_run(struct m_walk *w, const struct m_ioctl *d, uint32_t cmd, uint64_t uaddr)
{
	const struct m_field *fields = d ? d->fields : NULL;
	struct m_sloc top;
	uint32_t size, dir;
	int ret;

	m_top(d, cmd, &size, &dir);
	if (!size)
		return (fields && fields->kind != M_END) ? -EINVAL : 0;
	ret = m_walk_count(w, size);
	if (ret)
		return ret;
	ret = w->ops->buf(w, NULL, NULL, uaddr, size, dir, &top);
	if (ret || !fields)
		return ret;
	top.uaddr = uaddr;
	top.size = size;
	top.dir = dir;
	return m_walk_struct(w, fields, &top, 0);
}

/* ---- deadlines -------------------------------------------------------------- */

/*
 * An absolute deadline becomes "ns from now" on the wire and absolute
 * again on the other machine.  Kernels treat 0 and any past deadline
 * alike (check once, do not sleep), so anything not in the future is 0;
 * additions saturate (INT64_MAX means "forever").
 */
int64_t m_time_to_rel(int64_t abs, int64_t now)
{
	if (abs <= now)
		return 0;
	if (abs == INT64_MAX_M || (now < 0 && abs > INT64_MAX_M + now))
		return INT64_MAX_M;
	return abs - now;
}

int64_t m_time_to_abs(int64_t rel, int64_t now)
{
	if (rel <= 0)
		return 0;
	if (now > 0 && rel > INT64_MAX_M - now)
		return INT64_MAX_M;
	return now + rel;
}

/* ---- tables --------------------------------------------------------------- */

/*
 * A linear scan: tables are written in the order of their UAPI headers
 * (sorting by the whole number, direction and size bits included, would
 * scatter them), and a hundred compares cost nothing next to a round trip.
 */
const struct m_ioctl *m_table_find(const struct m_table *t, uint32_t cmd)
{
	uint32_t i;

	for (i = 0; t && i < t->count; i++)
		if (t->ioctls[i].cmd == cmd)
			return &t->ioctls[i];
	return NULL;
}

static int m_overlap(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return alen && blen && (uint64_t)a < (uint64_t)b + blen && (uint64_t)b < (uint64_t)a + alen;
}

/*
 * Two variants of one field that can never both be active: the same
 * condition bits, different required values (virtio_gpu fence_fd in, out
 * or both; a pointer whose meaning depends on a parameter).  Only one of
 * them ever reads or rewrites the bytes.
 */
static int m_exclusive(const struct m_field *a, const struct m_field *b)
{
	return a->cond_val && b->cond_val && a->cond_off == b->cond_off &&
	       a->cond_mask == b->cond_mask && a->cond_val != b->cond_val;
}

/*
 * The engine rewrites pointer and fd fields in place (fd -> handle on the
 * frontend, -> local address or real fd on the backend).  If a later field
 * read its count or condition from those bytes, the two sides would walk
 * differently, so a struct's rewritten bytes must not overlap anything.
 */
static const char *m_list_overlap(const struct m_field *fields)
{
	const struct m_field *a, *b;

	for (a = fields; a->kind != M_END; a++) {
		/*
		 * A refused field only asks "zero or not", which rewriting keeps
		 * (null stays null, a guest pointer becomes a local one), and it
		 * rewrites nothing itself.
		 */
		if (a->kind == M_REFUSE)
			continue;
		for (b = fields; b->kind != M_END; b++) {
			if (b->kind == M_REFUSE)
				continue;
			if (b != a && m_overlap(a->ptr_off, a->ptr_size, b->ptr_off, b->ptr_size) &&
			    !m_exclusive(a, b))
				return "two pointer or fd fields overlap";
			if (b->kind != M_FD &&
			    m_overlap(a->ptr_off, a->ptr_size, b->count_off, b->count_size))
				return "a count overlaps a pointer or fd field";
			if (b->cond_mask && m_overlap(a->ptr_off, a->ptr_size, b->cond_off, 4))
				return "a condition overlaps a pointer or fd field";
		}
	}
	return NULL;
}

static const char *m_sum_problem(const struct m_field *fields, const struct m_field *f)
{
	const struct m_field *ref;

	if (f->kind != M_ARRAY || f->count_size)
		return "sum_of on a field that is not a plain array without a count";
	if (f->sum_of > M_SUM_FIELDS || f->sum_of > (uint32_t)(f - fields))
		return "sum_of does not name an earlier field";
	ref = &fields[f->sum_of - 1];
	if (ref->kind != M_ARRAY || ref->dir != M_IN || ref->elem_size != 4 || ref->cond_mask)
		return "sum_of names a field that is not an unconditional M_IN array of u32";
	return NULL;
}

/*
 * path/dirs: the element descriptors being checked above this one, and the
 * direction they were checked under (cycles are legal: chains of structs).
 */
static const char *m_struct_check(const struct m_field *fields, uint32_t size, uint32_t dir,
				  const struct m_struct **path, uint32_t *dirs, uint32_t depth)
{
	const struct m_field *f;
	const char *why;
	uint32_t i;

	for (f = fields; f->kind != M_END; f++) {
		why = m_field_problem(f, size, dir);
		if (!why && f->sum_of)
			why = m_sum_problem(fields, f);
		if (why)
			return why;
		if (f->kind != M_STRUCTS)
			continue;
		for (i = 0; i < depth && (path[i] != f->elem || dirs[i] != f->dir); i++)
			;
		if (i < depth)
			continue; /* already being checked further up */
		if (depth == M_DEPTH_HARD_MAX)
			return "nesting too deep";
		path[depth] = f->elem;
		dirs[depth] = f->dir;
		why = m_struct_check(f->elem->fields, f->elem->size, f->dir, path, dirs, depth + 1);
		if (why)
			return why;
	}
	return m_list_overlap(fields);
}

static const char *m_entry_check(const struct m_ioctl *d)
{
	const struct m_struct *path[M_DEPTH_HARD_MAX];
	uint32_t dirs[M_DEPTH_HARD_MAX];
	const struct m_field *fields = d->fields;
	uint32_t size, dir;

	if (d->flags & ~M_F_ENGINE_MASK & ((1u << M_F_CLASS_SHIFT) - 1))
		return "unknown engine flag";
	if (!(d->flags & M_F_SIZE) && (d->size || d->dir))
		return "size or dir without M_F_SIZE";
	if ((d->flags & M_F_SIZE) && (d->dir > M_INOUT || !d->size != !d->dir))
		return "M_F_SIZE with a bad size/dir pair";
	if ((d->flags & M_F_SIZE) && (d->flags & M_F_ARG_VALUE) && d->size)
		return "M_F_ARG_VALUE with a size";
	m_top(d, d->cmd, &size, &dir);
	if ((d->flags & M_F_ARG_FD) && !(d->flags & M_F_ARG_VALUE))
		return "M_F_ARG_FD without M_F_ARG_VALUE";
	if (!fields || fields->kind == M_END)
		return NULL;
	if (!size)
		return "fields on a by-value argument";
	return m_struct_check(fields, size, dir, path, dirs, 0);
}

int m_table_check_reason(const struct m_table *t, const char **entry, const char **reason)
{
	const struct m_ioctl *d;
	const char *why = NULL;
	uint32_t i;

	*entry = t->name;
	*reason = NULL;
	if (t->count && !t->ioctls) {
		*reason = "no entries";
		return -EINVAL;
	}
	for (i = 0; i < t->count && !why; i++) {
		d = &t->ioctls[i];
		*entry = d->name ? d->name : t->name;
		if (m_table_find(t, d->cmd) != d)
			why = "duplicate cmd";
		else
			why = m_entry_check(d);
	}
	if (!why)
		return 0;
	*reason = why;
	return -EINVAL;
}

int m_table_check(const struct m_table *t, const char **why)
{
	const char *entry, *reason;
	int ret = m_table_check_reason(t, &entry, &reason);

	if (ret && why)
		*why = entry;
	return ret;
}
