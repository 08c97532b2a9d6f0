/* SPDX-License-Identifier: MIT */
/* marshal_fake.c - fake guest, fake backend and counting allocator (see marshal_fake.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "marshal_fake.h"
#include "runner.h"

/* ---- allocator ------------------------------------------------------------ */

struct mf_hdr {
	uint64_t size;
	uint64_t pad;
};

static void *mf_alloc_fn(void *ctx, uint64_t size)
{
	struct mf_alloc *al = ctx;
	struct mf_hdr *h;

	al->count++;
	if (al->fail_at && al->count == al->fail_at)
		return NULL;
	if (size > al->biggest)
		al->biggest = size;
	h = malloc(sizeof(*h) + (size ? size : 1));
	if (!h)
		return NULL;
	memset(h + 1, 0xa5, size); /* "need not zero": make sure nobody relies on it */
	h->size = size;
	al->live++;
	return h + 1;
}

static void mf_free_fn(void *ctx, void *p)
{
	struct mf_alloc *al = ctx;

	if (!p)
		return;
	al->live--;
	free((struct mf_hdr *)p - 1);
}

void mf_alloc_init(struct mf_alloc *al)
{
	memset(al, 0, sizeof(*al));
	al->a.alloc = mf_alloc_fn;
	al->a.free = mf_free_fn;
	al->a.ctx = al;
}

/* ---- guest ---------------------------------------------------------------- */

static int mf_range(struct mf_guest *g, uint64_t addr, uint64_t len, int write)
{
	int i;

	for (i = 0; i < g->nregions; i++) {
		uint64_t a = g->regions[i].addr, l = g->regions[i].len;

		if (addr >= a && len <= l && addr - a <= l - len &&
		    (!write || g->regions[i].writable))
			return 1;
	}
	return 0;
}

static int mf_read(void *ctx, void *dst, uint64_t uaddr, uint64_t len)
{
	if (!mf_range(ctx, uaddr, len, 0))
		return -EFAULT;
	memcpy(dst, (const void *)(uintptr_t)uaddr, len);
	return 0;
}

static int mf_write(void *ctx, uint64_t uaddr, const void *src, uint64_t len)
{
	struct mf_guest *g = ctx;

	if (!mf_range(g, uaddr, len, 1))
		return -EFAULT;
	memcpy((void *)(uintptr_t)uaddr, src, len);
	g->writes++;
	return 0;
}

static int mf_fd_to_handle(void *ctx, int32_t fd, uint32_t *handle)
{
	struct mf_guest *g = ctx;
	int i;

	for (i = 0; i < g->nfds; i++) {
		if (g->fds[i].fd == fd) {
			*handle = g->fds[i].handle;
			return 0;
		}
	}
	return -EBADF;
}

static int32_t mf_new_file(void *ctx, uint32_t handle, const struct wire_file_info *info)
{
	struct mf_guest *g = ctx;

	if (g->ncreated == MF_MAX)
		return -EMFILE;
	if (g->fail_new_file_at && g->ncreated + 1 == g->fail_new_file_at)
		return -EMFILE;
	g->new_handles[g->ncreated] = handle;
	g->created[g->ncreated] = g->next_fd++;
	return g->created[g->ncreated++];
}

static void mf_drop_file(void *ctx, int32_t fd)
{
	struct mf_guest *g = ctx;

	if (g->ndropped < MF_MAX)
		g->dropped[g->ndropped++] = fd;
}

void mf_guest_init(struct mf_guest *g)
{
	memset(g, 0, sizeof(*g));
	g->next_fd = 1000;
	g->acc = (struct m_access){
	    .read = mf_read,
	    .write = mf_write,
	    .fd_to_handle = mf_fd_to_handle,
	    .new_file = mf_new_file,
	    .drop_file = mf_drop_file,
	    .ctx = g,
	};
}

void mf_guest_map(struct mf_guest *g, const void *p, size_t len, int writable)
{
	if (g->nregions == MF_MAX)
		FAILF("too many guest regions");
	g->regions[g->nregions].addr = MF_U(p);
	g->regions[g->nregions].len = len;
	g->regions[g->nregions++].writable = writable;
}

void mf_guest_add_fd(struct mf_guest *g, int32_t fd, uint32_t handle)
{
	g->fds[g->nfds].fd = fd;
	g->fds[g->nfds++].handle = handle;
}

/* ---- backend -------------------------------------------------------------- */

static int mf_handle_to_fd(void *ctx, uint32_t handle, int32_t *fd)
{
	struct mf_back *b = ctx;
	int i;

	for (i = 0; i < b->nfiles; i++) {
		if (b->files[i].handle == handle) {
			*fd = b->files[i].fd;
			return 0;
		}
	}
	return -EBADF;
}

static int mf_new_handle(void *ctx, int32_t fd, uint32_t *handle, struct wire_file_info *info)
{
	struct mf_back *b = ctx;

	if (b->nregistered == MF_MAX)
		FAILF("too many new handles");
	b->registered[b->nregistered++] = fd;
	if (b->fail_new_handle_at && b->nregistered == b->fail_new_handle_at)
		return -ENFILE; /* owns the fd anyway: "closed" */
	*handle = b->next_handle++;
	info->revents = 4;
	info->st.rdev = (uint64_t)fd;
	return 0;
}

static void mf_drop_handle(void *ctx, uint32_t handle)
{
	struct mf_back *b = ctx;

	if (b->ndropped < MF_MAX)
		b->dropped[b->ndropped++] = handle;
}

void mf_back_init(struct mf_back *b)
{
	memset(b, 0, sizeof(*b));
	b->next_handle = 500;
	b->ops = (struct m_back_ops){
	    .handle_to_fd = mf_handle_to_fd,
	    .new_handle = mf_new_handle,
	    .drop_handle = mf_drop_handle,
	    .ctx = b,
	};
}

void mf_back_add(struct mf_back *b, uint32_t handle, int32_t fd)
{
	b->files[b->nfiles].handle = handle;
	b->files[b->nfiles++].fd = fd;
}

/* ---- round trips ---------------------------------------------------------- */

static uint8_t *mf_aligned_copy(const uint8_t *p, uint32_t len)
{
	uint8_t *q = aligned_alloc(8, (len + 7u) & ~7u ? (len + 7u) & ~7u : 8);

	if (!q)
		FAILF("out of memory");
	memcpy(q, p, len);
	return q;
}

int mf_encode(const struct m_ioctl *d, uint32_t cmd, uint64_t arg, struct mf_guest *g,
	      const struct m_limits *lim, struct mf_alloc *al, uint8_t **payload, uint32_t *len,
	      struct m_plan *plan)
{
	struct m_buf out = {.alloc = &al->a};
	int ret;

	plan->alloc = &al->a;
	*payload = NULL;
	*len = 0;
	ret = m_encode_request(d, cmd, arg, &g->acc, lim, &out, plan);
	if (!ret) {
		*payload = mf_aligned_copy(out.data, out.len);
		*len = out.len;
	} else if (out.len) {
		FAILF("failed encode left %u bytes", out.len);
	}
	m_buf_fini(&out);
	return ret;
}

void mf_trip_init(struct mf_trip *t)
{
	static const struct m_limits def = M_LIMITS_DEFAULT;

	memset(t, 0, sizeof(*t));
	t->lim = def;
	mf_alloc_init(&t->front);
	mf_alloc_init(&t->back);
}

void mf_trip_fini(struct mf_trip *t)
{
	free(t->req);
	free(t->reply);
	t->req = t->reply = NULL;
}

static int mf_back_half(const struct m_ioctl *d, struct mf_back *b, mf_kernel_fn k, void *kctx,
			struct mf_trip *t, uint8_t *payload)
{
	struct m_buf out = {.alloc = &t->back.a};
	struct m_call *c = NULL;
	int64_t r;

	t->dec = m_decode_request(d, payload, t->req_len, &t->lim, &t->back.a, &b->ops, &c);
	if (t->dec)
		return t->dec;
	if (m_call_cmd(c) != (d ? d->cmd : m_call_cmd(c)))
		FAILF("m_call_cmd");
	r = k ? k(c, kctx) : 0;
	t->rep = m_encode_reply(c, r, &out);
	m_call_free(c);
	if (!t->rep) {
		t->reply = mf_aligned_copy(out.data, out.len);
		t->reply_len = out.len;
	}
	m_buf_fini(&out);
	return t->rep;
}

int mf_round_trip(const struct m_ioctl *d, uint32_t cmd, uint64_t arg, struct mf_guest *g,
		  struct mf_back *b, mf_kernel_fn k, void *kctx, struct mf_trip *t)
{
	struct m_plan plan = {0};
	uint8_t *payload;
	int ret;

	t->enc = mf_encode(d, cmd, arg, g, &t->lim, &t->front, &t->req, &t->req_len, &plan);
	ret = t->enc;
	if (!ret) {
		payload = mf_aligned_copy(t->req, t->req_len); /* decode writes into it */
		ret = mf_back_half(d, b, k, kctx, t, payload);
		free(payload);
	}
	if (!ret) {
		t->app =
		    m_apply_reply(d, cmd, arg, &plan, &g->acc, t->reply, t->reply_len, &t->result);
		ret = t->app;
	}
	m_plan_fini(&plan);
	if (t->front.live || t->back.live)
		FAILF("allocations left: front %ld back %ld", t->front.live, t->back.live);
	return ret;
}
