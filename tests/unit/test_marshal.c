/* SPDX-License-Identifier: MIT */
/*
 * test_marshal.c - the marshalling engine end to end on synthetic
 * descriptors: round trips through a fake guest, a fake "kernel" and a fake
 * backend, and every way a request, a reply or a table can be wrong.
 */
#include <linux/ioctl.h>
#include <stdint.h>
#include <sys/mman.h>

#include "marshal_fake.h"
#include "runner.h"

/* ---- synthetic structs and descriptors ------------------------------------ */

struct t_chunk {
	uint64_t data_ptr; /* IN bytes, data_len of them */
	uint32_t data_len;
	int32_t fence_fd; /* M_FD IN */
	uint64_t out_ptr; /* OUT u32, out_count of them */
	uint16_t out_count;
	uint16_t pad;
	int32_t new_fd; /* M_FD OUT */
};

struct t_top {
	uint64_t in_ptr;     /* IN u32 x in_count (u16) */
	uint64_t out_ptr;    /* OUT u64 x out_count (u8) */
	uint64_t chunks_ptr; /* INOUT struct t_chunk x nchunks (u32) */
	uint64_t fixed_ptr;  /* INOUT 4 x u32 */
	uint16_t in_count;
	uint8_t out_count;
	uint8_t pad0;
	uint32_t nchunks;
	int32_t fd_in;	  /* M_FD IN */
	int32_t fd_out;	  /* M_FD OUT */
	uint32_t flags;	  /* T_F_EXTRA: fd_extra is written */
	int32_t fd_extra; /* M_FD OUT when flags & T_F_EXTRA */
	uint64_t sum;	  /* written by the kernel */
};
#define T_F_EXTRA 0x4u

_Static_assert(sizeof(struct t_chunk) == 32, "t_chunk");
_Static_assert(sizeof(struct t_top) == 64, "t_top");

struct t_small {
	uint32_t a, b;
};

struct t_fdin {
	int32_t fd;
	uint32_t pad;
};

/* A chain of nested structs for the depth limit. */
struct t_link {
	uint64_t next_ptr;
	uint32_t n;
	uint32_t pad;
};

#define T_NESTED _IOWR('V', 1, struct t_top)
#define T_RETFD _IO('V', 2)
#define T_ARGFD _IO('V', 3)
#define T_OUTONLY _IOR('V', 4, struct t_small)
#define T_FDIN _IOW('V', 5, struct t_fdin)
#define T_LINK _IOW('V', 6, struct t_link)
#define T_FLAT _IOWR('V', 9, struct t_small)

/* clang-format off */
static const struct m_field chunk_fields[] = {
	M_ARRAY_F(struct t_chunk, data_ptr, data_len, 1, 4096, M_IN),
	M_FD_F(struct t_chunk, fence_fd, M_IN),
	M_ARRAY_F(struct t_chunk, out_ptr, out_count, 4, 64, M_OUT),
	M_FD_F(struct t_chunk, new_fd, M_OUT),
	M_END_F,
};
/* clang-format on */
static const struct m_struct chunk_desc = {sizeof(struct t_chunk), chunk_fields};

/* clang-format off */
static const struct m_field top_fields[] = {
	M_ARRAY_F(struct t_top, in_ptr, in_count, 4, 256, M_IN),
	M_ARRAY_F(struct t_top, out_ptr, out_count, 8, 32, M_OUT),
	M_STRUCTS_T_F(struct t_top, chunks_ptr, nchunks, struct t_chunk, &chunk_desc, 16, M_INOUT),
	M_FIXED_F(struct t_top, fixed_ptr, 4, 4, M_INOUT),
	M_FD_F(struct t_top, fd_in, M_IN),
	M_FD_F(struct t_top, fd_out, M_OUT),
	M_FD_IF_F(struct t_top, fd_extra, M_OUT, flags, T_F_EXTRA),
	M_END_F,
};
/* clang-format on */

/* clang-format off */
static const struct m_field fdin_fields[] = {
	M_FD_F(struct t_fdin, fd, M_IN),
	M_END_F,
};
/* clang-format on */

extern const struct m_struct link_desc;
/* clang-format off */
static const struct m_field link_fields[] = {
	M_STRUCTS_T_F(struct t_link, next_ptr, n, struct t_link, &link_desc, 1, M_IN),
	M_END_F,
};
/* clang-format on */
const struct m_struct link_desc = {sizeof(struct t_link), link_fields};

/* clang-format off */
static const struct m_ioctl t_ioctls[] = {
	{.cmd = T_RETFD, .flags = M_F_ARG_VALUE | M_F_RET_FD, .name = "T_RETFD"},
	{.cmd = T_ARGFD, .flags = M_F_ARG_VALUE | M_F_ARG_FD, .name = "T_ARGFD"},
	{.cmd = T_FDIN, .fields = fdin_fields, .name = "T_FDIN"},
	{.cmd = T_LINK, .fields = link_fields, .name = "T_LINK"},
	{.cmd = T_OUTONLY, .name = "T_OUTONLY"},
	{.cmd = T_NESTED, .fields = top_fields, .name = "T_NESTED"},
};
/* clang-format on */
static const struct m_table t_table = {"test", t_ioctls, sizeof(t_ioctls) / sizeof(t_ioctls[0])};

static const struct m_ioctl *d_of(uint32_t cmd)
{
	const struct m_ioctl *d = m_table_find(&t_table, cmd);

	if (!d)
		FAILF("no descriptor for %#x", cmd);
	return d;
}

/* ---- the nested guest call and its kernel --------------------------------- */

struct t_guest {
	struct t_top top;
	uint32_t in[5];
	uint64_t out[3];
	struct t_chunk chunks[2];
	uint8_t data0[3], data1[7];
	uint32_t cout0[2], cout1[4];
	uint32_t fixed[4];
};

/* Guest fds 7 and 8 are remote files with handles 70 and 80; backend fds 77, 88. */
static void t_setup(struct t_guest *tg, struct mf_guest *g, struct mf_back *b)
{
	uint32_t i;

	memset(tg, 0, sizeof(*tg));
	for (i = 0; i < 5; i++)
		tg->in[i] = 10 * (i + 1);
	memcpy(tg->data0, "abc", 3);
	memcpy(tg->data1, "0123456", 7);
	for (i = 0; i < 4; i++)
		tg->fixed[i] = i;
	tg->chunks[0] = (struct t_chunk){MF_U(tg->data0), 3, 7, MF_U(tg->cout0), 2, 0, 12345};
	tg->chunks[1] = (struct t_chunk){MF_U(tg->data1), 7, -1, MF_U(tg->cout1), 4, 0, 999};
	tg->top = (struct t_top){.in_ptr = MF_U(tg->in),
				 .out_ptr = MF_U(tg->out),
				 .chunks_ptr = MF_U(tg->chunks),
				 .fixed_ptr = MF_U(tg->fixed),
				 .in_count = 5,
				 .out_count = 3,
				 .nchunks = 2,
				 .fd_in = 8,
				 .fd_out = 4242,
				 .flags = T_F_EXTRA,
				 .fd_extra = 17};
	mf_guest_init(g);
	mf_guest_map(g, tg, sizeof(*tg), 1);
	mf_guest_add_fd(g, 7, 70);
	mf_guest_add_fd(g, 8, 80);
	mf_back_init(b);
	mf_back_add(b, 70, 77);
	mf_back_add(b, 80, 88);
}

static int is_guest_ptr(uint64_t p, const struct t_guest *tg)
{
	return p >= MF_U(tg) && p < MF_U(tg + 1);
}

/* The "driver": checks what it was given, writes what a driver would. */
static int64_t k_nested(struct m_call *c, void *ctx)
{
	const struct t_guest *tg = ctx;
	struct t_top *t = (struct t_top *)m_call_arg(c);
	const uint32_t *in = (const uint32_t *)(uintptr_t)t->in_ptr;
	uint64_t *out = (uint64_t *)(uintptr_t)t->out_ptr;
	struct t_chunk *ch = (struct t_chunk *)(uintptr_t)t->chunks_ptr;
	uint32_t *fixed = (uint32_t *)(uintptr_t)t->fixed_ptr;
	uint32_t i, j;

	CHECK(!is_guest_ptr(MF_U(t), tg) && !is_guest_ptr(t->in_ptr, tg));
	CHECK(!is_guest_ptr(t->out_ptr, tg) && !is_guest_ptr(t->chunks_ptr, tg));
	CHECK_EQ(t->fd_in, 88);
	CHECK_EQ(t->fd_out, -1); /* the guest's 4242 must not pass for a new fd */
	CHECK_EQ(t->fd_extra, -1);
	for (i = 0; i < 3; i++)
		CHECK_EQ(out[i], 0); /* OUT-only buffers start zeroed */
	for (i = 0; i < t->in_count; i++)
		t->sum += in[i];
	for (i = 0; i < 3; i++)
		out[i] = 1000 + i;
	CHECK_EQ(ch[0].fence_fd, 77);
	CHECK_EQ(ch[1].fence_fd, -1);
	CHECK(memcmp((void *)(uintptr_t)ch[0].data_ptr, "abc", 3) == 0);
	CHECK(memcmp((void *)(uintptr_t)ch[1].data_ptr, "0123456", 7) == 0);
	for (i = 0; i < 2; i++) {
		uint32_t *co = (uint32_t *)(uintptr_t)ch[i].out_ptr;

		CHECK(!is_guest_ptr(ch[i].out_ptr, tg));
		CHECK_EQ(ch[i].new_fd, -1);
		for (j = 0; j < ch[i].out_count; j++)
			co[j] = 100 * (i + 1) + j;
		ch[i].new_fd = (int32_t)(200 + i);
		ch[i].pad = 0x77;
	}
	for (i = 0; i < 4; i++)
		fixed[i] += 50;
	t->fd_out = 300;
	t->fd_extra = 301;
	t->in_count = 99; /* a driver may rewrite counts: the reply must not care */
	return 0;
}

static void t_check_applied(const struct t_guest *tg, const struct mf_guest *g)
{
	uint32_t i;

	CHECK_EQ(tg->top.in_ptr, MF_U(tg->in));
	CHECK_EQ(tg->top.out_ptr, MF_U(tg->out));
	CHECK_EQ(tg->top.chunks_ptr, MF_U(tg->chunks));
	CHECK_EQ(tg->top.fixed_ptr, MF_U(tg->fixed));
	CHECK_EQ(tg->top.sum, 150);
	CHECK_EQ(tg->top.in_count, 99);
	CHECK_EQ(tg->top.fd_in, 8); /* the guest's own fd, not a handle or 88 */
	for (i = 0; i < 3; i++)
		CHECK_EQ(tg->out[i], 1000 + i);
	CHECK_EQ(tg->chunks[0].data_ptr, MF_U(tg->data0));
	CHECK_EQ(tg->chunks[1].out_ptr, MF_U(tg->cout1));
	CHECK_EQ(tg->chunks[0].fence_fd, 7);
	CHECK_EQ(tg->chunks[1].fence_fd, -1);
	CHECK_EQ(tg->chunks[0].pad, 0x77);
	CHECK_EQ(tg->cout0[1], 101);
	CHECK_EQ(tg->cout1[3], 203);
	CHECK_EQ(tg->fixed[3], 53);
	/* files in walk order: chunk 0, chunk 1, fd_out, fd_extra */
	CHECK_EQ(g->ncreated, 4);
	CHECK_EQ(tg->chunks[0].new_fd, 1000);
	CHECK_EQ(tg->chunks[1].new_fd, 1001);
	CHECK_EQ(tg->top.fd_out, 1002);
	CHECK_EQ(tg->top.fd_extra, 1003);
	CHECK_EQ(g->new_handles[0], 500);
	CHECK_EQ(g->new_handles[3], 503);
}

TEST(nested_round_trip)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	t_setup(&tg, &g, &b);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, &b, k_nested, &tg, &t),
		 0);
	CHECK_EQ(t.result, 0);
	t_check_applied(&tg, &g);
	CHECK_EQ(b.nregistered, 4);
	CHECK_EQ(b.registered[0], 200);
	CHECK_EQ(b.registered[3], 301);
	CHECK_EQ(b.ndropped, 0);
	CHECK_EQ(g.ndropped, 0);
	mf_trip_fini(&t);
}

static int64_t k_cond_off(struct m_call *c, void *ctx)
{
	struct t_top *t = (struct t_top *)m_call_arg(c);

	CHECK_EQ(t->fd_extra, 17); /* inactive: left as the guest wrote it */
	t->fd_out = 300;
	return 0;
}

TEST(conditional_fd_inactive)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	t_setup(&tg, &g, &b);
	tg.top.flags = 0;
	tg.top.nchunks = 0;
	tg.top.chunks_ptr = 0;
	mf_trip_init(&t);
	CHECK_EQ(
	    mf_round_trip(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, &b, k_cond_off, &tg, &t), 0);
	CHECK_EQ(g.ncreated, 1);
	CHECK_EQ(tg.top.fd_out, 1000);
	CHECK_EQ(tg.top.fd_extra, 17);
	mf_trip_fini(&t);
}

/* ---- null and empty pointers ---------------------------------------------- */

static int64_t k_empty(struct m_call *c, void *ctx)
{
	const struct t_guest *tg = ctx;
	struct t_top *t = (struct t_top *)m_call_arg(c);

	CHECK_EQ(t->in_ptr, 0);		      /* null stays null */
	CHECK(t->out_ptr != 0);		      /* empty but non-null stays non-null ... */
	CHECK(!is_guest_ptr(t->out_ptr, tg)); /* ... and is not the guest's pointer */
	CHECK_EQ(t->chunks_ptr, 0);
	return 0;
}

TEST(null_and_empty_pointers)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	t_setup(&tg, &g, &b);
	tg.top.in_ptr = 0;
	tg.top.in_count = 60000; /* a null pointer with any count is a query */
	tg.top.out_count = 0;
	tg.top.chunks_ptr = 0;
	tg.top.flags = 0;
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, &b, k_empty, &tg, &t),
		 0);
	CHECK_EQ(tg.top.out_ptr, MF_U(tg.out));
	CHECK_EQ(tg.top.in_count, 60000);
	mf_trip_fini(&t);
}

/* ---- front errors ---------------------------------------------------------- */

TEST(count_above_max_allocates_nothing_big)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct mf_alloc al;
	struct m_plan plan = {0};
	uint8_t *p;
	uint32_t len;

	t_setup(&tg, &g, &b);
	tg.top.in_count = 257;
	mf_alloc_init(&al);
	CHECK_EQ(mf_encode(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, NULL, &al, &p, &len, &plan),
		 -EINVAL);
	CHECK(al.biggest < 1024); /* never sized by the guest's count */
	CHECK_EQ(plan.count, 0);
	m_plan_fini(&plan);
	CHECK_EQ(al.live, 0);
	/* the same through a fixed-size M_STRUCTS element count */
	t_setup(&tg, &g, &b);
	tg.chunks[1].out_count = 65;
	CHECK_EQ(mf_encode(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, NULL, &al, &p, &len, &plan),
		 -EINVAL);
	m_plan_fini(&plan);
	CHECK_EQ(al.live, 0);
}

TEST(bad_guest_pointers_efault)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct mf_alloc al;
	struct m_plan plan = {0};
	uint8_t *p;
	uint32_t len;
	uint64_t bad[] = {MF_U(&tg) + sizeof(tg) - 4, 16, UINT64_MAX - 2};
	unsigned i;

	mf_alloc_init(&al);
	for (i = 0; i < 3; i++) {
		t_setup(&tg, &g, &b);
		tg.chunks[1].data_ptr = bad[i];
		CHECK_EQ(mf_encode(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, NULL, &al, &p, &len,
				   &plan),
			 -EFAULT);
		t_setup(&tg, &g, &b);
		CHECK_EQ(
		    mf_encode(d_of(T_NESTED), T_NESTED, bad[i], &g, NULL, &al, &p, &len, &plan),
		    -EFAULT);
	}
	m_plan_fini(&plan);
	CHECK_EQ(al.live, 0);
}

TEST(unknown_guest_fd_ebadf)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct mf_alloc al;
	struct m_plan plan = {0};
	uint8_t *p;
	uint32_t len;

	mf_alloc_init(&al);
	t_setup(&tg, &g, &b);
	tg.chunks[1].fence_fd = 3; /* a local file, not a remote one */
	CHECK_EQ(mf_encode(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, NULL, &al, &p, &len, &plan),
		 -EBADF);
	CHECK_EQ(mf_encode(d_of(T_ARGFD), T_ARGFD, 3, &g, NULL, &al, &p, &len, &plan), -EBADF);
	m_plan_fini(&plan);
	CHECK_EQ(al.live, 0);
}

TEST(front_fault_injection)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct mf_alloc al;
	struct m_plan plan = {0};
	uint8_t *p;
	uint32_t len;
	long n, total;
	int ret;

	t_setup(&tg, &g, &b);
	mf_alloc_init(&al);
	CHECK_EQ(mf_encode(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, NULL, &al, &p, &len, &plan),
		 0);
	free(p);
	m_plan_fini(&plan);
	total = al.count;
	for (n = 1; n <= total; n++) {
		t_setup(&tg, &g, &b);
		mf_alloc_init(&al);
		al.fail_at = n;
		ret = mf_encode(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, NULL, &al, &p, &len,
				&plan);
		CHECK_EQ(ret, -ENOMEM);
		m_plan_fini(&plan);
		CHECK_EQ(al.live, 0);
	}
}

/* ---- the backend rejects tampered requests -------------------------------- */

struct t_req {
	uint8_t *p;
	uint32_t len;
	uint32_t rec[16]; /* offsets of the records */
	uint32_t nrec;
};

static void t_req_make(struct t_req *r, struct t_guest *tg, struct mf_guest *g, struct mf_back *b)
{
	struct mf_alloc al;
	struct m_plan plan = {0};
	uint32_t pos = sizeof(struct wire_ioctl);

	t_setup(tg, g, b);
	mf_alloc_init(&al);
	CHECK_EQ(mf_encode(d_of(T_NESTED), T_NESTED, MF_U(&tg->top), g, NULL, &al, &r->p, &r->len,
			   &plan),
		 0);
	m_plan_fini(&plan);
	r->p = realloc(r->p, r->len + 64); /* room to append; realloc keeps malloc's alignment */
	for (r->nrec = 0; pos < r->len; r->nrec++) {
		struct wire_ioctl_buf wb;

		memcpy(&wb, r->p + pos, sizeof(wb));
		r->rec[r->nrec] = pos;
		pos += sizeof(wb) + ((wb.dir & M_IN) ? ((wb.len + 7u) & ~7u) : 0);
	}
	CHECK_EQ(pos, r->len);
}

static int t_decode(struct t_req *r, struct mf_back *b, uint32_t len)
{
	struct mf_alloc al;
	struct m_call *c = (struct m_call *)1;
	int ret;

	uint8_t *p = aligned_alloc(8, (len + 8) & ~7u);

	memcpy(p, r->p, len); /* decode rewrites its payload: keep r pristine */
	mf_alloc_init(&al);
	ret = m_decode_request(d_of(T_NESTED), p, len, NULL, &al.a, &b->ops, &c);
	if (ret && c)
		FAILF("a failed decode returned a call");
	m_call_free(c);
	free(p);
	if (al.live)
		FAILF("decode leaked %ld allocations", al.live);
	return ret;
}

TEST(back_accepts_untampered)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct t_req r;

	t_req_make(&r, &tg, &g, &b);
	/* top, in, out, chunks, data0, cout0, data1, cout1, fixed */
	CHECK_EQ(r.nrec, 9);
	CHECK_EQ(t_decode(&r, &b, r.len), 0);
	free(r.p);
}

TEST(back_rejects_tampered_records)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct t_req r;
	uint32_t i, v;

	for (i = 0; i < 9; i++) {
		t_req_make(&r, &tg, &g, &b);
		memcpy(&v, r.p + r.rec[i], 4);
		v++;
		memcpy(r.p + r.rec[i], &v, 4); /* wrong length */
		CHECK_EQ(t_decode(&r, &b, r.len), -EINVAL);
		free(r.p);
		t_req_make(&r, &tg, &g, &b);
		r.p[r.rec[i] + 4] ^= M_INOUT; /* wrong direction */
		CHECK_EQ(t_decode(&r, &b, r.len), -EINVAL);
		free(r.p);
		t_req_make(&r, &tg, &g, &b);
		r.p[r.rec[i] + 6] = 1; /* reserved */
		CHECK_EQ(t_decode(&r, &b, r.len), -EINVAL);
		free(r.p);
	}
}

TEST(back_rejects_tampered_payload)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct t_req r;
	struct t_top *top;
	uint32_t n;

	t_req_make(&r, &tg, &g, &b);
	memset(r.p + r.len, 0, 8);
	CHECK_EQ(t_decode(&r, &b, r.len + 8), -EINVAL); /* trailing bytes */
	for (n = 0; n < r.len; n++)
		CHECK_EQ(t_decode(&r, &b, n), -EINVAL); /* every truncation */
	r.p[16]++;					/* nbuf + 1 */
	CHECK_EQ(t_decode(&r, &b, r.len), -EINVAL);
	r.p[16] -= 2; /* nbuf - 1 */
	CHECK_EQ(t_decode(&r, &b, r.len), -EINVAL);
	free(r.p);

	t_req_make(&r, &tg, &g, &b);
	top = (struct t_top *)(r.p + r.rec[0] + 8);
	top->in_count = 4; /* the count no longer matches the record */
	CHECK_EQ(t_decode(&r, &b, r.len), -EINVAL);
	top->in_count = 300; /* above max */
	CHECK_EQ(t_decode(&r, &b, r.len), -EINVAL);
	top->in_count = 5;
	top->fd_in = 81; /* a handle the backend does not know */
	CHECK_EQ(t_decode(&r, &b, r.len), -EBADF);
	top->fd_in = 80;
	CHECK_EQ(t_decode(&r, &b, r.len), 0);
	r.p[r.rec[4] + 8 + 3] = 1; /* padding after data0's 3 bytes */
	CHECK_EQ(t_decode(&r, &b, r.len), -EINVAL);
	free(r.p);
}

TEST(back_rejects_bad_header)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct t_req r;
	struct mf_alloc al;
	struct m_call *c;
	uint8_t *moved;

	t_req_make(&r, &tg, &g, &b);
	r.p[4] = WIRE_IOCTL_FLAT; /* flat flag with a descriptor */
	CHECK_EQ(t_decode(&r, &b, r.len), -EINVAL);
	r.p[4] = 0;
	r.p[8] = 1; /* a by-value arg beside a top-level buffer */
	CHECK_EQ(t_decode(&r, &b, r.len), -EINVAL);
	r.p[8] = 0;
	r.p[20] = 1; /* reserved */
	CHECK_EQ(t_decode(&r, &b, r.len), -EINVAL);
	r.p[20] = 0;
	r.p[0]++; /* another command than the descriptor's */
	CHECK_EQ(t_decode(&r, &b, r.len), -EINVAL);
	r.p[0]--;
	moved = malloc(r.len + 8);
	memcpy(moved + 4, r.p, r.len); /* misaligned */
	mf_alloc_init(&al);
	CHECK_EQ(m_decode_request(d_of(T_NESTED), moved + 4, r.len, NULL, &al.a, &b.ops, &c),
		 -EINVAL);
	CHECK_EQ(al.live, 0);
	free(moved);
	CHECK_EQ(t_decode(&r, &b, r.len), 0);
	free(r.p);
}

TEST(back_fault_injection)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct t_req r;
	struct mf_alloc al;
	struct m_call *c;
	uint8_t *copy;
	long n, total;

	t_req_make(&r, &tg, &g, &b);
	copy = malloc(r.len);
	memcpy(copy, r.p, r.len);
	mf_alloc_init(&al);
	CHECK_EQ(m_decode_request(d_of(T_NESTED), r.p, r.len, NULL, &al.a, &b.ops, &c), 0);
	m_call_free(c);
	total = al.count;
	CHECK(total > 2);
	for (n = 1; n <= total; n++) {
		memcpy(r.p, copy, r.len);
		mf_alloc_init(&al);
		al.fail_at = n;
		CHECK_EQ(m_decode_request(d_of(T_NESTED), r.p, r.len, NULL, &al.a, &b.ops, &c),
			 -ENOMEM);
		CHECK_EQ(al.live, 0);
	}
	free(copy);
	free(r.p);
}

/* ---- limits ---------------------------------------------------------------- */

TEST(limits_both_sides)
{
	struct m_limits lims[] = {
	    {8, 8u << 20, 4},	/* 9 buffers + 8 fd fields do not fit 8 items */
	    {4096, 200, 4},	/* 64 + 20 + 24 + 64 + ... bytes */
	    {4096, 8u << 20, 0} /* M_STRUCTS needs depth 1 */
	};
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct t_req r;
	struct mf_alloc al;
	struct m_plan plan = {0};
	struct m_call *c;
	uint8_t *p;
	uint32_t len;
	unsigned i;

	for (i = 0; i < 3; i++) {
		t_setup(&tg, &g, &b);
		mf_alloc_init(&al);
		CHECK_EQ(mf_encode(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, &lims[i], &al, &p,
				   &len, &plan),
			 -EINVAL);
		m_plan_fini(&plan);
		t_req_make(&r, &tg, &g, &b);
		CHECK_EQ(m_decode_request(d_of(T_NESTED), r.p, r.len, &lims[i], &al.a, &b.ops, &c),
			 -EINVAL);
		CHECK_EQ(al.live, 0);
		free(r.p);
	}
}

TEST(depth_limit_on_a_chain)
{
	struct t_link links[6];
	struct m_limits lim = {4096, 1u << 20, 4};
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;
	int i;

	for (i = 0; i < 6; i++)
		links[i] = (struct t_link){i < 5 ? MF_U(&links[i + 1]) : 0, 1, 0};
	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, links, sizeof(links), 0);
	mf_trip_init(&t);
	t.lim = lim; /* top + 4 nested levels: 5 buffers */
	links[4].next_ptr = 0;
	CHECK_EQ(mf_round_trip(d_of(T_LINK), T_LINK, MF_U(&links[0]), &g, &b, NULL, NULL, &t), 0);
	mf_trip_fini(&t);
	links[4].next_ptr = MF_U(&links[5]);
	mf_trip_init(&t);
	t.lim = lim;
	CHECK_EQ(mf_round_trip(d_of(T_LINK), T_LINK, MF_U(&links[0]), &g, &b, NULL, NULL, &t),
		 -EINVAL);
	CHECK_EQ(t.enc, -EINVAL);
	mf_trip_fini(&t);
}

/* ---- replies --------------------------------------------------------------- */

struct t_rep {
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct m_plan plan;
	struct mf_alloc al;
	uint8_t *reply;
	uint32_t len;
};

/* Everything up to a valid reply, without applying it. */
static void t_rep_make(struct t_rep *x, mf_kernel_fn k, void *kctx)
{
	struct m_buf out;
	struct m_call *c;
	uint8_t *p;
	uint32_t len;
	int64_t r;

	t_setup(&x->tg, &x->g, &x->b);
	memset(&x->plan, 0, sizeof(x->plan));
	mf_alloc_init(&x->al);
	out = (struct m_buf){.alloc = &x->al.a};
	CHECK_EQ(mf_encode(d_of(T_NESTED), T_NESTED, MF_U(&x->tg.top), &x->g, NULL, &x->al, &p,
			   &len, &x->plan),
		 0);
	CHECK_EQ(m_decode_request(d_of(T_NESTED), p, len, NULL, &x->al.a, &x->b.ops, &c), 0);
	r = k(c, kctx);
	CHECK_EQ(m_encode_reply(c, r, &out), 0);
	CHECK_EQ(m_encode_reply(c, r, &out), -EINVAL); /* once only */
	m_call_free(c);
	free(p);
	x->reply = malloc(out.len + 64);
	memcpy(x->reply, out.data, out.len);
	x->len = out.len;
	m_buf_fini(&out);
}

static int t_apply(struct t_rep *x, uint32_t len, int64_t *res)
{
	return m_apply_reply(d_of(T_NESTED), T_NESTED, MF_U(&x->tg.top), &x->plan, &x->g.acc,
			     x->reply, len, res);
}

static void t_rep_fini(struct t_rep *x)
{
	m_plan_fini(&x->plan);
	free(x->reply);
	CHECK_EQ(x->al.live, 0);
}

TEST(reply_applies)
{
	struct t_rep x;
	int64_t res;

	t_rep_make(&x, k_nested, &x.tg);
	CHECK_EQ(t_apply(&x, x.len, &res), 0);
	CHECK_EQ(res, 0);
	t_check_applied(&x.tg, &x.g);
	t_rep_fini(&x);
}

static void t_expect_eproto(struct t_rep *x, uint32_t len)
{
	int64_t res;

	x->g.writes = 0;
	CHECK_EQ(t_apply(x, len, &res), -EPROTO);
	CHECK_EQ(res, -EPROTO);
	CHECK_EQ(x->g.writes, 0);
	CHECK_EQ(x->g.ncreated, 0);
}

TEST(reply_plan_mismatch_eproto)
{
	struct t_rep x;
	uint32_t n, v, hdr = sizeof(struct wire_reply) + sizeof(struct wire_ioctl_reply);

	t_rep_make(&x, k_nested, &x.tg);
	memset(x.reply + x.len, 0, 64);
	t_expect_eproto(&x, x.len + 8); /* trailing bytes */
	for (n = 0; n < x.len; n++)
		t_expect_eproto(&x, n);
	x.reply[8]++; /* nbuf */
	t_expect_eproto(&x, x.len);
	x.reply[8]--;
	x.reply[12]--; /* nfile */
	t_expect_eproto(&x, x.len);
	x.reply[12]++;
	memcpy(&v, x.reply + hdr, 4);
	v += 8; /* the first buffer's length */
	memcpy(x.reply + hdr, &v, 4);
	t_expect_eproto(&x, x.len);
	v -= 8;
	memcpy(x.reply + hdr, &v, 4);
	x.reply[hdr + 4] = M_IN; /* its direction */
	t_expect_eproto(&x, x.len);
	x.reply[hdr + 4] = M_INOUT;
	x.reply[x.len - sizeof(struct wire_ioctl_file) + 4] = 1; /* a file's reserved */
	t_expect_eproto(&x, x.len);
	x.reply[x.len - sizeof(struct wire_ioctl_file) + 4] = 0;
	x.reply[x.len - sizeof(struct wire_ioctl_file) + 3] = 0x80; /* a "negative" handle */
	t_expect_eproto(&x, x.len);
	x.reply[x.len - sizeof(struct wire_ioctl_file) + 3] = 0;
	x.reply[0] = 0xfb; /* result < 0 but files present */
	memset(x.reply + 1, 0xff, 7);
	t_expect_eproto(&x, x.len);
	t_rep_fini(&x);
}

static int64_t k_fail(struct m_call *c, void *ctx)
{
	struct t_top *t = (struct t_top *)m_call_arg(c);

	k_nested(c, ctx);
	t->fd_out = 55; /* a driver that wrote an fd and failed anyway */
	return -ENOSPC;
}

TEST(error_result_writes_nothing)
{
	struct t_rep x;
	int64_t res;
	struct t_top before;

	t_rep_make(&x, k_fail, &x.tg);
	before = x.tg.top;
	CHECK_EQ(t_apply(&x, x.len, &res), 0);
	CHECK_EQ(res, -ENOSPC);
	CHECK_EQ(x.g.writes, 0);
	CHECK_EQ(x.g.ncreated, 0);
	CHECK(memcmp(&before, &x.tg.top, sizeof(before)) == 0);
	CHECK_EQ(x.b.nregistered, 0);
	t_rep_fini(&x);
}

TEST(new_handle_failure_drops_and_closes)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	t_setup(&tg, &g, &b);
	b.fail_new_handle_at = 2;
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, &b, k_nested, &tg, &t),
		 0);
	CHECK_EQ(t.result, -ENFILE);
	CHECK_EQ(b.nregistered, 4); /* every fd was handed over, so every fd gets closed */
	CHECK_EQ(b.ndropped, 3);    /* the 1st before the failure, the 3rd and 4th after it */
	CHECK_EQ(b.dropped[0], 501);
	CHECK_EQ(b.dropped[1], 502);
	CHECK_EQ(b.dropped[2], 500);
	CHECK_EQ(g.ncreated, 0);
	CHECK_EQ(g.writes, 0);
	mf_trip_fini(&t);
}

TEST(new_file_failure_drops)
{
	struct t_rep x;
	int64_t res;

	t_rep_make(&x, k_nested, &x.tg);
	x.g.fail_new_file_at = 3;
	CHECK_EQ(t_apply(&x, x.len, &res), -EMFILE);
	CHECK_EQ(res, -EMFILE);
	CHECK_EQ(x.g.ndropped, 2);
	CHECK_EQ(x.g.dropped[0], 1000);
	CHECK_EQ(x.g.dropped[1], 1001);
	CHECK_EQ(x.g.writes, 0);
	t_rep_fini(&x);
}

TEST(guest_write_failure_drops)
{
	struct t_rep x;
	int64_t res;

	t_rep_make(&x, k_nested, &x.tg);
	x.g.regions[0].writable = 0;
	CHECK_EQ(t_apply(&x, x.len, &res), -EFAULT);
	CHECK_EQ(res, -EFAULT);
	CHECK_EQ(x.g.ncreated, 4);
	CHECK_EQ(x.g.ndropped, 4);
	t_rep_fini(&x);
}

TEST(reply_out_of_memory_still_consumes_fds)
{
	struct t_guest tg;
	struct mf_guest g;
	struct mf_back b;
	struct mf_alloc al;
	struct m_plan plan = {0};
	struct m_buf out;
	struct m_call *c;
	uint8_t *p;
	uint32_t len;

	t_setup(&tg, &g, &b);
	mf_alloc_init(&al);
	CHECK_EQ(mf_encode(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, NULL, &al, &p, &len, &plan),
		 0);
	CHECK_EQ(m_decode_request(d_of(T_NESTED), p, len, NULL, &al.a, &b.ops, &c), 0);
	k_nested(c, &tg);
	out = (struct m_buf){.alloc = &al.a};
	al.fail_at = al.count + 1;
	CHECK_EQ(m_encode_reply(c, 0, &out), -ENOMEM);
	CHECK_EQ(b.nregistered, 4);
	CHECK_EQ(b.ndropped, 4);
	m_call_free(c);
	m_buf_fini(&out);
	m_plan_fini(&plan);
	free(p);
	CHECK_EQ(al.live, 0);
}

static int64_t k_many(struct m_call *c, void *ctx)
{
	struct t_top *t = (struct t_top *)m_call_arg(c);
	struct t_chunk *ch = (struct t_chunk *)(uintptr_t)t->chunks_ptr;
	uint32_t i;

	for (i = 0; i < t->nchunks; i++)
		ch[i].new_fd = (int32_t)(200 + i);
	t->fd_out = 300;
	t->fd_extra = 301;
	return 0;
}

TEST(many_new_files)
{
	struct t_guest tg;
	struct t_chunk ch[16];
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;
	int i;

	t_setup(&tg, &g, &b);
	for (i = 0; i < 16; i++)
		ch[i] = (struct t_chunk){0, 0, -1, 0, 0, 0, 0};
	tg.top.chunks_ptr = MF_U(ch);
	tg.top.nchunks = 16;
	mf_guest_map(&g, ch, sizeof(ch), 1);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(d_of(T_NESTED), T_NESTED, MF_U(&tg.top), &g, &b, k_many, NULL, &t),
		 0);
	CHECK_EQ(g.ncreated, 18); /* more than apply keeps on its stack */
	for (i = 0; i < 16; i++)
		CHECK_EQ(ch[i].new_fd, 1000 + i);
	CHECK_EQ(tg.top.fd_out, 1016);
	CHECK_EQ(tg.top.fd_extra, 1017);
	mf_trip_fini(&t);
}

/* ---- 32-bit pointer fields ------------------------------------------------- */

struct t_p32 {
	uint32_t ptr;
	uint32_t n;
};

/* clang-format off */
static const struct m_field p32_fields[] = {
	M_ARRAY_F(struct t_p32, ptr, n, 1, 64, M_IN),
	M_END_F,
};
/* clang-format on */
static const struct m_ioctl p32_ioctl = {.cmd = _IOW('V', 7, struct t_p32), .fields = p32_fields};

TEST(pointer_32_bit)
{
	struct mf_guest g;
	struct mf_back b;
	struct mf_alloc al;
	struct m_plan plan = {0};
	struct m_call *c;
	struct t_p32 *top;
	uint8_t *p, *low;
	uint32_t len;

	low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1,
		   0);
	if (low == MAP_FAILED)
		test_skip("no MAP_32BIT");
	top = (struct t_p32 *)low;
	top->ptr = (uint32_t)(uintptr_t)(low + 64);
	top->n = 5;
	memcpy(low + 64, "hello", 5);
	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, low, 4096, 1);
	mf_alloc_init(&al);
	CHECK_EQ(m_table_check(&(struct m_table){"p32", &p32_ioctl, 1}, NULL), 0);
	CHECK_EQ(mf_encode(&p32_ioctl, p32_ioctl.cmd, MF_U(top), &g, NULL, &al, &p, &len, &plan),
		 0);
	/* a payload above 4 GiB cannot be pointed at from a 32-bit field */
	if ((uintptr_t)p > UINT32_MAX)
		CHECK_EQ(m_decode_request(&p32_ioctl, p, len, NULL, &al.a, &b.ops, &c), -EOVERFLOW);
	memcpy(low + 1024, p, len);
	CHECK_EQ(m_decode_request(&p32_ioctl, low + 1024, len, NULL, &al.a, &b.ops, &c), 0);
	top = (struct t_p32 *)m_call_arg(c);
	CHECK(memcmp((void *)(uintptr_t)top->ptr, "hello", 5) == 0);
	CHECK(top->ptr != (uint32_t)(uintptr_t)(low + 64));
	m_call_free(c);
	free(p);
	m_plan_fini(&plan);
	munmap(low, 4096);
	CHECK_EQ(al.live, 0);
}

/* ---- by-value arguments, fds and flat calls ---------------------------------- */

static int64_t k_retfd(struct m_call *c, void *ctx)
{
	CHECK_EQ(m_call_arg(c), 02000000); /* O_CLOEXEC, by value */
	return 42;
}

TEST(ret_fd_round_trip)
{
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	mf_guest_init(&g);
	mf_back_init(&b);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(d_of(T_RETFD), T_RETFD, 02000000, &g, &b, k_retfd, NULL, &t), 0);
	CHECK_EQ(t.result, 1000);
	CHECK_EQ(b.registered[0], 42);
	CHECK_EQ(g.new_handles[0], 500);
	mf_trip_fini(&t);
}

static int64_t k_argfd(struct m_call *c, void *ctx)
{
	CHECK_EQ(m_call_arg(c), *(unsigned long *)ctx);
	return 0;
}

TEST(arg_fd_round_trip)
{
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;
	unsigned long want = 77;
	struct wire_ioctl wi;

	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_add_fd(&g, 7, 70);
	mf_back_add(&b, 70, 77);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(d_of(T_ARGFD), T_ARGFD, 7, &g, &b, k_argfd, &want, &t), 0);
	memcpy(&wi, t.req, sizeof(wi));
	CHECK_EQ(wi.arg, 70);
	CHECK_EQ(wi.nbuf, 0);
	mf_trip_fini(&t);
	want = 0xffffffffu; /* -1 passes as "no fd" */
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(d_of(T_ARGFD), T_ARGFD, 0xffffffffu, &g, &b, k_argfd, &want, &t), 0);
	mf_trip_fini(&t);
}

TEST(arg_fd_unknown_handle)
{
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_add_fd(&g, 7, 71); /* the backend has no handle 71 */
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(d_of(T_ARGFD), T_ARGFD, 7, &g, &b, NULL, NULL, &t), -EBADF);
	CHECK_EQ(t.dec, -EBADF);
	mf_trip_fini(&t);
}

static int64_t k_fdin(struct m_call *c, void *ctx)
{
	CHECK_EQ(((struct t_fdin *)m_call_arg(c))->fd, 77);
	return 0;
}

TEST(fd_in_only_struct)
{
	struct t_fdin a = {7, 0};
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, &a, sizeof(a), 0); /* read-only: nothing may be written back */
	mf_guest_add_fd(&g, 7, 70);
	mf_back_add(&b, 70, 77);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(d_of(T_FDIN), T_FDIN, MF_U(&a), &g, &b, k_fdin, NULL, &t), 0);
	CHECK_EQ(g.writes, 0);
	mf_trip_fini(&t);
}

static int64_t k_outonly(struct m_call *c, void *ctx)
{
	struct t_small *s = (struct t_small *)m_call_arg(c);

	CHECK(s->a == 0 && s->b == 0);
	s->a = 5;
	s->b = 6;
	return 0;
}

TEST(out_only_top_level)
{
	struct t_small s = {0xdead, 0xbeef};
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, &s, sizeof(s), 1);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(d_of(T_OUTONLY), T_OUTONLY, MF_U(&s), &g, &b, k_outonly, NULL, &t),
		 0);
	CHECK_EQ(t.req_len,
		 sizeof(struct wire_ioctl) + sizeof(struct wire_ioctl_buf)); /* no data */
	CHECK(s.a == 5 && s.b == 6);
	mf_trip_fini(&t);
}

static int64_t k_flat(struct m_call *c, void *ctx)
{
	struct t_small *s = (struct t_small *)m_call_arg(c);

	CHECK(s->a == 1 && s->b == 2);
	s->a = 10;
	return 3;
}

TEST(flat_round_trip)
{
	struct t_small s = {1, 2};
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;
	struct wire_ioctl wi;
	unsigned long want = 1234;

	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, &s, sizeof(s), 1);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(NULL, T_FLAT, MF_U(&s), &g, &b, k_flat, NULL, &t), 0);
	CHECK_EQ(t.result, 3);
	CHECK(s.a == 10 && s.b == 2);
	memcpy(&wi, t.req, sizeof(wi));
	CHECK_EQ(wi.flags, WIRE_IOCTL_FLAT);
	mf_trip_fini(&t);
	mf_trip_init(&t); /* _IO: by value */
	CHECK_EQ(mf_round_trip(NULL, _IO('V', 10), 1234, &g, &b, k_argfd, &want, &t), 0);
	mf_trip_fini(&t);
}

TEST(flat_flag_must_match)
{
	struct t_small s = {1, 2};
	struct mf_guest g;
	struct mf_alloc al;
	struct m_plan plan = {0};
	struct m_call *c;
	uint8_t *p;
	uint32_t len;

	mf_guest_init(&g);
	mf_guest_map(&g, &s, sizeof(s), 1);
	mf_alloc_init(&al);
	/* a request with a descriptor decoded as flat, and the reverse */
	CHECK_EQ(mf_encode(d_of(T_OUTONLY), T_OUTONLY, MF_U(&s), &g, NULL, &al, &p, &len, &plan),
		 0);
	CHECK_EQ(m_decode_request(NULL, p, len, NULL, &al.a, NULL, &c), -EINVAL);
	free(p);
	CHECK_EQ(mf_encode(NULL, T_OUTONLY, MF_U(&s), &g, NULL, &al, &p, &len, &plan), 0);
	CHECK_EQ(m_decode_request(d_of(T_OUTONLY), p, len, NULL, &al.a, NULL, &c), -EINVAL);
	CHECK_EQ(m_decode_request(NULL, p, len, NULL, &al.a, NULL, &c), 0);
	m_call_free(c);
	free(p);
	/* a descriptor for another command */
	CHECK_EQ(mf_encode(d_of(T_OUTONLY), T_FLAT, MF_U(&s), &g, NULL, &al, &p, &len, &plan),
		 -EINVAL);
	m_plan_fini(&plan);
	CHECK_EQ(al.live, 0);
}

/* ---- a stored byte dump: the wire must not change by accident -------------- */

TEST(golden_request_bytes)
{
	static const uint8_t want[] = {
	    0x01, 0x56, 0x40, 0xc0, 0x00, 0x00, 0x00, 0x00, /* cmd T_NESTED, flags */
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* arg */
	    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* nbuf 3, reserved */
	    0x40, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, /* top: 64 bytes INOUT */
	};
	struct t_top top = {.fd_in = -1, .fd_out = -1, .in_count = 2, .fixed_ptr = 0};
	uint32_t in[2] = {0x11223344, 0x55667788};
	struct mf_guest g;
	struct mf_alloc al;
	struct m_plan plan = {0};
	uint8_t *p;
	uint32_t len;

	top.in_ptr = MF_U(in);
	top.out_ptr = MF_U(in);
	top.out_count = 1;
	mf_guest_init(&g);
	mf_guest_map(&g, &top, sizeof(top), 1);
	mf_guest_map(&g, in, sizeof(in), 1);
	mf_alloc_init(&al);
	CHECK_EQ(mf_encode(d_of(T_NESTED), T_NESTED, MF_U(&top), &g, NULL, &al, &p, &len, &plan),
		 0);
	CHECK_EQ(len, 32 + 64 + 8 + 8 + 8);
	CHECK(memcmp(p, want, sizeof(want)) == 0);
	CHECK(memcmp(p + 32, &top, 64) == 0); /* the struct verbatim (no fd to translate) */
	CHECK(memcmp(p + 96, "\x08\x00\x00\x00\x01\x00\x00\x00\x44\x33\x22\x11\x88\x77\x66\x55",
		     16) == 0);
	CHECK(memcmp(p + 112, "\x08\x00\x00\x00\x02\x00\x00\x00", 8) == 0);
	CHECK_EQ(plan.count, 4); /* top, in, out, and fd_out's slot */
	CHECK_EQ(plan.ents[2].uaddr, MF_U(in));
	CHECK_EQ(plan.ents[2].dir, M_OUT);
	CHECK_EQ(plan.ents[3].uaddr, MF_U(&top.fd_out));
	CHECK(plan.ents[3].field && plan.ents[3].field->kind == M_FD);
	free(p);
	m_plan_fini(&plan);
}

/* ---- table checks ------------------------------------------------------------ */

static const char *t_check_one(const struct m_ioctl *d, uint32_t n)
{
	struct m_table t = {"t", d, n};
	const char *entry, *reason;

	if (m_table_check_reason(&t, &entry, &reason) == 0)
		return NULL;
	CHECK(entry != NULL);
	return reason ? reason : "?";
}

TEST(table_check_accepts_test_table)
{
	const char *why = "unset";

	CHECK_EQ(m_table_check(&t_table, &why), 0);
	CHECK_EQ(m_table_find(&t_table, T_NESTED), &t_ioctls[5]);
	CHECK_EQ(m_table_find(&t_table, T_RETFD), &t_ioctls[0]);
	CHECK(m_table_find(&t_table, T_FLAT) == NULL);
	CHECK(m_table_find(NULL, T_FLAT) == NULL);
}

struct t_s16 {
	uint64_t p;
	uint32_t n;
	int32_t fd;
};
static const struct m_struct s16_desc = {sizeof(struct t_s16), top_fields};
static const struct m_struct s16_out_fd = {sizeof(struct t_s16), fdin_fields};

#define F_OK M_ARRAY_F(struct t_s16, p, n, 4, 8, M_IN)
#define T_S16 _IOWR('V', 20, struct t_s16)
#define T_S16W _IOW('V', 21, struct t_s16)

TEST(table_check_rejects)
{
	/* clang-format off */
#define ONE(...) {{__VA_ARGS__}, M_END_F}
	static const struct m_field f_outside[] =
		ONE(.kind = M_ARRAY, .dir = M_IN, .ptr_size = 8, .ptr_off = 12, .elem_size = 1, .max = 1);
	static const struct m_field f_count_outside[] =
		ONE(.kind = M_ARRAY, .dir = M_IN, .ptr_size = 8, .count_size = 4, .count_off = 14,
		    .elem_size = 1, .max = 1);
	static const struct m_field f_kind[] = ONE(.kind = 9, .dir = M_IN, .ptr_size = 4);
	static const struct m_field f_ptr3[] =
		ONE(.kind = M_ARRAY, .dir = M_IN, .ptr_size = 3, .elem_size = 1, .max = 1);
	static const struct m_field f_cnt3[] =
		ONE(.kind = M_ARRAY, .dir = M_IN, .ptr_size = 8, .count_size = 3, .count_off = 8,
		    .elem_size = 1, .max = 1);
	static const struct m_field f_max0[] =
		ONE(.kind = M_ARRAY, .dir = M_IN, .ptr_size = 8, .elem_size = 1);
	static const struct m_field f_huge[] =
		ONE(.kind = M_ARRAY, .dir = M_IN, .ptr_size = 8, .elem_size = 1u << 20, .max = 1u << 13);
	static const struct m_field f_cond[] =
		ONE(.kind = M_FD, .dir = M_IN, .ptr_size = 4, .ptr_off = 12, .cond_off = 14,
		    .cond_mask = 1);
	static const struct m_field f_fd_inout[] =
		ONE(.kind = M_FD, .dir = M_INOUT, .ptr_size = 4, .ptr_off = 12);
	static const struct m_field f_fd8[] = ONE(.kind = M_FD, .dir = M_IN, .ptr_size = 8, .ptr_off = 8);
	static const struct m_field f_structs_noelem[] =
		ONE(.kind = M_STRUCTS, .dir = M_IN, .ptr_size = 8, .elem_size = 16, .max = 1);
#undef ONE
	static const struct m_field f_structs_out[] = {
		M_STRUCTS_T_F(struct t_s16, p, n, struct t_s16, &s16_desc, 2, M_OUT), M_END_F};
	static const struct m_field f_structs_size[] = {
		M_STRUCTS_T_F(struct t_s16, p, n, struct t_top, &s16_desc, 2, M_IN), M_END_F};
	/* elements of 16 bytes described by top_fields (64) */
	static const struct m_field f_elem_bad[] = {
		M_STRUCTS_T_F(struct t_s16, p, n, struct t_s16, &s16_desc, 2, M_IN), M_END_F};
	/* accepted: an fd inside elements */
	static const struct m_field f_elem_fdin[] = {
		M_STRUCTS_T_F(struct t_s16, p, n, struct t_s16, &s16_out_fd, 2, M_IN), M_END_F};
	static const struct m_field f_overlap[] = {F_OK, M_FD_F(struct t_s16, n, M_IN), M_END_F};
	static const struct m_field f_overlap_ptr[] = {
		F_OK, M_ARRAY_F(struct t_s16, p, fd, 1, 1, M_IN), M_END_F};
	static const struct m_field f_fd_only[] = {M_FD_F(struct t_s16, fd, M_OUT), M_END_F};
	static const struct m_field f_ok[] = {F_OK, M_END_F};
	const struct {
		struct m_ioctl d;
		const char *what;
	} bad[] = {
		{{.cmd = T_S16, .fields = f_outside}, "pointer outside"},
		{{.cmd = T_S16, .fields = f_count_outside}, "count outside"},
		{{.cmd = T_S16, .fields = f_kind}, "kind"},
		{{.cmd = T_S16, .fields = f_ptr3}, "pointer size"},
		{{.cmd = T_S16, .fields = f_cnt3}, "count size"},
		{{.cmd = T_S16, .fields = f_max0}, "max 0"},
		{{.cmd = T_S16, .fields = f_huge}, "max * elem_size"},
		{{.cmd = T_S16, .fields = f_cond}, "condition outside"},
		{{.cmd = T_S16W, .fields = f_fd_inout}, "fd INOUT in a struct only read"},
		{{.cmd = T_S16, .fields = f_fd8}, "fd size"},
		{{.cmd = T_S16, .fields = f_structs_out}, "M_STRUCTS OUT"},
		{{.cmd = T_S16, .fields = f_structs_size}, "elem_size"},
		{{.cmd = T_S16, .fields = f_structs_noelem}, "no elem"},
		{{.cmd = T_S16, .fields = f_elem_bad}, "element fields"},
		{{.cmd = T_S16, .fields = f_overlap}, "fd over a count"},
		{{.cmd = T_S16, .fields = f_overlap_ptr}, "count over an fd"},
		{{.cmd = _IOW('V', 20, struct t_s16), .fields = f_fd_only}, "fd OUT in an IN struct"},
		{{.cmd = _IOR('V', 20, struct t_s16), .fields = f_ok}, "pointer in an OUT struct"},
		{{.cmd = _IO('V', 20), .fields = f_ok}, "fields on a value"},
		{{.cmd = T_S16, .flags = M_F_ARG_VALUE, .fields = f_ok}, "fields on a value"},
		{{.cmd = T_S16, .flags = M_F_ARG_FD}, "M_F_ARG_FD alone"},
		{{.cmd = T_S16, .flags = 1u << 9}, "unknown flag"},
		{{.cmd = T_S16, .size = 4, .dir = M_IN}, "size without M_F_SIZE"},
		{{.cmd = T_S16, .flags = M_F_SIZE, .size = 4}, "size without dir"},
		{{.cmd = T_S16, .flags = M_F_SIZE, .size = 4, .dir = 4}, "bad dir"},
		{{.cmd = T_S16, .flags = M_F_SIZE, .size = 8, .dir = M_IN, .fields = f_ok},
		 "fields beyond M_F_SIZE"},
	};
	/* clang-format on */
	struct m_ioctl two[2] = {{.cmd = 2}, {.cmd = 1}};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!t_check_one(&bad[i].d, 1))
			FAILF("accepted: %s", bad[i].what);
	CHECK(t_check_one(two, 2) == NULL); /* any order */
	two[1].cmd = 2;
	CHECK(t_check_one(two, 2) != NULL); /* duplicate */
	two[1].cmd = 3;
	CHECK(t_check_one(two, 2) == NULL);
	CHECK(t_check_one(&(struct m_ioctl){.cmd = T_S16, .fields = f_elem_fdin}, 1) == NULL);
	CHECK(t_check_one(
		  &(struct m_ioctl){.cmd = T_S16, .fields = f_ok, .flags = 1u << M_F_CLASS_SHIFT},
		  1) == NULL); /* class bits are free */
}

TEST(m_top_and_buf)
{
	struct m_ioctl sized = {
	    .cmd = _IOR('V', 1, int), .flags = M_F_SIZE, .size = 40, .dir = M_INOUT};
	struct m_ioctl value = {.cmd = _IOR('V', 1, int), .flags = M_F_ARG_VALUE};
	struct mf_alloc al;
	struct m_buf b;
	uint32_t size, dir;

	m_top(NULL, _IOR('V', 1, int), &size, &dir);
	CHECK(size == 4 && dir == M_OUT);
	m_top(NULL, _IOW('V', 1, struct t_top), &size, &dir);
	CHECK(size == 64 && dir == M_IN);
	m_top(NULL, 0x5401, &size, &dir);
	CHECK(size == 0 && dir == 0);
	m_top(&sized, sized.cmd, &size, &dir);
	CHECK(size == 40 && dir == M_INOUT);
	m_top(&value, value.cmd, &size, &dir);
	CHECK(size == 0 && dir == 0);
	mf_alloc_init(&al);
	b = (struct m_buf){.alloc = &al.a};
	CHECK_EQ(m_buf_reserve(&b, 10), 0);
	b.len = 10;
	CHECK_EQ(m_buf_reserve(&b, UINT32_MAX - 9), -E2BIG);
	CHECK_EQ(m_buf_reserve(&b, 1000), 0);
	CHECK(b.cap >= 1010);
	m_buf_fini(&b);
	CHECK_EQ(al.live, 0);
}
