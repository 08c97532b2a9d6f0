/* SPDX-License-Identifier: MIT */
/*
 * drm_res.c - a worker's book of its guest's buffer objects (drm_res.h).
 *
 * Records name what holds an object: a handle of a file (with the mmap
 * offset obtained for it, if any), an exported dma-buf file, a framebuffer
 * (up to four objects), or a mapping.  Each holds one reference; an object
 * whose last reference goes returns its bytes to the partition.  Records
 * are found by (file, kind, key) in one hash, handles with an offset also
 * by (file, offset) in a second one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "isolation/drm_res_private.h"

#define NBUCKET 1024

struct iso_bo {
	uint64_t size;
	int dom;
	int refs;
	uint64_t ino;  /* dma-buf identity once exported or imported */
	uint32_t name; /* GEM name from this guest's FLINK */
	struct iso_bo *prev, *next;
};

enum rec_kind { RK_HANDLE = 1, RK_DMABUF, RK_FB, RK_MAP };

struct rec {
	uint64_t file, key;
	int kind;
	int has_offset;
	uint64_t offset;
	struct iso_bo *bo[4];
	struct rec *next_h, *next_o;
};

struct iso_res {
	pthread_mutex_t lock;
	struct iso_acct *acct;
	int session;
	enum iso_flink flink;
	struct iso_bo *bos;
	uint64_t nbos;
	struct rec *byid[NBUCKET];
	struct rec *byoff[NBUCKET];
};

static unsigned hash(uint64_t a, uint64_t b)
{
	uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b + 0x632be59bd9b4e019ull + (a << 6));

	h ^= h >> 29;
	return (unsigned)(h % NBUCKET);
}

/* ---- objects ------------------------------------------------------------- */

static struct iso_bo *bo_new(struct iso_res *r, uint64_t size, int dom, uint64_t ino)
{
	struct iso_bo *bo = calloc(1, sizeof(*bo));

	if (!bo)
		return NULL;
	bo->size = size;
	bo->dom = dom;
	bo->ino = ino;
	bo->next = r->bos;
	if (r->bos)
		r->bos->prev = bo;
	r->bos = bo;
	r->nbos++;
	return bo;
}

static void bo_ref(struct iso_bo *bo)
{
	if (bo)
		bo->refs++;
}

static void bo_unref(struct iso_res *r, struct iso_bo *bo)
{
	if (!bo || --bo->refs > 0)
		return;
	iso_acct_uncharge(r->acct, r->session, bo->dom, bo->size);
	if (bo->prev)
		bo->prev->next = bo->next;
	else
		r->bos = bo->next;
	if (bo->next)
		bo->next->prev = bo->prev;
	r->nbos--;
	free(bo);
}

static struct iso_bo *bo_by(struct iso_res *r, uint64_t ino, uint32_t name)
{
	for (struct iso_bo *bo = r->bos; bo; bo = bo->next)
		if ((ino && bo->ino == ino) || (name && bo->name == name))
			return bo;
	return NULL;
}

/* ---- records ------------------------------------------------------------- */

static struct rec **rec_slot(struct iso_res *r, uint64_t file, int kind, uint64_t key)
{
	struct rec **pp = &r->byid[hash(file, key * 8 + (uint64_t)kind)];

	for (; *pp; pp = &(*pp)->next_h)
		if ((*pp)->file == file && (*pp)->kind == kind && (*pp)->key == key)
			break;
	return pp;
}

static struct rec *rec_find(struct iso_res *r, uint64_t file, int kind, uint64_t key)
{
	return *rec_slot(r, file, kind, key);
}

/* A new record holding bo (one reference taken). */
static struct rec *rec_add(struct iso_res *r, uint64_t file, int kind, uint64_t key,
			   struct iso_bo *bo)
{
	struct rec *e = calloc(1, sizeof(*e));
	struct rec **pp = &r->byid[hash(file, key * 8 + (uint64_t)kind)];

	if (!e)
		return NULL;
	e->file = file;
	e->kind = kind;
	e->key = key;
	e->bo[0] = bo;
	bo_ref(bo);
	e->next_h = *pp;
	*pp = e;
	return e;
}

static void offset_unlink(struct iso_res *r, struct rec *e)
{
	struct rec **pp = &r->byoff[hash(e->file, e->offset)];

	if (!e->has_offset)
		return;
	for (; *pp; pp = &(*pp)->next_o)
		if (*pp == e) {
			*pp = e->next_o;
			break;
		}
	e->has_offset = 0;
}

static void rec_set_offset(struct iso_res *r, struct rec *e, uint64_t offset)
{
	struct rec **pp;

	offset_unlink(r, e);
	e->offset = offset;
	e->has_offset = 1;
	pp = &r->byoff[hash(e->file, offset)];
	e->next_o = *pp;
	*pp = e;
}

static void rec_del(struct iso_res *r, struct rec **pp)
{
	struct rec *e = *pp;

	*pp = e->next_h;
	offset_unlink(r, e);
	for (int i = 0; i < 4; i++)
		bo_unref(r, e->bo[i]);
	free(e);
}

static void rec_del_key(struct iso_res *r, uint64_t file, int kind, uint64_t key)
{
	struct rec **pp = rec_slot(r, file, kind, key);

	if (*pp)
		rec_del(r, pp);
}

/* ---- the book -------------------------------------------------------------- */

struct iso_res *iso_res_new(struct iso_acct *a, int session, enum iso_flink flink)
{
	struct iso_res *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	r->acct = a;
	r->session = session;
	r->flink = flink;
	return r;
}

void iso_res_free(struct iso_res *r)
{
	if (!r)
		return;
	for (int i = 0; i < NBUCKET; i++)
		while (r->byid[i])
			rec_del(r, &r->byid[i]);
	/* objects still held by mappings */
	while (r->bos) {
		r->bos->refs = 1;
		bo_unref(r, r->bos);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static const struct iso_res_rule *rule_find(const char *driver, uint32_t cmd)
{
	for (unsigned i = 0; i < iso_res_nrules; i++) {
		const struct iso_res_rule *u = &iso_res_rules[i];

		if (u->cmd == cmd && (!u->driver || (driver && !strcmp(u->driver, driver))))
			return u;
	}
	return NULL;
}

int iso_res_has_rule(const char *driver, uint32_t cmd)
{
	return rule_find(driver, cmd) != NULL;
}

static uint32_t rd32(const void *arg, uint16_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)arg + off, sizeof(v));
	return v;
}

static uint64_t rd64(const void *arg, uint16_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)arg + off, sizeof(v));
	return v;
}

static struct iso_bo *bo_of_handle(struct iso_res *r, uint64_t file, uint32_t handle)
{
	struct rec *e = handle ? rec_find(r, file, RK_HANDLE, handle) : NULL;

	return e ? e->bo[0] : NULL;
}

static int pre_import(struct iso_res *r, const void *arg, const struct iso_res_ops *ops,
		      struct iso_res_call *rc, const char **why)
{
	int32_t fd = (int32_t)rd32(arg, rc->rule->v_in);
	uint64_t size;

	if (fd < 0 || !ops || !ops->fd_info || ops->fd_info(ops->ctx, fd, &rc->ino, &size))
		return 1; /* not a dma-buf: the driver refuses it, nothing to count */
	rc->bo = bo_by(r, rc->ino, 0);
	if (rc->bo) {
		bo_ref(rc->bo);
		return 0;
	}
	rc->dom = ISO_DOM_SYSTEM;
	rc->charged = size;
	if (iso_acct_charge(r->acct, r->session, rc->dom, size, 0)) {
		*why = "importing this dma-buf would exceed the guest's system memory partition";
		return -ENOMEM;
	}
	return 0;
}

static int pre_locked(struct iso_res *r, const void *arg, const struct iso_res_ops *ops,
		      struct iso_res_call *rc, const char **why)
{
	const struct iso_res_rule *u = rc->rule;

	if (u->h_in != RES_NONE && u->kind != R_FB_ADD)
		rc->handle = rd32(arg, u->h_in);
	if (u->v_in != RES_NONE)
		rc->value = rd32(arg, u->v_in);
	switch (u->kind) {
	case R_CREATE:
		rc->charged = u->estimate(arg, &rc->dom);
		if (iso_acct_charge(r->acct, r->session, rc->dom, rc->charged, 0)) {
			*why = rc->dom == ISO_DOM_VRAM
				   ? "the guest's VRAM partition is full"
				   : "the guest's system memory partition is full";
			return -ENOMEM;
		}
		return 0;
	case R_IMPORT:
		return pre_import(r, arg, ops, rc, why);
	case R_FLINK:
	case R_OPEN_NAME:
		if (r->flink == ISO_FLINK_DENY) {
			*why = "GEM names are denied to this guest";
			return -EACCES;
		}
		rc->bo = u->kind == R_FLINK ? bo_of_handle(r, rc->file, rc->handle)
					    : (rc->value ? bo_by(r, 0, rc->value) : NULL);
		if (u->kind == R_OPEN_NAME && !rc->bo) {
			*why = "GEM name not made by this guest";
			return -ENOENT;
		}
		bo_ref(rc->bo);
		return 0;
	case R_EXPORT:
		rc->bo = bo_of_handle(r, rc->file, rc->handle);
		bo_ref(rc->bo);
		return 0;
	case R_FB_ADD:
		for (unsigned i = 0; i < u->nh_in; i++) {
			rc->fb_bo[i] = bo_of_handle(r, rc->file, rd32(arg, u->h_in + 4 * i));
			bo_ref(rc->fb_bo[i]);
		}
		return 0;
	case R_MAP:
		return u->applies && !u->applies(arg) ? 1 : 0;
	default:
		return 0;
	}
}

int iso_res_pre(struct iso_res *r, const char *driver, uint64_t file, uint32_t cmd, const void *arg,
		const struct iso_res_ops *ops, struct iso_res_call *rc, const char **why)
{
	const struct iso_res_rule *u = rule_find(driver, cmd);
	int ret;

	memset(rc, 0, sizeof(*rc));
	if (!u || !arg)
		return 1;
	rc->rule = u;
	rc->file = file;
	pthread_mutex_lock(&r->lock);
	ret = pre_locked(r, arg, ops, rc, why);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* The call failed or the reservation was not needed. */
static void refund(struct iso_res *r, struct iso_res_call *rc)
{
	if (rc->charged)
		iso_acct_uncharge(r->acct, r->session, rc->dom, rc->charged);
	rc->charged = 0;
}

static void post_create(struct iso_res *r, struct iso_res_call *rc, const void *arg)
{
	const struct iso_res_rule *u = rc->rule;
	uint32_t handle = rd32(arg, u->h_out);
	uint64_t size = rc->charged;
	struct iso_bo *bo;
	struct rec *e;

	if (u->size_out != RES_NONE) {
		uint64_t exact = rd64(arg, u->size_out);

		if (exact > size)
			iso_acct_charge(r->acct, r->session, rc->dom, exact - size, 1);
		else if (exact < size)
			iso_acct_uncharge(r->acct, r->session, rc->dom, size - exact);
		size = exact;
	}
	rc->charged = 0;
	rec_del_key(r, rc->file, RK_HANDLE, handle); /* not expected: a live handle reused */
	bo = bo_new(r, size, rc->dom, 0);
	e = bo ? rec_add(r, rc->file, RK_HANDLE, handle, bo) : NULL;
	if (!e) {
		if (bo) {
			bo->refs = 1;
			bo_unref(r, bo);
		} else {
			iso_acct_uncharge(r->acct, r->session, rc->dom, size);
		}
		return;
	}
	if (u->v_out != RES_NONE)
		rec_set_offset(r, e, rd64(arg, u->v_out));
}

/* IMPORT and OPEN_NAME: a handle in rc->file for a known or new object. */
static void post_new_handle(struct iso_res *r, struct iso_res_call *rc, const void *arg)
{
	uint32_t handle = rd32(arg, rc->rule->h_out);
	struct iso_bo *bo = rc->bo;

	if (rec_find(r, rc->file, RK_HANDLE, handle)) {
		refund(r, rc); /* the file had it already: the kernel gave the same handle */
		return;
	}
	if (!bo) {
		bo = bo_new(r, rc->charged, rc->dom, rc->ino);
		if (!bo) {
			refund(r, rc);
			return;
		}
		rc->charged = 0;
		if (!rec_add(r, rc->file, RK_HANDLE, handle, bo)) {
			bo->refs = 1;
			bo_unref(r, bo);
		}
		return;
	}
	rec_add(r, rc->file, RK_HANDLE, handle, bo);
}

static void post_locked(struct iso_res *r, struct iso_res_call *rc, const void *arg,
			uint64_t new_file, uint64_t new_ino)
{
	const struct iso_res_rule *u = rc->rule;
	struct rec *e;

	switch (u->kind) {
	case R_CREATE:
		post_create(r, rc, arg);
		break;
	case R_CLOSE:
		rec_del_key(r, rc->file, RK_HANDLE, rc->handle);
		break;
	case R_IMPORT:
	case R_OPEN_NAME:
		post_new_handle(r, rc, arg);
		break;
	case R_EXPORT:
		if (rc->bo && new_file && rec_add(r, new_file, RK_DMABUF, 0, rc->bo))
			rc->bo->ino = new_ino;
		break;
	case R_FLINK:
		if (rc->bo)
			rc->bo->name = rd32(arg, u->v_out);
		break;
	case R_MAP:
		e = rec_find(r, rc->file, RK_HANDLE, rc->handle);
		if (e)
			rec_set_offset(r, e, rd64(arg, u->v_out));
		break;
	case R_FB_ADD:
		e = calloc(1, sizeof(*e));
		if (!e)
			break;
		rec_del_key(r, rc->file, RK_FB, rd32(arg, u->v_out));
		e->file = rc->file;
		e->kind = RK_FB;
		e->key = rd32(arg, u->v_out);
		memcpy(e->bo, rc->fb_bo, sizeof(e->bo)); /* the references move */
		memset(rc->fb_bo, 0, sizeof(rc->fb_bo));
		{
			struct rec **pp = &r->byid[hash(e->file, e->key * 8 + RK_FB)];

			e->next_h = *pp;
			*pp = e;
		}
		break;
	case R_FB_RM:
		rec_del_key(r, rc->file, RK_FB, rc->value);
		break;
	}
}

void iso_res_post(struct iso_res *r, struct iso_res_call *rc, const void *arg, int64_t result,
		  uint64_t new_file, uint64_t new_ino)
{
	if (!rc->rule)
		return;
	pthread_mutex_lock(&r->lock);
	if (result >= 0)
		post_locked(r, rc, arg, new_file, new_ino);
	refund(r, rc);
	bo_unref(r, rc->bo);
	for (int i = 0; i < 4; i++)
		bo_unref(r, rc->fb_bo[i]);
	pthread_mutex_unlock(&r->lock);
	rc->rule = NULL;
}

void iso_res_file_gone(struct iso_res *r, uint64_t file)
{
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < NBUCKET; i++) {
		struct rec **pp = &r->byid[i];

		while (*pp)
			if ((*pp)->file == file)
				rec_del(r, pp);
			else
				pp = &(*pp)->next_h;
	}
	pthread_mutex_unlock(&r->lock);
}

int iso_res_map(struct iso_res *r, uint64_t file, int device, uint64_t offset, uintptr_t *token,
		const char **why)
{
	struct iso_bo *bo = NULL;
	struct rec *m;
	int ret = 0;

	*token = 0;
	pthread_mutex_lock(&r->lock);
	if (device) {
		for (struct rec *e = r->byoff[hash(file, offset)]; e && !bo; e = e->next_o)
			if (e->file == file && e->offset == offset)
				bo = e->bo[0];
		if (!bo) {
			*why = "offset not obtained by this guest for a live buffer of this file";
			ret = -EACCES;
		}
	} else {
		struct rec *e = rec_find(r, file, RK_DMABUF, 0);

		bo = e ? e->bo[0] : NULL;
	}
	if (bo) {
		m = calloc(1, sizeof(*m));
		if (m) {
			m->kind = RK_MAP;
			m->bo[0] = bo;
			bo_ref(bo);
			*token = (uintptr_t)m;
		} else {
			ret = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void iso_res_unmap(struct iso_res *r, uintptr_t token)
{
	struct rec *m = (struct rec *)token;

	if (!m)
		return;
	pthread_mutex_lock(&r->lock);
	bo_unref(r, m->bo[0]);
	pthread_mutex_unlock(&r->lock);
	free(m);
}

void iso_res_stats(struct iso_res *r, uint64_t *nbos, uint64_t bytes[ISO_DOM_N])
{
	pthread_mutex_lock(&r->lock);
	*nbos = r->nbos;
	memset(bytes, 0, sizeof(uint64_t) * ISO_DOM_N);
	for (struct iso_bo *bo = r->bos; bo; bo = bo->next)
		bytes[bo->dom] += bo->size;
	pthread_mutex_unlock(&r->lock);
}

const char *iso_res_rules_check(void)
{
	for (unsigned i = 0; i < iso_res_nrules; i++) {
		const struct iso_res_rule *u = &iso_res_rules[i];
		uint32_t size = (u->cmd >> 16) & 0x3fff; /* _IOC_SIZE */
		uint16_t in_end = u->h_in == RES_NONE ? 0 : (uint16_t)(u->h_in + 4 * u->nh_in);
		int wide = u->kind == R_CREATE || u->kind == R_MAP;

		if (in_end > size || (u->h_out != RES_NONE && u->h_out + 4u > size) ||
		    (u->v_in != RES_NONE && u->v_in + 4u > size) ||
		    (u->v_out != RES_NONE && u->v_out + (wide ? 8u : 4u) > size) ||
		    (u->size_out != RES_NONE && u->size_out + 8u > size) ||
		    (u->kind == R_CREATE && !u->estimate))
			return "a buffer rule reads outside its ioctl's argument";
		for (unsigned j = 0; j < i; j++)
			if (iso_res_rules[j].cmd == u->cmd &&
			    (iso_res_rules[j].driver == u->driver ||
			     (iso_res_rules[j].driver && u->driver &&
			      !strcmp(iso_res_rules[j].driver, u->driver))))
				return "two buffer rules for one ioctl";
	}
	return NULL;
}
