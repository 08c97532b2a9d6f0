/* SPDX-License-Identifier: MIT */
/*
 * test_drm_drivers.c - the driver tables checked only against their UAPI
 * headers (i915, amdgpu, xe, nouveau, msm, panfrost): each passes the
 * engine's checks and is found by its kernel driver name; the ioctls their
 * files leave out are not there; and the shapes that need more than the
 * number survive a round trip through the engine with a fake kernel:
 * nested arrays written back (i915 exec objects and relocations, query
 * items), fds in and out (i915 rsvd2 halves, msm fence_fd), extension
 * chains (i915 timeline fences, context setparam links), pointers that
 * depend on a selector (msm GEM_INFO), the refusals that stand in for
 * pointers the engine cannot describe, and counts above their max.
 */
#include <string.h>

#include <amdgpu_drm.h>
#include <i915_drm.h>

#include "core/drm/drm_class.h"
#include "core/drm/uapi/msm_drm.h"
#include "core/drm/uapi/nouveau_drm.h"
#include "core/drm/uapi/panfrost_drm.h"
#include "core/drm/uapi/xe_drm.h"
#include "marshal_fake.h"
#include "runner.h"

static const struct vdri_driver *const checked_only[] = {
    &vdri_drm_i915,    &vdri_drm_amdgpu, &vdri_drm_xe,
    &vdri_drm_nouveau, &vdri_drm_msm,	 &vdri_drm_panfrost,
};
#define NCHECKED (sizeof(checked_only) / sizeof(checked_only[0]))

static const struct m_ioctl *find(const struct vdri_driver *drv, uint32_t cmd)
{
	const struct m_ioctl *d = m_table_find(drv->table, cmd);

	if (!d)
		FAILF("%s: no entry for %#x", drv->name, cmd);
	return d;
}

/* One round trip of d on arg; the guest has fd 7 = handle 70 = the backend's fd 77. */
struct trip {
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;
};

static void trip_init(struct trip *x)
{
	mf_guest_init(&x->g);
	mf_back_init(&x->b);
	mf_guest_add_fd(&x->g, 7, 70);
	mf_back_add(&x->b, 70, 77);
	mf_trip_init(&x->t);
}

static int trip_run(struct trip *x, const struct m_ioctl *d, const void *arg, mf_kernel_fn k,
		    void *kctx)
{
	int ret = mf_round_trip(d, d->cmd, MF_U(arg), &x->g, &x->b, k, kctx, &x->t);

	mf_trip_fini(&x->t);
	return ret;
}

/* The kernel must never run (the call is refused before it). */
static int64_t k_never(struct m_call *c, void *ctx)
{
	FAILF("the kernel was called");
}

/* ---- the tables ----------------------------------------------------------------- */

TEST(tables_check_and_drivers_found_by_name)
{
	const char *entry, *why;
	size_t i;

	for (i = 0; i < NCHECKED; i++) {
		const struct vdri_driver *drv = checked_only[i];

		if (m_table_check_reason(drv->table, &entry, &why))
			FAILF("%s/%s: %s", drv->name, entry, why);
		CHECK(drv->table->count > 0);
		CHECK(vdri_class_driver(&vdri_class_drm, drv->name) == drv);
		CHECK_STREQ(drv->note, "UAPI-checked only; no such device in the test rig");
		CHECK_STREQ(drv->table->name, drv->name);
	}
}

TEST(left_out_ioctls_are_absent)
{
	static const struct {
		const struct vdri_driver *drv;
		uint32_t cmd;
	} out[] = {
	    {&vdri_drm_i915, DRM_IOCTL_I915_GEM_MMAP},
	    {&vdri_drm_i915, DRM_IOCTL_I915_GEM_USERPTR},
	    {&vdri_drm_i915, DRM_IOCTL_I915_GEM_CREATE_EXT},
	    {&vdri_drm_i915, DRM_IOCTL_I915_IRQ_EMIT},
	    {&vdri_drm_amdgpu, DRM_IOCTL_AMDGPU_CS},
	    {&vdri_drm_amdgpu, DRM_IOCTL_AMDGPU_BO_LIST},
	    {&vdri_drm_amdgpu, DRM_IOCTL_AMDGPU_WAIT_FENCES},
	    {&vdri_drm_amdgpu, DRM_IOCTL_AMDGPU_GEM_OP},
	    {&vdri_drm_amdgpu, DRM_IOCTL_AMDGPU_GEM_USERPTR},
	    {&vdri_drm_nouveau, DRM_IOCTL_NOUVEAU_SVM_INIT},
	    {&vdri_drm_nouveau, DRM_IOCTL_NOUVEAU_SVM_BIND},
	    {&vdri_drm_panfrost, DRM_IOCTL_PANFROST_PERFCNT_DUMP},
	    {&vdri_drm_xe, DRM_IOCTL_XE_EXEC_QUEUE_CREATE},
	    {&vdri_drm_xe, DRM_IOCTL_XE_WAIT_USER_FENCE},
	    {&vdri_drm_xe, DRM_IOCTL_XE_OBSERVATION},
	};
	size_t i;

	for (i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		if (m_table_find(out[i].drv->table, out[i].cmd))
			FAILF("%s: %#x should be left out", out[i].drv->name, out[i].cmd);
}

TEST(coherence_flags)
{
	CHECK(find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_EXECBUFFER2)->flags & M_F_PUBLISH);
	CHECK(find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR)->flags & M_F_PUBLISH);
	CHECK(find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_WAIT)->flags & M_F_REFRESH);
	CHECK(find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_WAIT)->flags & M_F_MAY_BLOCK);
	CHECK(find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_SET_DOMAIN)->flags & M_F_REFRESH);
	CHECK(find(&vdri_drm_amdgpu, DRM_IOCTL_AMDGPU_WAIT_CS)->flags & M_F_REFRESH);
	CHECK(find(&vdri_drm_xe, DRM_IOCTL_XE_EXEC)->flags & M_F_PUBLISH);
	CHECK(find(&vdri_drm_nouveau, DRM_IOCTL_NOUVEAU_GEM_PUSHBUF)->flags & M_F_PUBLISH);
	CHECK(find(&vdri_drm_nouveau, DRM_IOCTL_NOUVEAU_GEM_CPU_PREP)->flags & M_F_REFRESH);
	CHECK(find(&vdri_drm_msm, DRM_IOCTL_MSM_GEM_SUBMIT)->flags & M_F_PUBLISH);
	CHECK(find(&vdri_drm_msm, DRM_IOCTL_MSM_GEM_CPU_PREP)->flags & M_F_REFRESH);
	CHECK(find(&vdri_drm_msm, DRM_IOCTL_MSM_WAIT_FENCE)->flags & M_F_REFRESH);
	CHECK(find(&vdri_drm_panfrost, DRM_IOCTL_PANFROST_SUBMIT)->flags & M_F_PUBLISH);
	CHECK(find(&vdri_drm_panfrost, DRM_IOCTL_PANFROST_WAIT_BO)->flags & M_F_REFRESH);
	CHECK(!(find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_CREATE)->flags &
		(M_F_PUBLISH | M_F_REFRESH)));
}

/* ---- i915 EXECBUFFER2 --------------------------------------------------------------- */

struct eb_guest {
	struct drm_i915_gem_relocation_entry relocs[2][1];
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
};

static void eb_guest_init(struct eb_guest *G, struct trip *x)
{
	int i;

	memset(G, 0, sizeof(*G));
	for (i = 0; i < 2; i++) {
		G->relocs[i][0].target_handle = 11 - i;
		G->relocs[i][0].offset = 64 * (i + 1);
		G->relocs[i][0].presumed_offset = ~0ull;
		G->objs[i].handle = 10 + i;
		G->objs[i].relocation_count = 1;
		G->objs[i].relocs_ptr = MF_U(G->relocs[i]);
	}
	G->eb.buffers_ptr = MF_U(G->objs);
	G->eb.buffer_count = 2;
	G->eb.batch_len = 4096;
	mf_guest_map(&x->g, G, sizeof(*G), 1);
}

static int64_t k_eb(struct m_call *c, void *ctx)
{
	struct drm_i915_gem_execbuffer2 *e = (struct drm_i915_gem_execbuffer2 *)m_call_arg(c);
	struct drm_i915_gem_exec_object2 *o = (void *)(uintptr_t)e->buffers_ptr;
	struct eb_guest *G = ctx;
	int i;

	CHECK_EQ(e->buffer_count, 2);
	CHECK(e->buffers_ptr != MF_U(G->objs)); /* the backend's copy */
	CHECK_EQ((uint32_t)e->rsvd2, 77);	/* the in-fence as the backend's fd */
	for (i = 0; i < 2; i++) {
		struct drm_i915_gem_relocation_entry *r = (void *)(uintptr_t)o[i].relocs_ptr;

		CHECK_EQ(o[i].handle, 10 + i);
		CHECK(o[i].relocs_ptr != MF_U(G->relocs[i]));
		CHECK_EQ(r[0].target_handle, 11 - i);
		CHECK_EQ(r[0].offset, 64 * (i + 1));
		r[0].presumed_offset = 0x10000ull * (i + 1); /* written back, as the kernel does */
		o[i].offset = 0x100000ull * (i + 1);
	}
	if (e->flags & I915_EXEC_FENCE_OUT)
		e->rsvd2 = (uint32_t)e->rsvd2 | (uint64_t)99 << 32;
	return 0;
}

TEST(i915_execbuffer2_wr_relocs_and_fences)
{
	const struct m_ioctl *d = find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR);
	struct eb_guest G;
	struct trip x;
	int i;

	trip_init(&x);
	eb_guest_init(&G, &x);
	G.eb.flags = I915_EXEC_RENDER | I915_EXEC_FENCE_IN | I915_EXEC_FENCE_OUT;
	G.eb.rsvd2 = 7; /* in-fence fd 7, out-fence slot 0 */
	CHECK_EQ(trip_run(&x, d, &G.eb, k_eb, &G), 0);
	CHECK_EQ(x.t.result, 0);
	for (i = 0; i < 2; i++) {
		CHECK_EQ(G.objs[i].offset, 0x100000ull * (i + 1));
		CHECK_EQ(G.relocs[i][0].presumed_offset, 0x10000ull * (i + 1));
		CHECK(G.objs[i].relocs_ptr == MF_U(G.relocs[i])); /* the guest's pointers back */
	}
	CHECK(G.eb.buffers_ptr == MF_U(G.objs));
	/* the out-fence is a new forwarded fd; the in-fence the guest's own */
	CHECK_EQ(x.b.nregistered, 1);
	CHECK_EQ(x.b.registered[0], 99);
	CHECK_EQ(x.g.ncreated, 1);
	CHECK_EQ((int32_t)(G.eb.rsvd2 >> 32), x.g.created[0]);
	CHECK_EQ((uint32_t)G.eb.rsvd2, 7);
}

TEST(i915_execbuffer2_fence_in_only)
{
	const struct m_ioctl *d = find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_EXECBUFFER2);
	struct eb_guest G;
	struct trip x;

	trip_init(&x);
	eb_guest_init(&G, &x);
	G.eb.flags = I915_EXEC_FENCE_IN;
	G.eb.rsvd2 = 7;
	CHECK_EQ(trip_run(&x, d, &G.eb, k_eb, &G), 0);
	CHECK_EQ(x.g.ncreated, 0);
	/* the kernel writes offsets into the objects even for the write-only number */
	CHECK_EQ(G.objs[0].offset, 0x100000);
	/* an fd that is not a forwarded file is refused before the call */
	trip_init(&x);
	eb_guest_init(&G, &x);
	G.eb.flags = I915_EXEC_FENCE_IN;
	G.eb.rsvd2 = 8;
	CHECK_EQ(trip_run(&x, d, &G.eb, k_never, NULL), -EBADF);
}

struct tl_guest {
	struct drm_i915_gem_exec_fence fences[2];
	uint64_t values[2];
	struct drm_i915_gem_execbuffer_ext_timeline_fences ext[2];
};

static int64_t k_eb_timeline(struct m_call *c, void *ctx)
{
	struct drm_i915_gem_execbuffer2 *e = (struct drm_i915_gem_execbuffer2 *)m_call_arg(c);
	struct drm_i915_gem_execbuffer_ext_timeline_fences *x1, *x2;
	const struct drm_i915_gem_exec_fence *f;
	const uint64_t *v;
	struct tl_guest *T = ctx;

	x1 = (void *)(uintptr_t)e->cliprects_ptr;
	CHECK(e->cliprects_ptr && e->cliprects_ptr != MF_U(&T->ext[0]));
	CHECK_EQ(x1->fence_count, 2);
	f = (const void *)(uintptr_t)x1->handles_ptr;
	v = (const void *)(uintptr_t)x1->values_ptr;
	CHECK(x1->handles_ptr != MF_U(T->fences));
	CHECK(f[1].handle == 2 && f[1].flags == I915_EXEC_FENCE_SIGNAL && v[1] == 6);
	x2 = (void *)(uintptr_t)x1->base.next_extension;
	CHECK(x1->base.next_extension && x1->base.next_extension != MF_U(&T->ext[1]));
	CHECK_EQ(x2->fence_count, 0);
	CHECK_EQ(x2->base.next_extension, 0);
	return 0;
}

TEST(i915_execbuffer2_timeline_fence_chain)
{
	const struct m_ioctl *d = find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_EXECBUFFER2);
	struct eb_guest G;
	struct tl_guest T = {
	    .fences = {{1, I915_EXEC_FENCE_WAIT}, {2, I915_EXEC_FENCE_SIGNAL}},
	    .values = {5, 6},
	};
	struct trip x;

	T.ext[0].base.name = DRM_I915_GEM_EXECBUFFER_EXT_TIMELINE_FENCES;
	T.ext[0].base.next_extension = MF_U(&T.ext[1]);
	T.ext[0].fence_count = 2;
	T.ext[0].handles_ptr = MF_U(T.fences);
	T.ext[0].values_ptr = MF_U(T.values);
	trip_init(&x);
	eb_guest_init(&G, &x);
	mf_guest_map(&x.g, &T, sizeof(T), 0);
	G.eb.flags = I915_EXEC_USE_EXTENSIONS;
	G.eb.cliprects_ptr = MF_U(&T.ext[0]);
	G.eb.rsvd2 = 0;
	CHECK_EQ(trip_run(&x, d, &G.eb, k_eb_timeline, &T), 0);
}

static int64_t k_eb_raw_cliprects(struct m_call *c, void *ctx)
{
	struct drm_i915_gem_execbuffer2 *e = (struct drm_i915_gem_execbuffer2 *)m_call_arg(c);

	/* FENCE_ARRAY with no fences: the kernel reads nothing at cliprects_ptr */
	CHECK_EQ(e->num_cliprects, 0);
	return 0;
}

TEST(i915_execbuffer2_fence_array_refused)
{
	const struct m_ioctl *d = find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_EXECBUFFER2);
	struct drm_i915_gem_exec_fence fences[1] = {{1, I915_EXEC_FENCE_WAIT}};
	struct eb_guest G;
	struct trip x;

	trip_init(&x);
	eb_guest_init(&G, &x);
	mf_guest_map(&x.g, fences, sizeof(fences), 0);
	G.eb.flags = I915_EXEC_FENCE_ARRAY;
	G.eb.num_cliprects = 1;
	G.eb.cliprects_ptr = MF_U(fences);
	CHECK_EQ(trip_run(&x, d, &G.eb, k_never, NULL), -EINVAL);
	/* both flags: refused as well (the kernel would refuse it too) */
	G.eb.flags = I915_EXEC_FENCE_ARRAY | I915_EXEC_USE_EXTENSIONS;
	trip_init(&x);
	mf_guest_map(&x.g, &G, sizeof(G), 1);
	CHECK_EQ(trip_run(&x, d, &G.eb, k_never, NULL), -EINVAL);
	/* no fences: nothing to describe */
	G.eb.flags = I915_EXEC_FENCE_ARRAY;
	G.eb.num_cliprects = 0;
	trip_init(&x);
	mf_guest_map(&x.g, &G, sizeof(G), 1);
	CHECK_EQ(trip_run(&x, d, &G.eb, k_eb_raw_cliprects, NULL), 0);
}

TEST(i915_counts_above_max_einval)
{
	const struct m_ioctl *d = find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_EXECBUFFER2);
	const struct m_field *objs = &d->fields[0];
	struct eb_guest G;
	struct trip x;

	trip_init(&x);
	eb_guest_init(&G, &x);
	CHECK_EQ(objs->max, DRM_MAX_OBJS);
	G.eb.buffer_count = objs->max + 1;
	CHECK_EQ(trip_run(&x, d, &G.eb, k_never, NULL), -EINVAL);
	/* a nested count: one object with too many relocations */
	trip_init(&x);
	eb_guest_init(&G, &x);
	G.objs[1].relocation_count = objs->elem->fields[0].max + 1;
	CHECK_EQ(trip_run(&x, d, &G.eb, k_never, NULL), -EINVAL);
}

/* ---- i915 QUERY, GETPARAM, context params -------------------------------------------- */

static int64_t k_query(struct m_call *c, void *ctx)
{
	struct drm_i915_query *q = (struct drm_i915_query *)m_call_arg(c);
	struct drm_i915_query_item *it = (void *)(uintptr_t)q->items_ptr;
	char *data = (char *)(uintptr_t)it[0].data_ptr;

	CHECK_EQ(q->num_items, 2);
	CHECK_EQ(it[0].length, 16);
	CHECK(data[0] == 'x'); /* the guest's bytes went in (engine info checks its header) */
	memcpy(data, "topology-bytes!", 16);
	it[1].length = 1234; /* a size query: no buffer */
	return 0;
}

TEST(i915_query_items_in_and_out)
{
	char buf[16] = "x";
	struct drm_i915_query_item items[2] = {
	    {.query_id = DRM_I915_QUERY_TOPOLOGY_INFO, .length = 16, .data_ptr = MF_U(buf)},
	    {.query_id = DRM_I915_QUERY_ENGINE_INFO},
	};
	struct drm_i915_query q = {.num_items = 2, .items_ptr = MF_U(items)};
	struct trip x;

	trip_init(&x);
	mf_guest_map(&x.g, &q, sizeof(q), 1);
	mf_guest_map(&x.g, items, sizeof(items), 1);
	mf_guest_map(&x.g, buf, sizeof(buf), 1);
	CHECK_EQ(trip_run(&x, find(&vdri_drm_i915, DRM_IOCTL_I915_QUERY), &q, k_query, NULL), 0);
	CHECK_STREQ(buf, "topology-bytes!");
	CHECK_EQ(items[1].length, 1234);
	CHECK(items[0].data_ptr == MF_U(buf));
	CHECK(q.items_ptr == MF_U(items));
}

static int64_t k_getparam(struct m_call *c, void *ctx)
{
	drm_i915_getparam_t *p = (drm_i915_getparam_t *)m_call_arg(c);

	CHECK_EQ(p->param, I915_PARAM_CHIPSET_ID);
	*p->value = 0x9a49;
	return 0;
}

TEST(i915_getparam_value_pointer)
{
	int value = 0;
	drm_i915_getparam_t p = {.param = I915_PARAM_CHIPSET_ID, .value = &value};
	struct trip x;

	trip_init(&x);
	mf_guest_map(&x.g, &p, sizeof(p), 1);
	mf_guest_map(&x.g, &value, sizeof(value), 1);
	CHECK_EQ(trip_run(&x, find(&vdri_drm_i915, DRM_IOCTL_I915_GETPARAM), &p, k_getparam, NULL),
		 0);
	CHECK_EQ(value, 0x9a49);
	CHECK(p.value == &value);
}

static int64_t k_ctx_param(struct m_call *c, void *ctx)
{
	struct drm_i915_gem_context_param *p = (struct drm_i915_gem_context_param *)m_call_arg(c);
	const struct drm_i915_gem_context_param *want = ctx;

	/* plain params arrive untouched */
	CHECK_EQ(p->param, want->param);
	CHECK_EQ(p->value, want->value);
	CHECK_EQ(p->size, want->size);
	return 0;
}

static int ctx_setparam(uint64_t param, uint32_t size, uint64_t value)
{
	struct drm_i915_gem_context_param p = {
	    .ctx_id = 1, .size = size, .param = param, .value = value};
	struct drm_i915_gem_context_param want = p;
	struct trip x;

	trip_init(&x);
	mf_guest_map(&x.g, &p, sizeof(p), 1);
	return trip_run(&x, find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_CONTEXT_SETPARAM), &p,
			k_ctx_param, &want);
}

TEST(i915_context_param_refusals)
{
	uint8_t blob[64] = {0};

	CHECK_EQ(ctx_setparam(I915_CONTEXT_PARAM_PRIORITY, 0, 512), 0);
	CHECK_EQ(ctx_setparam(I915_CONTEXT_PARAM_VM, 0, 3), 0);
	CHECK_EQ(ctx_setparam(I915_CONTEXT_PARAM_RECOVERABLE, 0, 0), 0);
	/* pointer params: SSEU with a pointer, ENGINES with a size */
	CHECK_EQ(ctx_setparam(I915_CONTEXT_PARAM_SSEU, 32, MF_U(blob)), -EINVAL);
	CHECK_EQ(ctx_setparam(I915_CONTEXT_PARAM_ENGINES, 24, MF_U(blob)), -EINVAL);
	/* without them the kernel reads nothing */
	CHECK_EQ(ctx_setparam(I915_CONTEXT_PARAM_SSEU, 32, 0), 0);
	CHECK_EQ(ctx_setparam(I915_CONTEXT_PARAM_ENGINES, 0, MF_U(blob)), 0);
}

static int64_t k_ctx_create(struct m_call *c, void *ctx)
{
	struct drm_i915_gem_context_create_ext *a =
	    (struct drm_i915_gem_context_create_ext *)m_call_arg(c);
	struct drm_i915_gem_context_create_ext_setparam *l1, *l2;

	l1 = (void *)(uintptr_t)a->extensions;
	CHECK(l1 && a->extensions != MF_U(ctx));
	CHECK_EQ(l1->param.param, I915_CONTEXT_PARAM_RECOVERABLE);
	l2 = (void *)(uintptr_t)l1->base.next_extension;
	CHECK(l2 != NULL);
	CHECK_EQ(l2->param.param, I915_CONTEXT_PARAM_PRIORITY);
	CHECK_EQ(l2->param.value, 77);
	CHECK_EQ(l2->base.next_extension, 0);
	a->ctx_id = 5;
	return 0;
}

TEST(i915_context_create_ext_setparam_chain)
{
	struct drm_i915_gem_context_create_ext_setparam links[2] = {
	    {.base = {.name = I915_CONTEXT_CREATE_EXT_SETPARAM},
	     .param = {.param = I915_CONTEXT_PARAM_RECOVERABLE}},
	    {.base = {.name = I915_CONTEXT_CREATE_EXT_SETPARAM},
	     .param = {.param = I915_CONTEXT_PARAM_PRIORITY, .value = 77}},
	};
	struct drm_i915_gem_context_create_ext a = {
	    .flags = I915_CONTEXT_CREATE_FLAGS_USE_EXTENSIONS, .extensions = MF_U(links)};
	const struct m_ioctl *d = find(&vdri_drm_i915, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT);
	uint8_t blob[64] = {0};
	struct trip x;

	links[0].base.next_extension = MF_U(&links[1]);
	trip_init(&x);
	mf_guest_map(&x.g, &a, sizeof(a), 1);
	mf_guest_map(&x.g, links, sizeof(links), 0);
	CHECK_EQ(trip_run(&x, d, &a, k_ctx_create, links), 0);
	CHECK_EQ(a.ctx_id, 5);
	CHECK(a.extensions == MF_U(links));
	/* an ENGINES link (value points at engines with their own chain) is refused */
	links[1].param.param = I915_CONTEXT_PARAM_ENGINES;
	links[1].param.size = 24;
	links[1].param.value = MF_U(blob);
	trip_init(&x);
	mf_guest_map(&x.g, &a, sizeof(a), 1);
	mf_guest_map(&x.g, links, sizeof(links), 0);
	CHECK_EQ(trip_run(&x, d, &a, k_never, NULL), -EINVAL);
	/* without USE_EXTENSIONS the kernel ignores extensions: nothing is read */
	a.flags = 0;
	a.extensions = 0x1000; /* not guest memory */
	trip_init(&x);
	mf_guest_map(&x.g, &a, sizeof(a), 1);
	CHECK_EQ(trip_run(&x, d, &a, NULL, NULL), 0);
}

/* ---- msm ------------------------------------------------------------------------------ */

struct msm_guest {
	struct drm_msm_gem_submit_bo bos[2];
	struct drm_msm_gem_submit_reloc relocs[1];
	struct drm_msm_gem_submit_cmd cmds[1];
	struct drm_msm_gem_submit_syncobj syncs[1];
	struct drm_msm_gem_submit s;
};

static void msm_guest_init(struct msm_guest *M, struct trip *x, uint32_t flags)
{
	memset(M, 0, sizeof(*M));
	M->bos[0] = (struct drm_msm_gem_submit_bo){MSM_SUBMIT_BO_READ, 1, 0};
	M->bos[1] = (struct drm_msm_gem_submit_bo){MSM_SUBMIT_BO_WRITE, 2, 0};
	M->relocs[0].submit_offset = 16;
	M->relocs[0].reloc_idx = 1;
	M->cmds[0].type = MSM_SUBMIT_CMD_BUF;
	M->cmds[0].size = 64;
	M->cmds[0].nr_relocs = 1;
	M->cmds[0].relocs = MF_U(M->relocs);
	M->syncs[0].handle = 3;
	M->s.flags = MSM_PIPE_3D0 | flags;
	M->s.nr_bos = 2;
	M->s.nr_cmds = 1;
	M->s.bos = MF_U(M->bos);
	M->s.cmds = MF_U(M->cmds);
	M->s.fence_fd = 7;
	M->s.queueid = 1;
	M->s.syncobj_stride = sizeof(M->syncs[0]);
	mf_guest_map(&x->g, M, sizeof(*M), 1);
}

static int64_t k_msm_submit(struct m_call *c, void *ctx)
{
	struct drm_msm_gem_submit *s = (struct drm_msm_gem_submit *)m_call_arg(c);
	struct drm_msm_gem_submit_bo *bos = (void *)(uintptr_t)s->bos;
	struct drm_msm_gem_submit_cmd *cmds = (void *)(uintptr_t)s->cmds;
	struct drm_msm_gem_submit_reloc *r = (void *)(uintptr_t)cmds[0].relocs;
	struct msm_guest *M = ctx;

	CHECK_EQ(s->fence_fd, 77); /* the in-fence as the backend's fd */
	CHECK(s->bos != MF_U(M->bos) && s->cmds != MF_U(M->cmds));
	CHECK(cmds[0].relocs != MF_U(M->relocs));
	CHECK_EQ(bos[1].handle, 2);
	CHECK_EQ(r[0].reloc_idx, 1);
	bos[0].presumed = 0x1000;
	s->fence = 42;
	return 0;
}

TEST(msm_submit_fence_fd_in)
{
	const struct m_ioctl *d = find(&vdri_drm_msm, DRM_IOCTL_MSM_GEM_SUBMIT);
	struct msm_guest M;
	struct trip x;

	trip_init(&x);
	msm_guest_init(&M, &x, MSM_SUBMIT_FENCE_FD_IN);
	CHECK_EQ(trip_run(&x, d, &M.s, k_msm_submit, &M), 0);
	CHECK_EQ(M.s.fence, 42);
	CHECK_EQ(M.s.fence_fd, 7); /* the guest's own fd back */
	CHECK_EQ(M.bos[0].presumed, 0x1000);
	CHECK(M.s.bos == MF_U(M.bos) && M.s.cmds == MF_U(M.cmds));
	CHECK(M.cmds[0].relocs == MF_U(M.relocs));
	CHECK_EQ(x.g.ncreated, 0);
}

TEST(msm_submit_syncobjs_refused)
{
	const struct m_ioctl *d = find(&vdri_drm_msm, DRM_IOCTL_MSM_GEM_SUBMIT);
	struct msm_guest M;
	struct trip x;

	trip_init(&x);
	msm_guest_init(&M, &x, MSM_SUBMIT_SYNCOBJ_IN);
	M.s.in_syncobjs = MF_U(M.syncs);
	M.s.nr_in_syncobjs = 1;
	CHECK_EQ(trip_run(&x, d, &M.s, k_never, NULL), -EINVAL);
	trip_init(&x);
	msm_guest_init(&M, &x, MSM_SUBMIT_SYNCOBJ_OUT);
	M.s.out_syncobjs = MF_U(M.syncs);
	M.s.nr_out_syncobjs = 1;
	CHECK_EQ(trip_run(&x, d, &M.s, k_never, NULL), -EINVAL);
	/* pointers without their flags are ignored by the kernel, and so by us */
	trip_init(&x);
	msm_guest_init(&M, &x, MSM_SUBMIT_FENCE_FD_IN);
	M.s.in_syncobjs = MF_U(M.syncs);
	M.s.nr_in_syncobjs = 1;
	CHECK_EQ(trip_run(&x, d, &M.s, k_msm_submit, &M), 0);
}

static int64_t k_msm_info(struct m_call *c, void *ctx)
{
	struct drm_msm_gem_info *i = (struct drm_msm_gem_info *)m_call_arg(c);

	if (i->info == MSM_INFO_GET_IOVA) {
		CHECK_EQ(i->len, 0);
		i->value = 0x1234000;
		return 0;
	}
	CHECK_EQ(i->info, MSM_INFO_GET_NAME);
	CHECK(i->value != MF_U(ctx));
	memcpy((char *)(uintptr_t)i->value, "vbo", 3);
	i->len = 3;
	return 0;
}

TEST(msm_gem_info_value_by_selector)
{
	const struct m_ioctl *d = find(&vdri_drm_msm, DRM_IOCTL_MSM_GEM_INFO);
	char name[32] = "";
	struct drm_msm_gem_info i = {
	    .handle = 1, .info = MSM_INFO_GET_NAME, .value = MF_U(name), .len = sizeof(name)};
	struct trip x;

	trip_init(&x);
	mf_guest_map(&x.g, &i, sizeof(i), 1);
	mf_guest_map(&x.g, name, sizeof(name), 1);
	CHECK_EQ(trip_run(&x, d, &i, k_msm_info, name), 0);
	CHECK_STREQ(name, "vbo");
	CHECK_EQ(i.len, 3);
	CHECK(i.value == MF_U(name));
	/* GET_IOVA: value is the kernel's answer, not a pointer */
	i = (struct drm_msm_gem_info){.handle = 1, .info = MSM_INFO_GET_IOVA, .value = 0x55};
	trip_init(&x);
	mf_guest_map(&x.g, &i, sizeof(i), 1);
	CHECK_EQ(trip_run(&x, d, &i, k_msm_info, NULL), 0);
	CHECK_EQ(i.value, 0x1234000);
}

/* ---- amdgpu --------------------------------------------------------------------------- */

static int64_t k_amdgpu_info(struct m_call *c, void *ctx)
{
	struct drm_amdgpu_info *i = (struct drm_amdgpu_info *)m_call_arg(c);

	CHECK_EQ(i->query, AMDGPU_INFO_DEV_INFO);
	CHECK(i->return_pointer != MF_U(ctx));
	memcpy((void *)(uintptr_t)i->return_pointer, "dev-info-bytes!", 16);
	return 0;
}

TEST(amdgpu_info_return_buffer)
{
	const struct m_ioctl *d = find(&vdri_drm_amdgpu, DRM_IOCTL_AMDGPU_INFO);
	char out[16] = "";
	struct drm_amdgpu_info i = {
	    .return_pointer = MF_U(out), .return_size = sizeof(out), .query = AMDGPU_INFO_DEV_INFO};
	struct trip x;

	trip_init(&x);
	mf_guest_map(&x.g, &i, sizeof(i), 0); /* IOW: never written */
	mf_guest_map(&x.g, out, sizeof(out), 1);
	CHECK_EQ(trip_run(&x, d, &i, k_amdgpu_info, out), 0);
	CHECK_STREQ(out, "dev-info-bytes!");
	/* above the max: refused before the call */
	i.return_size = d->fields[0].max + 1;
	trip_init(&x);
	mf_guest_map(&x.g, &i, sizeof(i), 0);
	CHECK_EQ(trip_run(&x, d, &i, k_never, NULL), -EINVAL);
}

static int64_t k_fence_to_handle(struct m_call *c, void *ctx)
{
	union drm_amdgpu_fence_to_handle *f = (union drm_amdgpu_fence_to_handle *)m_call_arg(c);

	CHECK_EQ(f->in.what, AMDGPU_FENCE_TO_HANDLE_GET_SYNCOBJ);
	CHECK_EQ(f->in.fence.ctx_id, 1);
	CHECK_EQ(f->in.fence.seq_no, 9);
	f->out.handle = 12;
	return 0;
}

TEST(amdgpu_fence_to_handle_fds_refused)
{
	const struct m_ioctl *d = find(&vdri_drm_amdgpu, DRM_IOCTL_AMDGPU_FENCE_TO_HANDLE);
	union drm_amdgpu_fence_to_handle f = {.in = {.fence = {.ctx_id = 1, .seq_no = 9},
						     .what = AMDGPU_FENCE_TO_HANDLE_GET_SYNCOBJ}};
	struct trip x;

	trip_init(&x);
	mf_guest_map(&x.g, &f, sizeof(f), 1);
	CHECK_EQ(trip_run(&x, d, &f, k_fence_to_handle, NULL), 0);
	CHECK_EQ(f.out.handle, 12);
	/* fd results would come back over in.fence.ctx_id: refused */
	f.in.fence.ctx_id = 1;
	f.in.what = AMDGPU_FENCE_TO_HANDLE_GET_SYNC_FILE_FD;
	trip_init(&x);
	mf_guest_map(&x.g, &f, sizeof(f), 1);
	CHECK_EQ(trip_run(&x, d, &f, k_never, NULL), -EINVAL);
	f.in.what = AMDGPU_FENCE_TO_HANDLE_GET_SYNCOBJ_FD;
	trip_init(&x);
	mf_guest_map(&x.g, &f, sizeof(f), 1);
	CHECK_EQ(trip_run(&x, d, &f, k_never, NULL), -EINVAL);
}

static int64_t k_sched(struct m_call *c, void *ctx)
{
	union drm_amdgpu_sched *s = (union drm_amdgpu_sched *)m_call_arg(c);

	CHECK_EQ(s->in.fd, 77);
	return 0;
}

TEST(amdgpu_sched_fd_in)
{
	union drm_amdgpu_sched s = {
	    .in = {.op = AMDGPU_SCHED_OP_PROCESS_PRIORITY_OVERRIDE, .fd = 7, .priority = 512}};
	struct trip x;

	trip_init(&x);
	mf_guest_map(&x.g, &s, sizeof(s), 0);
	CHECK_EQ(trip_run(&x, find(&vdri_drm_amdgpu, DRM_IOCTL_AMDGPU_SCHED), &s, k_sched, NULL),
		 0);
}

/* ---- xe --------------------------------------------------------------------------------- */

struct xe_guest {
	struct drm_xe_vm_bind_op ops[2];
	struct drm_xe_sync syncs[1];
	struct drm_xe_vm_bind b;
};

static void xe_guest_init(struct xe_guest *X, struct trip *x)
{
	memset(X, 0, sizeof(*X));
	X->ops[0] = (struct drm_xe_vm_bind_op){
	    .obj = 5, .range = 0x10000, .addr = 0x100000, .op = DRM_XE_VM_BIND_OP_MAP};
	X->ops[1] = (struct drm_xe_vm_bind_op){
	    .obj = 6, .range = 0x10000, .addr = 0x200000, .op = DRM_XE_VM_BIND_OP_MAP};
	X->syncs[0] = (struct drm_xe_sync){
	    .type = DRM_XE_SYNC_TYPE_SYNCOBJ, .flags = DRM_XE_SYNC_FLAG_SIGNAL, .handle = 4};
	X->b.vm_id = 1;
	X->b.num_binds = 2;
	X->b.vector_of_binds = MF_U(X->ops);
	X->b.num_syncs = 1;
	X->b.syncs = MF_U(X->syncs);
	mf_guest_map(&x->g, X, sizeof(*X), 0);
}

static int64_t k_xe_bind(struct m_call *c, void *ctx)
{
	struct drm_xe_vm_bind *b = (struct drm_xe_vm_bind *)m_call_arg(c);
	struct xe_guest *X = ctx;

	if (b->num_binds > 1) {
		struct drm_xe_vm_bind_op *ops = (void *)(uintptr_t)b->vector_of_binds;

		CHECK(b->vector_of_binds != MF_U(X->ops));
		CHECK_EQ(ops[1].obj, 6);
	} else {
		CHECK_EQ(b->bind.extensions, 0);
		CHECK_EQ(b->bind.obj, 5);
	}
	CHECK(b->syncs != MF_U(X->syncs));
	CHECK_EQ(((struct drm_xe_sync *)(uintptr_t)b->syncs)[0].handle, 4);
	return 0;
}

TEST(xe_vm_bind_vector_and_refusals)
{
	const struct m_ioctl *d = find(&vdri_drm_xe, DRM_IOCTL_XE_VM_BIND);
	struct xe_guest X;
	struct trip x;

	trip_init(&x);
	xe_guest_init(&X, &x);
	CHECK_EQ(trip_run(&x, d, &X.b, k_xe_bind, &X), 0);
	/* the inline op */
	trip_init(&x);
	xe_guest_init(&X, &x);
	X.b.num_binds = 1;
	X.b.bind = X.ops[0];
	CHECK_EQ(trip_run(&x, d, &X.b, k_xe_bind, &X), 0);
	/* binding the caller's memory: refused, inline or in the vector */
	X.b.bind.op = DRM_XE_VM_BIND_OP_MAP_USERPTR;
	X.b.bind.userptr = 0x7f0000000000ull;
	trip_init(&x);
	mf_guest_map(&x.g, &X, sizeof(X), 0);
	CHECK_EQ(trip_run(&x, d, &X.b, k_never, NULL), -EINVAL);
	trip_init(&x);
	xe_guest_init(&X, &x);
	X.ops[1].op = DRM_XE_VM_BIND_OP_MAP_USERPTR;
	CHECK_EQ(trip_run(&x, d, &X.b, k_never, NULL), -EINVAL);
	/* a user fence in VM_BIND is a CPU address the kernel writes later: refused */
	trip_init(&x);
	xe_guest_init(&X, &x);
	X.syncs[0].type = DRM_XE_SYNC_TYPE_USER_FENCE;
	X.syncs[0].addr = 0x7f0000001000ull;
	CHECK_EQ(trip_run(&x, d, &X.b, k_never, NULL), -EINVAL);
}

static int64_t k_xe_exec(struct m_call *c, void *ctx)
{
	struct drm_xe_exec *e = (struct drm_xe_exec *)m_call_arg(c);
	struct drm_xe_sync *s = (void *)(uintptr_t)e->syncs;

	CHECK_EQ(e->address, 0x1a0000); /* a GPU address: as it is */
	CHECK_EQ(s[0].type, DRM_XE_SYNC_TYPE_USER_FENCE);
	CHECK_EQ(s[0].addr, 0x3000); /* for EXEC a GPU address too */
	return 0;
}

TEST(xe_exec_user_fence_is_a_gpu_address)
{
	struct drm_xe_sync syncs[1] = {{.type = DRM_XE_SYNC_TYPE_USER_FENCE,
					.flags = DRM_XE_SYNC_FLAG_SIGNAL,
					.addr = 0x3000,
					.timeline_value = 1}};
	struct drm_xe_exec e = {.exec_queue_id = 1,
				.num_syncs = 1,
				.syncs = MF_U(syncs),
				.address = 0x1a0000,
				.num_batch_buffer = 1};
	struct trip x;

	trip_init(&x);
	mf_guest_map(&x.g, &e, sizeof(e), 0);
	mf_guest_map(&x.g, syncs, sizeof(syncs), 0);
	CHECK_EQ(trip_run(&x, find(&vdri_drm_xe, DRM_IOCTL_XE_EXEC), &e, k_xe_exec, NULL), 0);
}

/* ---- nouveau, panfrost ------------------------------------------------------------------ */

static int64_t k_pushbuf(struct m_call *c, void *ctx)
{
	struct drm_nouveau_gem_pushbuf *p = (struct drm_nouveau_gem_pushbuf *)m_call_arg(c);
	struct drm_nouveau_gem_pushbuf_bo *bo = (void *)(uintptr_t)p->buffers;
	struct drm_nouveau_gem_pushbuf_push *push = (void *)(uintptr_t)p->push;

	CHECK_EQ(p->nr_buffers, 2);
	CHECK_EQ(push[0].length, 256);
	bo[1].presumed.offset = 0x40000; /* placement written back */
	bo[1].presumed.valid = 0;
	p->vram_available = 1 << 30;
	return 0;
}

TEST(nouveau_pushbuf_arrays)
{
	struct drm_nouveau_gem_pushbuf_bo bos[2] = {{.handle = 1}, {.handle = 2}};
	struct drm_nouveau_gem_pushbuf_push push[1] = {{.bo_index = 0, .offset = 0, .length = 256}};
	struct drm_nouveau_gem_pushbuf p = {
	    .channel = 1, .nr_buffers = 2, .buffers = MF_U(bos), .nr_push = 1, .push = MF_U(push)};
	struct trip x;

	trip_init(&x);
	mf_guest_map(&x.g, &p, sizeof(p), 1);
	mf_guest_map(&x.g, bos, sizeof(bos), 1);
	mf_guest_map(&x.g, push, sizeof(push), 0);
	CHECK_EQ(trip_run(&x, find(&vdri_drm_nouveau, DRM_IOCTL_NOUVEAU_GEM_PUSHBUF), &p, k_pushbuf,
			  NULL),
		 0);
	CHECK_EQ(bos[1].presumed.offset, 0x40000);
	CHECK_EQ(p.vram_available, 1 << 30);
	CHECK(p.buffers == MF_U(bos));
	/* above the kernel's own limit */
	p.nr_push = NOUVEAU_GEM_MAX_PUSH + 1;
	trip_init(&x);
	mf_guest_map(&x.g, &p, sizeof(p), 1);
	mf_guest_map(&x.g, bos, sizeof(bos), 1);
	CHECK_EQ(
	    trip_run(&x, find(&vdri_drm_nouveau, DRM_IOCTL_NOUVEAU_GEM_PUSHBUF), &p, k_never, NULL),
	    -EINVAL);
}

static int64_t guest_now(void *ctx)
{
	return 1000000000000; /* 1000 s */
}

static int64_t back_now(void *ctx)
{
	return 5000000000000; /* 5000 s */
}

static int64_t k_wait_bo(struct m_call *c, void *ctx)
{
	struct drm_panfrost_wait_bo *w = (struct drm_panfrost_wait_bo *)m_call_arg(c);

	CHECK_EQ(w->timeout_ns, 5002000000000); /* 2 s from the driver VM's now */
	return 0;
}

TEST(panfrost_wait_bo_deadline_crosses_clocks)
{
	struct drm_panfrost_wait_bo w = {.handle = 1, .timeout_ns = 1002000000000};
	struct trip x;

	trip_init(&x);
	x.g.acc.now_ns = guest_now;
	x.b.ops.now_ns = back_now;
	mf_guest_map(&x.g, &w, sizeof(w), 0);
	CHECK_EQ(
	    trip_run(&x, find(&vdri_drm_panfrost, DRM_IOCTL_PANFROST_WAIT_BO), &w, k_wait_bo, NULL),
	    0);
}
