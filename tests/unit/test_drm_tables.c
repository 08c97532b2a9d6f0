/* SPDX-License-Identifier: MIT */
/*
 * test_drm_tables.c - the DRM class tables: every table passes the
 * engine's checks, the class covers major 226 and finds drivers by name,
 * and the shapes that need more than the ioctl number survive a round
 * trip: strings out (VERSION), count-then-fill arrays (GETCONNECTOR),
 * summed counts (ATOMIC), deadlines made relative and restored
 * (SYNCOBJ_WAIT), fds in and out (PRIME, syncobj, virtio_gpu fences).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <drm.h>
#include <drm_mode.h>

#include "core/drm/drm_class.h"
#include "core/drm/uapi/virtgpu_drm.h"
#include "marshal_fake.h"
#include "runner.h"

static const struct vdri_class *drm(void)
{
	return vdri_class_for_rdev(makedev(226, 128));
}

TEST(class_covers_major_226)
{
	CHECK(drm() == &vdri_class_drm);
	CHECK(vdri_class_for_rdev(makedev(226, 0)) == &vdri_class_drm);
	CHECK(vdri_class_for_rdev(makedev(225, 0)) != &vdri_class_drm);
	CHECK(vdri_class_by_name("drm") == &vdri_class_drm);
}

TEST(every_table_checks)
{
	const struct vdri_driver *const *d;
	const char *entry, *why;
	uint32_t i, n = 0;

	for (i = 0; i < vdri_class_drm.ntables; i++) {
		if (m_table_check_reason(vdri_class_drm.tables[i], &entry, &why))
			FAILF("%s: %s", entry, why);
		n += vdri_class_drm.tables[i]->count;
	}
	if (m_table_check_reason(vdri_class_drm.variants, &entry, &why))
		FAILF("variants/%s: %s", entry, why);
	CHECK(vdri_class_variant(&vdri_class_drm, DRM_IOCTL_MODE_ATOMIC) != NULL);
	CHECK(vdri_class_variant(&vdri_class_drm, DRM_IOCTL_MODE_ATOMIC)->flags & M_F_VARIANT);
	CHECK(vdri_class_variant(&vdri_class_drm, DRM_IOCTL_MODE_GETRESOURCES) == NULL);
	for (d = vdri_class_drm.drivers; *d; d++) {
		if (m_table_check_reason((*d)->table, &entry, &why))
			FAILF("%s/%s: %s", (*d)->name, entry, why);
		n += (*d)->table->count;
	}
	CHECK(n >= 70);
}

TEST(drivers_by_name)
{
	const struct vdri_driver *vg = vdri_class_driver(&vdri_class_drm, "virtio_gpu");

	CHECK(vg == &vdri_drm_virtio_gpu);
	CHECK(vdri_class_driver(&vdri_class_drm, "vgem") == &vdri_drm_vgem);
	CHECK(vdri_class_driver(&vdri_class_drm, "virtio") == NULL);
	/* driver range first, core and KMS for the rest */
	CHECK(vdri_class_lookup(&vdri_class_drm, vg, DRM_IOCTL_VIRTGPU_EXECBUFFER) != NULL);
	CHECK(vdri_class_lookup(&vdri_class_drm, NULL, DRM_IOCTL_VIRTGPU_EXECBUFFER) == NULL);
	CHECK(vdri_class_lookup(&vdri_class_drm, vg, DRM_IOCTL_MODE_ATOMIC) != NULL);
}

static const struct m_ioctl *desc(const struct vdri_driver *drv, uint32_t cmd)
{
	const struct m_ioctl *d = vdri_class_lookup(&vdri_class_drm, drv, cmd);

	CHECK(d != NULL);
	return d;
}

/* ---- VERSION: three strings out, lengths written back ------------------------ */

static int64_t k_version(struct m_call *c, void *ctx)
{
	struct drm_version *v = (struct drm_version *)m_call_arg(c);

	CHECK_EQ(v->name_len, 16);
	memcpy(v->name, "virtio_gpu", 10);
	v->name_len = 10;
	v->date_len = 8; /* a query: no buffer */
	v->version_major = 0;
	v->version_minor = 1;
	return 0;
}

TEST(version_strings_out)
{
	char name[16] = "";
	struct drm_version v = {.name_len = sizeof(name), .name = name};
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, &v, sizeof(v), 1);
	mf_guest_map(&g, name, sizeof(name), 1);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(desc(NULL, DRM_IOCTL_VERSION), DRM_IOCTL_VERSION, MF_U(&v), &g, &b,
			       k_version, NULL, &t),
		 0);
	CHECK_EQ(v.name_len, 10);
	CHECK(!memcmp(name, "virtio_gpu", 10));
	CHECK(v.name == name); /* the guest's pointer, not the backend's */
	CHECK_EQ(v.date_len, 8);
	CHECK_EQ(v.version_minor, 1);
	mf_trip_fini(&t);
}

/* ---- ATOMIC: arrays as long as the summed counts ------------------------------ */

static int64_t k_atomic(struct m_call *c, void *ctx)
{
	struct drm_mode_atomic *a = (struct drm_mode_atomic *)m_call_arg(c);
	const uint32_t *props = (const uint32_t *)(uintptr_t)a->props_ptr;
	const uint64_t *vals = (const uint64_t *)(uintptr_t)a->prop_values_ptr;

	CHECK_EQ(a->count_objs, 2);
	CHECK(props[0] == 10 && props[4] == 14 && vals[4] == 104);
	return 0;
}

/* A guest atomic commit: its struct and arrays made visible to the engine. */
struct atomic_guest {
	uint32_t objs[8], counts[8], props[16];
	uint64_t vals[16];
	struct drm_mode_atomic a;
};

static void atomic_guest_map(struct atomic_guest *x, uint32_t nobj, uint32_t nprop,
			     struct mf_guest *g)
{
	x->a = (struct drm_mode_atomic){.count_objs = nobj,
					.objs_ptr = MF_U(x->objs),
					.count_props_ptr = MF_U(x->counts),
					.props_ptr = MF_U(x->props),
					.prop_values_ptr = MF_U(x->vals)};
	mf_guest_init(g);
	mf_guest_map(g, &x->a, sizeof(x->a), 1);
	mf_guest_map(g, x->objs, nobj * sizeof(uint32_t), 0);
	mf_guest_map(g, x->counts, nobj * sizeof(uint32_t), 0);
	mf_guest_map(g, x->props, nprop * sizeof(uint32_t), 0);
	mf_guest_map(g, x->vals, nprop * sizeof(uint64_t), 1);
}

TEST(atomic_summed_counts)
{
	static const uint32_t props[5] = {10, 11, 12, 13, 14};
	struct atomic_guest x = {.objs = {31, 32}, .counts = {3, 2}};
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	memcpy(x.props, props, sizeof(props));
	for (int i = 0; i < 5; i++)
		x.vals[i] = 100u + (uint64_t)i;
	atomic_guest_map(&x, 2, 5, &g);
	mf_back_init(&b);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(desc(NULL, DRM_IOCTL_MODE_ATOMIC), DRM_IOCTL_MODE_ATOMIC, MF_U(&x.a),
			       &g, &b, k_atomic, NULL, &t),
		 0);
	mf_trip_fini(&t);
	/* a sum past the bound is refused before anything is allocated */
	x.counts[0] = 0x7fffffffu;
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(desc(NULL, DRM_IOCTL_MODE_ATOMIC), DRM_IOCTL_MODE_ATOMIC, MF_U(&x.a),
			       &g, &b, k_atomic, NULL, &t),
		 -EINVAL);
	CHECK(t.front.biggest < 4096);
	mf_trip_fini(&t);
}

/* ---- SYNCOBJ_WAIT: the deadline crosses clocks --------------------------------- */

static int64_t guest_now(void *ctx)
{
	return 1000000000000; /* the guest's clock: 1000 s */
}

static int64_t back_now(void *ctx)
{
	return 5000000000; /* the driver VM booted 5 s ago */
}

static int64_t k_wait(struct m_call *c, void *ctx)
{
	struct drm_syncobj_wait *w = (struct drm_syncobj_wait *)m_call_arg(c);
	int64_t *seen = ctx;

	*seen = w->timeout_nsec;
	w->first_signaled = 1;
	return 0;
}

static int64_t wait_once(int64_t deadline, int64_t *guest_after)
{
	uint32_t handles[2] = {1, 2};
	struct drm_syncobj_wait w = {
	    .handles = MF_U(handles), .count_handles = 2, .timeout_nsec = deadline};
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;
	int64_t seen = -1;

	mf_guest_init(&g);
	mf_back_init(&b);
	g.acc.now_ns = guest_now;
	b.ops.now_ns = back_now;
	mf_guest_map(&g, &w, sizeof(w), 1);
	mf_guest_map(&g, handles, sizeof(handles), 0);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(desc(NULL, DRM_IOCTL_SYNCOBJ_WAIT), DRM_IOCTL_SYNCOBJ_WAIT, MF_U(&w),
			       &g, &b, k_wait, &seen, &t),
		 0);
	CHECK_EQ(w.first_signaled, 1);
	*guest_after = w.timeout_nsec;
	mf_trip_fini(&t);
	return seen;
}

TEST(syncobj_wait_deadline_crosses_clocks)
{
	int64_t after;

	/* 2 s from the guest's now is 2 s from the driver VM's now */
	CHECK_EQ(wait_once(1002000000000, &after), 7000000000);
	CHECK_EQ(after, 1002000000000); /* the guest's value, untouched */
	/* past deadlines and 0 mean "check once" on both sides */
	CHECK_EQ(wait_once(999000000000, &after), 0);
	CHECK_EQ(wait_once(0, &after), 0);
	/* forever stays forever */
	CHECK_EQ(wait_once(INT64_MAX, &after), INT64_MAX);
	CHECK_EQ(after, INT64_MAX);
}

/* ---- fds: PRIME export out, virtio_gpu fences in and out ---------------------- */

static int64_t k_prime_export(struct m_call *c, void *ctx)
{
	struct drm_prime_handle *p = (struct drm_prime_handle *)m_call_arg(c);

	CHECK_EQ(p->handle, 3);
	p->fd = 42; /* the backend's new dma-buf fd */
	return 0;
}

TEST(prime_export_gives_a_forwarded_fd)
{
	struct drm_prime_handle p = {.handle = 3, .flags = DRM_CLOEXEC, .fd = -1};
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, &p, sizeof(p), 1);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(desc(NULL, DRM_IOCTL_PRIME_HANDLE_TO_FD),
			       DRM_IOCTL_PRIME_HANDLE_TO_FD, MF_U(&p), &g, &b, k_prime_export, NULL,
			       &t),
		 0);
	CHECK_EQ(b.nregistered, 1);
	CHECK_EQ(b.registered[0], 42);
	CHECK_EQ(g.ncreated, 1);
	CHECK_EQ(p.fd, g.created[0]);
	mf_trip_fini(&t);
}

static int64_t k_exec(struct m_call *c, void *ctx)
{
	struct drm_virtgpu_execbuffer *e = (struct drm_virtgpu_execbuffer *)m_call_arg(c);
	const uint8_t *cmd = (const uint8_t *)(uintptr_t)e->command;

	CHECK_EQ(e->size, 8);
	CHECK_EQ(cmd[7], 0x77);
	CHECK_EQ(e->fence_fd, 77); /* the in-fence as the backend's fd */
	e->fence_fd = 88;
	return 0;
}

TEST(virtio_execbuffer_fences_in_and_out)
{
	uint8_t cmd[8] = {0, 0, 0, 0, 0, 0, 0, 0x77};
	uint32_t bos[1] = {5};
	struct drm_virtgpu_execbuffer e = {.flags = VIRTGPU_EXECBUF_FENCE_FD_IN |
						    VIRTGPU_EXECBUF_FENCE_FD_OUT,
					   .size = 8,
					   .command = MF_U(cmd),
					   .bo_handles = MF_U(bos),
					   .num_bo_handles = 1,
					   .fence_fd = 7};
	const struct m_ioctl *d = desc(&vdri_drm_virtio_gpu, DRM_IOCTL_VIRTGPU_EXECBUFFER);
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;

	CHECK(d->flags & M_F_PUBLISH);
	mf_guest_init(&g);
	mf_back_init(&b);
	mf_guest_map(&g, &e, sizeof(e), 1);
	mf_guest_map(&g, cmd, sizeof(cmd), 0);
	mf_guest_map(&g, bos, sizeof(bos), 0);
	mf_guest_add_fd(&g, 7, 70);
	mf_back_add(&b, 70, 77);
	mf_trip_init(&t);
	CHECK_EQ(mf_round_trip(d, DRM_IOCTL_VIRTGPU_EXECBUFFER, MF_U(&e), &g, &b, k_exec, NULL, &t),
		 0);
	CHECK_EQ(g.ncreated, 1);
	CHECK_EQ(e.fence_fd, g.created[0]);
	mf_trip_fini(&t);
}

TEST(coherence_points_where_expected)
{
	const struct vdri_driver *vg = &vdri_drm_virtio_gpu;

	CHECK(desc(vg, DRM_IOCTL_VIRTGPU_WAIT)->flags & M_F_REFRESH);
	CHECK(desc(vg, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST)->flags & M_F_PUBLISH);
	CHECK(desc(NULL, DRM_IOCTL_MODE_PAGE_FLIP)->flags & M_F_PUBLISH);
	CHECK(desc(NULL, DRM_IOCTL_SYNCOBJ_WAIT)->flags & M_F_REFRESH);
	CHECK(!(desc(NULL, DRM_IOCTL_MODE_GETRESOURCES)->flags & (M_F_PUBLISH | M_F_REFRESH)));
	CHECK(vdri_class_drm.flags & VDRI_CLASS_SYNC_BY_DESC);
}

/* The fenced ATOMIC variant: the flag travels, the values come back, a mismatch is refused. */
static int64_t k_atomic_fenced(struct m_call *c, void *ctx)
{
	struct drm_mode_atomic *a = (struct drm_mode_atomic *)m_call_arg(c);
	uint64_t *vals = (uint64_t *)(uintptr_t)a->prop_values_ptr;

	CHECK_EQ(vals[0], 1); /* the frontend's mark */
	vals[0] = 42;	      /* the backend's handle of the new out-fence */
	return 0;
}

TEST(atomic_fenced_variant)
{
	const struct m_ioctl *v = vdri_class_variant(&vdri_class_drm, DRM_IOCTL_MODE_ATOMIC);
	struct atomic_guest x = {.objs = {31}, .counts = {1}, .props = {7}, .vals = {1}};
	struct mf_guest g;
	struct mf_back b;
	struct mf_trip t;
	uint8_t *payload;
	uint32_t len;
	struct m_plan plan;
	struct m_call *c = NULL;

	atomic_guest_map(&x, 1, 1, &g);
	mf_back_init(&b);
	mf_trip_init(&t);
	CHECK_EQ(
	    mf_round_trip(v, DRM_IOCTL_MODE_ATOMIC, MF_U(&x.a), &g, &b, k_atomic_fenced, NULL, &t),
	    0);
	CHECK_EQ(x.vals[0], 42);
	mf_trip_fini(&t);
	/* a variant request decoded with the plain descriptor is refused */
	mf_trip_init(&t);
	plan = (struct m_plan){.alloc = &t.front.a};
	CHECK_EQ(mf_encode(v, DRM_IOCTL_MODE_ATOMIC, MF_U(&x.a), &g, &t.lim, &t.front, &payload,
			   &len, &plan),
		 0);
	CHECK_EQ(m_decode_request(vdri_class_lookup(&vdri_class_drm, NULL, DRM_IOCTL_MODE_ATOMIC),
				  payload, len, &t.lim, &t.back.a, &b.ops, &c),
		 -EINVAL);
	free(payload);
	m_plan_fini(&plan);
	mf_trip_fini(&t);
}
