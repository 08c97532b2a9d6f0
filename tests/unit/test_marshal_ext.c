/* SPDX-License-Identifier: MIT */
/*
 * test_marshal_ext.c - engine features the DRM tables need: fd fields
 * whose direction depends on flags (exclusive variants, cond_val), fds
 * that go in and are replaced on success (M_INOUT: virtio_gpu fence_fd),
 * and counts that are the sum of an earlier array (drm_mode_atomic).
 */
#include <linux/ioctl.h>
#include <stdint.h>

#include "marshal_fake.h"
#include "runner.h"

struct x_exec {
	uint32_t flags;
	int32_t fence_fd;
};
#define X_IN 1u
#define X_OUT 2u
#define X_EXEC _IOWR('X', 1, struct x_exec)

/* clang-format off */
static const struct m_field x_exec_fields[] = {
	M_FD_WHEN_F(struct x_exec, fence_fd, M_IN, flags, X_IN | X_OUT, X_IN),
	M_FD_WHEN_F(struct x_exec, fence_fd, M_OUT, flags, X_IN | X_OUT, X_OUT),
	M_FD_WHEN_F(struct x_exec, fence_fd, M_INOUT, flags, X_IN | X_OUT, X_IN | X_OUT),
	M_END_F,
};
/* clang-format on */
static const struct m_ioctl x_exec_d = {.cmd = X_EXEC, .fields = x_exec_fields, .name = "X_EXEC"};

struct x_kstate {
	int32_t want_in; /* the real fd the kernel must see (-1: none) */
	int32_t write;	 /* what it writes back (-1: leaves it) */
	int64_t ret;
};

static int64_t k_exec(struct m_call *c, void *ctx)
{
	struct x_exec *e = (struct x_exec *)m_call_arg(c);
	struct x_kstate *k = ctx;

	CHECK_EQ(e->fence_fd, k->want_in);
	if (k->ret >= 0 && k->write >= 0)
		e->fence_fd = k->write;
	return k->ret;
}

/* One call: guest fd 7 is handle 70 is the backend's fd 77. */
static int x_exec_run(uint32_t flags, int32_t fd, struct x_kstate *k, struct x_exec *out,
		      struct mf_guest *g, struct mf_trip *t)
{
	struct x_exec e = {flags, fd};
	struct mf_back b;
	int ret;

	mf_guest_init(g);
	mf_back_init(&b);
	mf_guest_map(g, &e, sizeof(e), 1);
	mf_guest_add_fd(g, 7, 70);
	mf_back_add(&b, 70, 77);
	mf_trip_init(t);
	ret = mf_round_trip(&x_exec_d, X_EXEC, MF_U(&e), g, &b, k_exec, k, t);
	*out = e;
	return ret;
}

TEST(table_accepts_exclusive_fd_variants)
{
	const struct m_table t = {"x", &x_exec_d, 1};
	const char *why = NULL;

	CHECK_EQ(m_table_check(&t, &why), 0);
}

TEST(fd_variant_in)
{
	struct x_kstate k = {.want_in = 77, .write = -1};
	struct mf_guest g;
	struct mf_trip t;
	struct x_exec e;

	CHECK_EQ(x_exec_run(X_IN, 7, &k, &e, &g, &t), 0);
	CHECK_EQ(e.fence_fd, 7); /* the guest's own fd back, not the handle */
	CHECK_EQ(g.ncreated, 0);
	mf_trip_fini(&t);
}

TEST(fd_variant_out)
{
	struct x_kstate k = {.want_in = -1, .write = 99};
	struct mf_guest g;
	struct mf_trip t;
	struct x_exec e;

	CHECK_EQ(x_exec_run(X_OUT, 12345, &k, &e, &g, &t), 0);
	CHECK_EQ(g.ncreated, 1);
	CHECK_EQ(e.fence_fd, g.created[0]);
	mf_trip_fini(&t);
}

TEST(fd_variant_inout_replaced)
{
	struct x_kstate k = {.want_in = 77, .write = 99};
	struct mf_guest g;
	struct mf_trip t;
	struct x_exec e;

	CHECK_EQ(x_exec_run(X_IN | X_OUT, 7, &k, &e, &g, &t), 0);
	CHECK_EQ(g.ncreated, 1);
	CHECK_EQ(e.fence_fd, g.created[0]);
	mf_trip_fini(&t);
}

TEST(fd_variant_inout_failure_keeps_guest_fd)
{
	struct x_kstate k = {.want_in = 77, .write = 99, .ret = -22};
	struct mf_guest g;
	struct mf_trip t;
	struct x_exec e;

	CHECK_EQ(x_exec_run(X_IN | X_OUT, 7, &k, &e, &g, &t), 0);
	CHECK_EQ(t.result, -22);
	CHECK_EQ(g.ncreated, 0);
	CHECK_EQ(e.fence_fd, 7);
	mf_trip_fini(&t);
}

TEST(fd_variant_unknown_fd_ebadf)
{
	struct x_kstate k = {.want_in = 77, .write = 99};
	struct mf_guest g;
	struct mf_trip t;
	struct x_exec e;

	CHECK_EQ(x_exec_run(X_IN | X_OUT, 8, &k, &e, &g, &t), -EBADF);
	mf_trip_fini(&t);
}

/* ---- sum_of: drm_mode_atomic's shape ---------------------------------------- */

struct x_atomic {
	uint32_t count_objs, pad;
	uint64_t objs_ptr, count_props_ptr, props_ptr, values_ptr;
};
#define X_ATOMIC _IOWR('X', 2, struct x_atomic)

/* clang-format off */
static const struct m_field x_atomic_fields[] = {
	M_ARRAY_F(struct x_atomic, objs_ptr, count_objs, 4, 64, M_IN),
	M_ARRAY_F(struct x_atomic, count_props_ptr, count_objs, 4, 64, M_IN),
	M_SUM_F(struct x_atomic, props_ptr, 1, 4, 256, M_IN),
	M_SUM_F(struct x_atomic, values_ptr, 1, 8, 256, M_IN),
	M_END_F,
};
/* clang-format on */
static const struct m_ioctl x_atomic_d = {
    .cmd = X_ATOMIC, .fields = x_atomic_fields, .name = "X_ATOMIC"};

static int64_t k_atomic(struct m_call *c, void *ctx)
{
	struct x_atomic *a = (struct x_atomic *)m_call_arg(c);
	const uint32_t *cp = (const uint32_t *)(uintptr_t)a->count_props_ptr;
	const uint32_t *props = (const uint32_t *)(uintptr_t)a->props_ptr;
	const uint64_t *vals = (const uint64_t *)(uintptr_t)a->values_ptr;
	uint32_t i, n = 0;

	for (i = 0; i < a->count_objs; i++)
		n += cp[i];
	for (i = 0; i < n; i++)
		if (props[i] != 100 + i || vals[i] != 1000u + i)
			return -99;
	return n;
}

static int x_atomic_run(uint32_t *counts, uint32_t nobj, uint32_t nprops)
{
	uint32_t objs[64] = {0}, props[300];
	uint64_t vals[300];
	struct x_atomic a = {.count_objs = nobj};
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;
	uint32_t i;
	int ret;

	for (i = 0; i < 300; i++) {
		props[i] = 100 + i;
		vals[i] = 1000u + i;
	}
	a.objs_ptr = MF_U(objs);
	a.count_props_ptr = MF_U(counts);
	a.props_ptr = MF_U(props);
	a.values_ptr = MF_U(vals);
	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, &a, sizeof(a), 1);
	mf_guest_map(&g, objs, sizeof(objs), 0);
	mf_guest_map(&g, counts, nobj * 4, 0);
	/* only as many props as the sum says may be read */
	mf_guest_map(&g, props, nprops * 4, 0);
	mf_guest_map(&g, vals, nprops * 8, 0);
	mf_trip_init(&t);
	ret = mf_round_trip(&x_atomic_d, X_ATOMIC, MF_U(&a), &g, &b, k_atomic, NULL, &t);
	if (!ret)
		ret = (int)t.result;
	mf_trip_fini(&t);
	return ret;
}

TEST(sum_count_round_trip)
{
	uint32_t counts[3] = {2, 0, 5};

	CHECK_EQ(x_atomic_run(counts, 3, 7), 7);
}

TEST(sum_count_reads_only_the_sum)
{
	uint32_t counts[2] = {3, 3};

	/* 6 props mapped, the sum is 6: nothing beyond is touched (else EFAULT) */
	CHECK_EQ(x_atomic_run(counts, 2, 6), 6);
}

TEST(sum_count_above_max_einval)
{
	uint32_t counts[2] = {200, 57};

	CHECK_EQ(x_atomic_run(counts, 2, 257 > 300 ? 300 : 257), -EINVAL);
}

TEST(sum_count_overflow_einval)
{
	uint32_t counts[3] = {0xffffffffu, 0xffffffffu, 2};

	CHECK_EQ(x_atomic_run(counts, 3, 2), -EINVAL);
}

TEST(sum_table_checks)
{
	static const struct m_field bad_ref[] = {
	    M_SUM_F(struct x_atomic, props_ptr, 0, 4, 16, M_IN), /* names itself */
	    M_END_F,
	};
	static const struct m_field bad_kind[] = {
	    M_ARRAY_F(struct x_atomic, objs_ptr, count_objs, 8, 64, M_IN), /* not u32 */
	    M_SUM_F(struct x_atomic, props_ptr, 0, 4, 16, M_IN),
	    M_END_F,
	};
	const struct m_ioctl d1 = {.cmd = X_ATOMIC, .fields = bad_ref, .name = "a"};
	const struct m_ioctl d2 = {.cmd = X_ATOMIC, .fields = bad_kind, .name = "b"};
	const struct m_table t_ok = {"ok", &x_atomic_d, 1}, t1 = {"1", &d1, 1}, t2 = {"2", &d2, 1};
	const char *why;

	CHECK_EQ(m_table_check(&t_ok, &why), 0);
	CHECK(m_table_check(&t1, &why) != 0);
	CHECK(m_table_check(&t2, &why) != 0);
}
