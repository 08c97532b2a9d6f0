/* SPDX-License-Identifier: MIT */
/*
 * test_drm_res.c - the buffer book and the shared partition accounting
 * (isolation/drm_res.h, account.h): creates, frees, exports, imports,
 * names, offsets, framebuffers and mappings, replayed as drm-back replays
 * them around real ioctls (the arguments filled as the kernel fills them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm.h>
#include <drm_mode.h>

#include "core/drm/uapi/virtgpu_drm.h"
#include "isolation/drm_res.h"
#include "runner.h"

#define MIB (1ull << 20)

struct fixture {
	struct iso_acct *a;
	int gi, si;
	struct iso_res *r;
};

static void setup(struct fixture *f, uint64_t sys_limit, enum iso_flink flink)
{
	struct iso_guest g;

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "a");
	g.mem[ISO_DOM_SYSTEM] = sys_limit;
	g.mem[ISO_DOM_VRAM] = 0;
	g.role = ISO_ROLE_RENDER;
	f->a = iso_acct_create();
	CHECK(f->a != NULL);
	f->gi = iso_acct_guest(f->a, &g);
	CHECK(f->gi >= 0);
	f->si = iso_acct_session_start(f->a, f->gi, 0x1234, 1, "test");
	CHECK(f->si >= 0);
	f->r = iso_res_new(f->a, f->si, flink);
	CHECK(f->r != NULL);
}

static void teardown(struct fixture *f)
{
	uint64_t left[ISO_DOM_N];

	iso_res_free(f->r);
	CHECK_EQ(iso_acct_used(f->a, f->gi, ISO_DOM_SYSTEM), 0);
	iso_acct_session_end(f->a, f->si, left);
	CHECK_EQ(left[ISO_DOM_SYSTEM], 0);
	iso_acct_destroy(f->a);
}

/* A dumb create of mib MiB on file, as the kernel answers it (handle h). */
static int dumb(struct fixture *f, uint64_t file, uint32_t mib, uint32_t h)
{
	struct drm_mode_create_dumb c = {.height = mib * 256, .width = 1024, .bpp = 32};
	struct iso_res_call rc;
	const char *why = NULL;
	int r = iso_res_pre(f->r, "vgem", file, DRM_IOCTL_MODE_CREATE_DUMB, &c, NULL, &rc, &why);

	if (r)
		return r;
	c.handle = h;
	c.pitch = 4096;
	c.size = (uint64_t)mib * MIB;
	iso_res_post(f->r, &rc, &c, 0, 0, 0);
	return 0;
}

static void call(struct fixture *f, uint64_t file, uint32_t cmd, void *arg, int64_t res,
		 uint64_t new_file, uint64_t ino, int want_pre)
{
	struct iso_res_call rc;
	const char *why = NULL;

	CHECK_EQ(iso_res_pre(f->r, "vgem", file, cmd, arg, NULL, &rc, &why), want_pre);
	if (!want_pre)
		iso_res_post(f->r, &rc, arg, res, new_file, ino);
}

static void gem_close(struct fixture *f, uint64_t file, uint32_t h)
{
	struct drm_gem_close c = {.handle = h};

	call(f, file, DRM_IOCTL_GEM_CLOSE, &c, 0, 0, 0, 0);
}

static uint64_t used(struct fixture *f)
{
	return iso_acct_used(f->a, f->gi, ISO_DOM_SYSTEM);
}

TEST(rules_are_inside_their_arguments)
{
	const char *why = iso_res_rules_check();

	if (why)
		FAILF("%s", why);
	CHECK(iso_res_has_rule("vgem", DRM_IOCTL_MODE_CREATE_DUMB));
	CHECK(!iso_res_has_rule("vgem", DRM_IOCTL_VERSION));
}

TEST(partition_full_then_free)
{
	struct fixture f;

	setup(&f, 3 * MIB, ISO_FLINK_OWN);
	CHECK_EQ(dumb(&f, 1, 1, 1), 0);
	CHECK_EQ(dumb(&f, 1, 1, 2), 0);
	CHECK_EQ(dumb(&f, 1, 1, 3), 0);
	CHECK_EQ(used(&f), 3 * MIB);
	CHECK_EQ(dumb(&f, 1, 1, 4), -ENOMEM);
	CHECK_EQ(used(&f), 3 * MIB);
	gem_close(&f, 1, 2);
	CHECK_EQ(used(&f), 2 * MIB);
	CHECK_EQ(dumb(&f, 1, 1, 5), 0);
	/* a failed create gives its reservation back */
	{
		struct drm_mode_create_dumb c = {.height = 256, .width = 1024, .bpp = 32};

		struct iso_res_call rc;
		const char *why;

		gem_close(&f, 1, 5);
		CHECK_EQ(
		    iso_res_pre(f.r, "vgem", 1, DRM_IOCTL_MODE_CREATE_DUMB, &c, NULL, &rc, &why),
		    0);
		CHECK_EQ(used(&f), 3 * MIB);
		iso_res_post(f.r, &rc, &c, -EINVAL, 0, 0);
		CHECK_EQ(used(&f), 2 * MIB);
	}
	/* closing the file frees its handles */
	iso_res_file_gone(f.r, 1);
	CHECK_EQ(used(&f), 0);
	teardown(&f);
}

TEST(huge_create_refused_before_the_driver)
{
	struct fixture f;
	struct drm_mode_create_dumb c = {.height = 0xffffffff, .width = 0xffffffff, .bpp = 32};
	struct iso_res_call rc;
	const char *why = NULL;

	setup(&f, 64 * MIB, ISO_FLINK_OWN);
	CHECK_EQ(iso_res_pre(f.r, "vgem", 1, DRM_IOCTL_MODE_CREATE_DUMB, &c, NULL, &rc, &why),
		 -ENOMEM);
	CHECK(why && strstr(why, "partition"));
	CHECK_EQ(used(&f), 0);
	teardown(&f);
}

TEST(export_keeps_memory_after_handle_close)
{
	struct fixture f;
	struct drm_prime_handle p = {.handle = 7, .flags = DRM_CLOEXEC};

	setup(&f, 8 * MIB, ISO_FLINK_OWN);
	CHECK_EQ(dumb(&f, 1, 2, 7), 0);
	p.fd = 3;
	call(&f, 1, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p, 0, 100, 555, 0);
	gem_close(&f, 1, 7);
	CHECK_EQ(used(&f), 2 * MIB); /* the dma-buf file holds it */
	iso_res_file_gone(f.r, 100);
	CHECK_EQ(used(&f), 0);
	teardown(&f);
}

static int info_ino(void *ctx, int fd, uint64_t *ino, uint64_t *size)
{
	*ino = (uint64_t)fd == 3 ? 555 : 777;
	*size = 3 * MIB;
	return 0;
}

TEST(import_own_dmabuf_is_not_counted_twice)
{
	struct fixture f;
	struct drm_prime_handle p = {.handle = 7};
	struct iso_res_ops ops = {info_ino, NULL};
	struct iso_res_call rc;
	const char *why;

	setup(&f, 8 * MIB, ISO_FLINK_OWN);
	CHECK_EQ(dumb(&f, 1, 2, 7), 0);
	call(&f, 1, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p, 0, 100, 555, 0);
	/* into a second file: the same object */
	p.fd = 3;
	CHECK_EQ(iso_res_pre(f.r, "vgem", 2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p, &ops, &rc, &why), 0);
	p.handle = 1;
	iso_res_post(f.r, &rc, &p, 0, 0, 0);
	CHECK_EQ(used(&f), 2 * MIB);
	/* back into the first file: the kernel returns handle 7 again */
	p.fd = 3;
	CHECK_EQ(iso_res_pre(f.r, "vgem", 1, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p, &ops, &rc, &why), 0);
	p.handle = 7;
	iso_res_post(f.r, &rc, &p, 0, 0, 0);
	gem_close(&f, 1, 7);
	iso_res_file_gone(f.r, 100);
	CHECK_EQ(used(&f), 2 * MIB); /* file 2's handle */
	gem_close(&f, 2, 1);
	CHECK_EQ(used(&f), 0);
	/* a dma-buf the guest did not make is counted at its size, and refused past the partition
	 */
	p.fd = 9;
	CHECK_EQ(iso_res_pre(f.r, "vgem", 1, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p, &ops, &rc, &why), 0);
	p.handle = 4;
	iso_res_post(f.r, &rc, &p, 0, 0, 0);
	CHECK_EQ(used(&f), 3 * MIB);
	CHECK_EQ(dumb(&f, 1, 4, 5), 0);
	p.fd = 10;
	CHECK_EQ(iso_res_pre(f.r, "vgem", 2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p, &ops, &rc, &why),
		 0); /* same ino 777: known now */
	p.handle = 2;
	iso_res_post(f.r, &rc, &p, 0, 0, 0);
	CHECK_EQ(used(&f), 7 * MIB);
	teardown(&f);
}

TEST(gem_names_stay_with_the_guest)
{
	struct fixture f;
	struct drm_gem_flink fl = {.handle = 3};
	struct drm_gem_open op = {.name = 41};
	struct iso_res_call rc;
	const char *why = NULL;

	setup(&f, 8 * MIB, ISO_FLINK_OWN);
	CHECK_EQ(dumb(&f, 1, 1, 3), 0);
	/* a name somebody else made */
	CHECK_EQ(iso_res_pre(f.r, "vgem", 1, DRM_IOCTL_GEM_OPEN, &op, NULL, &rc, &why), -ENOENT);
	CHECK(why && strstr(why, "not made by this guest"));
	fl.name = 0;
	CHECK_EQ(iso_res_pre(f.r, "vgem", 1, DRM_IOCTL_GEM_FLINK, &fl, NULL, &rc, &why), 0);
	fl.name = 41;
	iso_res_post(f.r, &rc, &fl, 0, 0, 0);
	op.handle = 0;
	CHECK_EQ(iso_res_pre(f.r, "vgem", 2, DRM_IOCTL_GEM_OPEN, &op, NULL, &rc, &why), 0);
	op.handle = 9;
	op.size = MIB;
	iso_res_post(f.r, &rc, &op, 0, 0, 0);
	CHECK_EQ(used(&f), MIB);
	gem_close(&f, 1, 3);
	CHECK_EQ(used(&f), MIB);
	gem_close(&f, 2, 9);
	CHECK_EQ(used(&f), 0);
	/* the object is gone: its name is no longer this guest's */
	CHECK_EQ(iso_res_pre(f.r, "vgem", 1, DRM_IOCTL_GEM_OPEN, &op, NULL, &rc, &why), -ENOENT);
	teardown(&f);

	setup(&f, 8 * MIB, ISO_FLINK_DENY);
	CHECK_EQ(dumb(&f, 1, 1, 3), 0);
	CHECK_EQ(iso_res_pre(f.r, "vgem", 1, DRM_IOCTL_GEM_FLINK, &fl, NULL, &rc, &why), -EACCES);
	teardown(&f);
}

TEST(mmap_only_of_own_offsets)
{
	struct fixture f;
	struct drm_mode_map_dumb m = {.handle = 3};
	uintptr_t tok = 0;
	const char *why = NULL;

	setup(&f, 8 * MIB, ISO_FLINK_OWN);
	CHECK_EQ(dumb(&f, 1, 1, 3), 0);
	CHECK_EQ(iso_res_map(f.r, 1, 1, 0x100000, &tok, &why), -EACCES);
	call(&f, 1, DRM_IOCTL_MODE_MAP_DUMB, &m, 0, 0, 0, 0);
	m.offset = 0x100000;
	/* the pre/post pair above saw offset 0: map again as the kernel answers */
	{
		struct iso_res_call rc;

		CHECK_EQ(iso_res_pre(f.r, "vgem", 1, DRM_IOCTL_MODE_MAP_DUMB, &m, NULL, &rc, &why),
			 0);
		iso_res_post(f.r, &rc, &m, 0, 0, 0);
	}
	CHECK_EQ(iso_res_map(f.r, 2, 1, 0x100000, &tok, &why), -EACCES); /* another file */
	CHECK_EQ(iso_res_map(f.r, 1, 1, 0x100000, &tok, &why), 0);
	CHECK(tok != 0);
	gem_close(&f, 1, 3);
	CHECK_EQ(used(&f), MIB); /* the mapping holds it */
	{
		uintptr_t t2;

		CHECK_EQ(iso_res_map(f.r, 1, 1, 0x100000, &t2, &why), -EACCES); /* revoked */
	}
	iso_res_unmap(f.r, tok);
	CHECK_EQ(used(&f), 0);
	/* files that are not device nodes and not known dma-bufs: nothing held */
	CHECK_EQ(iso_res_map(f.r, 50, 0, 0, &tok, &why), 0);
	CHECK_EQ(tok, 0);
	teardown(&f);
}

TEST(framebuffers_hold_their_buffers)
{
	struct fixture f;
	struct drm_mode_fb_cmd2 fb = {.width = 64, .height = 64, .handles = {3, 3}};
	unsigned int id;

	setup(&f, 8 * MIB, ISO_FLINK_OWN);
	CHECK_EQ(dumb(&f, 1, 1, 3), 0);
	fb.fb_id = 0;
	{
		struct iso_res_call rc;
		const char *why;

		CHECK_EQ(iso_res_pre(f.r, "vgem", 1, DRM_IOCTL_MODE_ADDFB2, &fb, NULL, &rc, &why),
			 0);
		fb.fb_id = 77;
		iso_res_post(f.r, &rc, &fb, 0, 0, 0);
	}
	gem_close(&f, 1, 3);
	CHECK_EQ(used(&f), MIB);
	id = 77;
	call(&f, 1, DRM_IOCTL_MODE_RMFB, &id, 0, 0, 0, 0);
	CHECK_EQ(used(&f), 0);
	teardown(&f);
}

TEST(sessions_of_one_guest_share_the_partition)
{
	struct fixture f;
	struct iso_res *r2;
	int s2;
	uint64_t left[ISO_DOM_N];
	char buf[4096];

	setup(&f, 4 * MIB, ISO_FLINK_OWN);
	s2 = iso_acct_session_start(f.a, f.gi, 0x5678, 2, "second");
	CHECK(s2 >= 0);
	r2 = iso_res_new(f.a, s2, ISO_FLINK_OWN);
	CHECK_EQ(dumb(&f, 1, 3, 1), 0);
	{
		struct fixture g = f;

		g.r = r2;
		CHECK_EQ(dumb(&g, 1, 2, 1), -ENOMEM);
		CHECK_EQ(dumb(&g, 1, 1, 1), 0);
	}
	CHECK_EQ(used(&f), 4 * MIB);
	iso_res_free(r2); /* the second session's worker ends cleanly */
	CHECK_EQ(used(&f), 3 * MIB);
	CHECK_EQ(iso_acct_charge(f.a, s2, ISO_DOM_SYSTEM, MIB, 0), 0);
	iso_acct_format(f.a, buf, sizeof(buf));
	CHECK(strstr(buf, "guest a role render sessions 2") != NULL);
	CHECK(strstr(buf, "system 4194304/4194304") != NULL);
	CHECK(strstr(buf, "oom 1") != NULL);
	/* a worker that died with charges: the daemon returns them */
	iso_acct_session_end(f.a, s2, left);
	CHECK_EQ(left[ISO_DOM_SYSTEM], MIB);
	CHECK_EQ(used(&f), 3 * MIB);
	iso_res_file_gone(f.r, 1);
	teardown(&f);
}

TEST(vram_partition)
{
	struct fixture f;

	setup(&f, 8 * MIB, ISO_FLINK_OWN);
	{
		/* virtio-gpu host-side blob: device-local, and this guest has none */
		uint8_t blob[64] = {0};
		struct iso_res_call rc;
		const char *why;
		struct drm_virtgpu_resource_create_blob *b = (void *)blob;

		b->blob_mem = VIRTGPU_BLOB_MEM_HOST3D;
		b->size = 65536;
		CHECK_EQ(iso_res_pre(f.r, "virtio_gpu", 1, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB,
				     blob, NULL, &rc, &why),
			 -ENOMEM);
		CHECK(why && strstr(why, "VRAM"));
	}
	teardown(&f);
}
