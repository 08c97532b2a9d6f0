/* SPDX-License-Identifier: MIT */
/*
 * drmdev.c - the driver behind a forwarded DRM file: asked once, through
 * the file itself (DRM_IOCTL_VERSION, forwarded with the core table), when
 * the file is opened or restored after exec.  The backend asks its real
 * file the same question, so both sides use the same driver table.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>

#include "drm-front/preload/front.h"
#include "drm-front/preload/sysview.h"

void drmdev_probe(int fd)
{
	char name[64] = "";
	struct drm_version v = {.name_len = sizeof(name) - 1, .name = name};
	struct rfile *f = rfile_get(fd);

	if (!f)
		return;
	if (f->cls && f->cls->drivers && fop_ioctl(f, DRM_IOCTL_VERSION, &v) == 0 &&
	    v.name_len < sizeof(name)) {
		name[v.name_len] = '\0';
		f->drv = vdri_class_driver(f->cls, name);
	}
	rfile_put(f);
}

/*
 * The driver VM's sysfs view, fetched on the first DRM discovery path a
 * program looks at (sysview.c calls this once).  Without a backend there
 * is simply no view: the program sees no DRM devices, as natively.
 */
static void sysview_load(void)
{
	struct fconn *c = conn_get_current();
	struct wire_hdr *rep = NULL;
	const void *body;
	uint32_t len;
	int64_t r;

	if (!c)
		return;
	r = conn_call(c, WIRE_OP_SYSINFO, 0, NULL, 0, &rep);
	if (r >= 0) {
		body = reply_body(rep, &len);
		r = sysview_install(body, len);
		if (r)
			front_log("sysfs view of the driver VM rejected: %s", strerror((int)-r));
	}
	free(rep);
	conn_put(c);
}

void drmdev_init(void)
{
	sysview_set_loader(sysview_load);
}

/* ---- atomic commits with fence properties --------------------------------------- */

#define ATOMIC_MAX 4096u /* the tables' bound on objects and properties */
#define ATOMIC_OUT_MAX 16u

/* The kind of a property id of f's device, asked once (forwarded GETPROPERTY). */
static int prop_kind(struct rfile *f, uint32_t id)
{
	struct drm_mode_get_property p = {.prop_id = id};
	int kind;

	pthread_mutex_lock(&front_lock);
	kind = drm_prop_cache_find(&f->props, id);
	pthread_mutex_unlock(&front_lock);
	if (kind)
		return kind;
	kind = fop_ioctl(f, DRM_IOCTL_MODE_GETPROPERTY, &p) ? DRM_PROP_PLAIN
							    : drm_prop_kind_of(p.name);
	pthread_mutex_lock(&front_lock);
	drm_prop_cache_add(&f->props, id, kind);
	pthread_mutex_unlock(&front_lock);
	return kind;
}

/* The guest's arrays of one commit, copied (0), or why not (-errno). */
struct atomic_copy {
	struct drm_mode_atomic a;
	uint32_t n; /* properties in all */
	uint32_t *props;
	uint64_t *vals; /* becomes the copy sent instead of the guest's */
};

static int atomic_read(void *arg, struct atomic_copy *c)
{
	uint32_t *counts = NULL;
	uint64_t sum = 0;
	int r = -EINVAL;

	if (fop_copy_in(&c->a, arg, sizeof(c->a)) || c->a.count_objs > ATOMIC_MAX)
		return -EINVAL;
	counts = malloc(sizeof(*counts) * (c->a.count_objs + 1));
	if (counts && !fop_copy_in(counts, (void *)(uintptr_t)c->a.count_props_ptr,
				   sizeof(*counts) * c->a.count_objs)) {
		for (uint32_t i = 0; i < c->a.count_objs && sum <= ATOMIC_MAX; i++)
			sum += counts[i];
		if (sum <= ATOMIC_MAX) {
			c->n = (uint32_t)sum;
			c->props = malloc(sizeof(*c->props) * (c->n + 1));
			c->vals = malloc(sizeof(*c->vals) * (c->n + 1));
			r = c->props && c->vals &&
				    !fop_copy_in(c->props, (void *)(uintptr_t)c->a.props_ptr,
						 sizeof(*c->props) * c->n) &&
				    !fop_copy_in(c->vals, (void *)(uintptr_t)c->a.prop_values_ptr,
						 sizeof(*c->vals) * c->n)
				? 0
				: -EFAULT;
		}
	}
	free(counts);
	return r;
}

/* A forwarded file made from an out-fence handle the backend returned: its fd, or -errno. */
static int out_fence_file(struct rfile *f, uint32_t handle)
{
	struct wire_file_info info = {.oflags = O_RDONLY | O_CLOEXEC};
	struct wire_hdr *rep = NULL;
	const void *body;
	uint32_t len;
	int64_t r = conn_call(f->conn, WIRE_OP_FSTAT, handle, NULL, 0, &rep);

	if (r >= 0) {
		body = reply_body(rep, &len);
		if (len < sizeof(info.st))
			r = -EPROTO;
		else
			memcpy(&info.st, body, sizeof(info.st));
	}
	free(rep);
	if (r >= 0)
		r = rfile_create(f->conn, handle, &info, f->cls, "(out-fence)",
				 O_RDONLY | O_CLOEXEC, -1);
	if (r >= 0)
		fop_refresh_readiness((int)r);
	return (int)r;
}

/*
 * IN_FENCE_FD values become handles of forwarded files and OUT_FENCE_PTR
 * values a mark, in a copy of the values array sent with the class's
 * fenced variant; the backend returns out-fence handles in that copy, and
 * their new fds go where the guest's OUT_FENCE_PTRs point, as the kernel
 * would write them.  Commits without fence properties are not handled here.
 */
int drmdev_atomic(struct rfile *f, void *arg, int *result)
{
	const struct m_ioctl *d = vdri_class_variant(f->cls, DRM_IOCTL_MODE_ATOMIC);
	struct atomic_copy c = {0};
	uint32_t outs[ATOMIC_OUT_MAX], nout = 0, i;
	uint64_t guest_ptr[ATOMIC_OUT_MAX];
	int fenced = 0, r = 0;

	if (!d || atomic_read(arg, &c)) {
		free(c.props);
		free(c.vals);
		return 0; /* the plain path gives the errors natively given */
	}
	for (i = 0; i < c.n && !r; i++) {
		int kind = prop_kind(f, c.props[i]);
		struct rfile *g;

		if (kind == DRM_PROP_IN_FENCE && (int64_t)c.vals[i] != -1) {
			fenced = 1;
			g = (int64_t)c.vals[i] >= 0 && c.vals[i] <= 0x7fffffff
				? rfile_get((int)c.vals[i])
				: NULL;
			if (!g || g->conn != f->conn || g->dead)
				r = -EINVAL; /* what the kernel says of an fd that is no fence */
			else
				c.vals[i] = g->handle;
			if (g)
				rfile_put(g);
		} else if (kind == DRM_PROP_OUT_FENCE && c.vals[i]) {
			fenced = 1;
			if (nout == ATOMIC_OUT_MAX) {
				r = -EINVAL;
				break;
			}
			guest_ptr[nout] = c.vals[i];
			outs[nout++] = i;
			c.vals[i] = 1;
		}
	}
	if (fenced && !r) {
		struct drm_mode_atomic a2 = c.a;

		a2.prop_values_ptr = (uint64_t)(uintptr_t)c.vals;
		r = fop_ioctl_desc(f, d, DRM_IOCTL_MODE_ATOMIC, &a2);
		for (i = 0; i < nout && r >= 0; i++) {
			int32_t fd;

			/* 0: the kernel made no fence (TEST_ONLY): the guest's value stays */
			if (!c.vals[outs[i]])
				continue;
			fd = c.vals[outs[i]] <= 0x7fffffff
				 ? out_fence_file(f, (uint32_t)c.vals[outs[i]])
				 : -EPROTO;
			if (fd < 0 ||
			    fop_copy_out((void *)(uintptr_t)guest_ptr[i], &fd, sizeof(fd))) {
				r = fd < 0 ? fd : -EFAULT;
				if (fd >= 0 && rfile_unmap_fd(fd))
					real.close(fd);
			}
		}
	}
	free(c.props);
	free(c.vals);
	*result = r;
	return fenced || r;
}
