// SPDX-License-Identifier: GPL-2.0
/*
 * atomic.c - DRM atomic commits with fence properties, as the preload
 * library's drmdev.c does them: IN_FENCE_FD values are guest fds and
 * OUT_FENCE_PTR values guest addresses, which no descriptor can say.  The
 * commit's arrays are copied into the kernel; in-fence fds become the
 * handles of this module's files, out-fence pointers a mark; the copy goes
 * with the class's fenced variant (core/drm/drm_kms.c), whose values array
 * comes back with the handles of the out-fences the backend made; those
 * become guest fds (sync_file anon-inode files) written where the guest's
 * OUT_FENCE_PTRs point, as the kernel would.  Commits without fence
 * properties, and any the copy cannot read, take the plain path (which
 * gives the errors the kernel gives).
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm.h>
#include <drm_mode.h>

#include "vdri_front.h"

#define VF_ATOMIC_MAX 4096u /* the tables' bound on objects and properties */
#define VF_ATOMIC_OUT_MAX 16u

/* The kind of a property id of f's device, asked once (a forwarded GETPROPERTY). */
static int vf_prop_kind(struct vf_file *f, u32 id)
{
	struct drm_mode_get_property p = { .prop_id = id };
	const struct m_ioctl *d;
	int kind;

	spin_lock(&f->conn->lock);
	kind = drm_prop_cache_find(&f->props, id);
	spin_unlock(&f->conn->lock);
	if (kind)
		return kind;
	d = vdri_class_lookup(f->cls, f->drv, DRM_IOCTL_MODE_GETPROPERTY);
	kind = vf_ioctl_desc(f, d, DRM_IOCTL_MODE_GETPROPERTY, (unsigned long)&p, true) ?
		       DRM_PROP_PLAIN :
		       drm_prop_kind_of(p.name);
	spin_lock(&f->conn->lock);
	drm_prop_cache_add(&f->props, id, kind);
	spin_unlock(&f->conn->lock);
	return kind;
}

/* The guest's arrays of one commit, in kernel memory. */
struct vf_atomic_copy {
	struct drm_mode_atomic a;
	u32 n; /* properties in all */
	u32 *objs, *counts, *props;
	u64 *vals;
};

static void vf_atomic_free(struct vf_atomic_copy *c)
{
	kvfree(c->objs);
	kvfree(c->counts);
	kvfree(c->props);
	kvfree(c->vals);
}

static int vf_atomic_read(unsigned long arg, struct vf_atomic_copy *c)
{
	u64 sum = 0;
	u32 i;

	if (copy_from_user(&c->a, (void __user *)arg, sizeof(c->a)) ||
	    c->a.count_objs > VF_ATOMIC_MAX)
		return -EINVAL;
	c->objs = kvmalloc_array(c->a.count_objs + 1, sizeof(u32), GFP_KERNEL);
	c->counts = kvmalloc_array(c->a.count_objs + 1, sizeof(u32), GFP_KERNEL);
	if (!c->objs || !c->counts ||
	    copy_from_user(c->objs, u64_to_user_ptr(c->a.objs_ptr), c->a.count_objs * 4) ||
	    copy_from_user(c->counts, u64_to_user_ptr(c->a.count_props_ptr), c->a.count_objs * 4))
		return -EFAULT;
	for (i = 0; i < c->a.count_objs; i++)
		sum += c->counts[i];
	if (sum > VF_ATOMIC_MAX)
		return -EINVAL;
	c->n = sum;
	c->props = kvmalloc_array(c->n + 1, sizeof(u32), GFP_KERNEL);
	c->vals = kvmalloc_array(c->n + 1, sizeof(u64), GFP_KERNEL);
	if (!c->props || !c->vals ||
	    copy_from_user(c->props, u64_to_user_ptr(c->a.props_ptr), c->n * sizeof(u32)) ||
	    copy_from_user(c->vals, u64_to_user_ptr(c->a.prop_values_ptr), c->n * sizeof(u64)))
		return -EFAULT;
	return 0;
}

/* A guest fd for an out-fence handle the backend returned, or -errno. */
static int vf_out_fence_fd(struct vf_file *f, u32 handle)
{
	struct wire_file_info info = { .oflags = O_RDONLY | O_CLOEXEC };
	struct wire_poll p = { .events = EPOLLIN | EPOLLOUT | EPOLLPRI };
	struct kvec iov = { &p, sizeof(p) };
	struct vf_reply rep = { NULL };
	s64 r;

	r = vf_call(f->conn, WIRE_OP_FSTAT, handle, NULL, 0, &rep);
	if (r >= 0 && rep.body_len < sizeof(info.st))
		r = -EPROTO;
	if (r >= 0)
		memcpy(&info.st, rep.body, sizeof(info.st));
	vf_reply_free(&rep);
	if (r < 0)
		return r;
	/* its readiness now (the backend watches it from here on) */
	r = vf_call(f->conn, WIRE_OP_POLL, handle, &iov, 1, &rep);
	if (r >= 0)
		info.revents = r & 0xffff;
	vf_reply_free(&rep);
	return vf_new_file_fd(f, handle, &info, rep.seq);
}

/* Handle the commit if it has fence properties: true with *result set. */
bool vf_atomic_fenced(struct vf_file *f, unsigned long arg, long *result)
{
	const struct m_ioctl *d = vdri_class_variant(f->cls, DRM_IOCTL_MODE_ATOMIC);
	struct vf_atomic_copy c = { 0 };
	u64 guest_ptr[VF_ATOMIC_OUT_MAX];
	u32 outs[VF_ATOMIC_OUT_MAX], nout = 0, i, h;
	struct drm_mode_atomic a2;
	bool fenced = false;
	long r = 0;
	int kind, fd;

	if (!d || vf_atomic_read(arg, &c)) {
		vf_atomic_free(&c);
		return false;
	}
	for (i = 0; i < c.n && !r; i++) {
		kind = vf_prop_kind(f, c.props[i]);
		if (kind == DRM_PROP_IN_FENCE && (s64)c.vals[i] != -1) {
			fenced = true;
			if ((s64)c.vals[i] < 0 || c.vals[i] > INT_MAX ||
			    vf_fd_to_handle(f, (int)c.vals[i], &h))
				r = -EINVAL; /* what the kernel says of an fd that is no fence */
			else
				c.vals[i] = h;
		} else if (kind == DRM_PROP_OUT_FENCE && c.vals[i]) {
			fenced = true;
			if (nout == VF_ATOMIC_OUT_MAX) {
				r = -EINVAL;
				break;
			}
			guest_ptr[nout] = c.vals[i];
			outs[nout++] = i;
			c.vals[i] = 1;
		}
	}
	if (!fenced) {
		vf_atomic_free(&c);
		return false;
	}
	if (!r) {
		a2 = c.a;
		a2.objs_ptr = (uintptr_t)c.objs;
		a2.count_props_ptr = (uintptr_t)c.counts;
		a2.props_ptr = (uintptr_t)c.props;
		a2.prop_values_ptr = (uintptr_t)c.vals;
		r = vf_ioctl_desc(f, d, DRM_IOCTL_MODE_ATOMIC, (unsigned long)&a2, true);
	}
	for (i = 0; i < nout && r >= 0; i++) {
		/* 0: the kernel made no fence (TEST_ONLY): the guest's value stays */
		if (!c.vals[outs[i]])
			continue;
		fd = c.vals[outs[i]] <= U32_MAX ? vf_out_fence_fd(f, (u32)c.vals[outs[i]]) : -EPROTO;
		if (fd >= 0 && copy_to_user(u64_to_user_ptr(guest_ptr[i]), &fd, sizeof(s32))) {
			close_fd(fd);
			fd = -EFAULT;
		}
		if (fd < 0)
			r = fd;
	}
	vf_atomic_free(&c);
	*result = r;
	return true;
}
