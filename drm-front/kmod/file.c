// SPDX-License-Identifier: GPL-2.0
/*
 * file.c - the forwarded file operations: open of a node, release, read
 * and write (blocking ones wait for a readiness event and retry, since the
 * backend never blocks), poll and fasync from the readiness mirror,
 * llseek, and ioctl through the core marshalling engine with an accessor
 * made of copy_from_user/copy_to_user.  Files an ioctl creates (dma-buf,
 * sync_file, syncobj fds) become anon-inode files with the same
 * operations, and go back into later ioctls as handles.
 */
#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include <drm.h>

#include "vdri/marshal.h"
#include "vdri_front.h"

/* ---- the engine's allocator and accessor ---------------------------------------- */

static void *vf_alloc_fn(void *ctx, uint64_t size)
{
	if (size > INT_MAX)
		return NULL;
	return kvmalloc(size ? size : 1, GFP_KERNEL);
}

static void vf_free_fn(void *ctx, void *p)
{
	kvfree(p);
}

static const struct m_alloc vf_alloc = { vf_alloc_fn, vf_free_fn, NULL };

struct vf_actx {
	struct vf_file *f;
	bool kernel; /* the argument is in kernel memory (the driver probe) */
	u64 seq;     /* the reply's receive sequence (new files) */
};

static int vf_acc_read(void *ctx, void *dst, uint64_t uaddr, uint64_t len)
{
	struct vf_actx *x = ctx;

	if (x->kernel) {
		memcpy(dst, (void *)(uintptr_t)uaddr, len);
		return 0;
	}
	return copy_from_user(dst, u64_to_user_ptr(uaddr), len) ? -EFAULT : 0;
}

static int vf_acc_write(void *ctx, uint64_t uaddr, const void *src, uint64_t len)
{
	struct vf_actx *x = ctx;

	if (x->kernel) {
		memcpy((void *)(uintptr_t)uaddr, src, len);
		return 0;
	}
	return copy_to_user(u64_to_user_ptr(uaddr), src, len) ? -EFAULT : 0;
}

static int vf_acc_fd_to_handle(void *ctx, int32_t ufd, uint32_t *handle)
{
	struct vf_actx *x = ctx;

	return vf_fd_to_handle(x->f, ufd, handle);
}

static struct vf_file *vf_file_new(struct vf_conn *c, u32 handle, const struct wire_file_info *info,
				   const struct vdri_class *cls, const char *what)
{
	struct vf_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return NULL;
	kref_get(&c->ref);
	f->conn = c;
	f->handle = handle;
	f->revents = info->revents & 0xffff;
	f->cls = cls;
	f->what = what;
	init_waitqueue_head(&f->wq);
	vf_mapping_init(&f->mapping, NULL);
	return f;
}

static void vf_file_free(struct vf_file *f)
{
	struct vf_conn *c = f->conn;

	vf_conn_del_file(c, f);
	if (!READ_ONCE(c->dead))
		vf_send_noreply(c, WIRE_OP_CLOSE, f->handle);
	vf_conn_put(c);
	kfree(f);
}

/* A remote file that f's ioctl made, as a new guest fd (an anon-inode file). */
int vf_new_file_fd(struct vf_file *f, u32 handle, const struct wire_file_info *info, u64 seq)
{
	struct vf_file *g;
	struct file *file;
	int fd, r;

	g = vf_file_new(f->conn, handle, info, f->cls, "(from ioctl)");
	if (!g)
		return -ENOMEM;
	g->born_seq = seq;
	g->drv = f->drv; /* a dma-buf or fence of the same device */
	r = vf_conn_add_file(g->conn, g);
	if (r) {
		vf_send_noreply(g->conn, WIRE_OP_CLOSE, handle);
		vf_conn_put(g->conn);
		kfree(g);
		return r;
	}
	fd = get_unused_fd_flags(info->oflags & O_CLOEXEC);
	if (fd < 0) {
		vf_file_free(g);
		return fd;
	}
	file = anon_inode_getfile("[vdri]", &vf_fops, g, info->oflags & (O_ACCMODE | O_NONBLOCK));
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		vf_file_free(g);
		return PTR_ERR(file);
	}
	/* its mappings' pages belong to it alone (map.c) */
	g->mapping.host = file_inode(file);
	file->f_mapping = &g->mapping;
	fd_install(fd, file);
	return fd;
}

static int32_t vf_acc_new_file(void *ctx, uint32_t handle, const struct wire_file_info *info)
{
	struct vf_actx *x = ctx;

	if (x->kernel)
		return -EINVAL;
	return vf_new_file_fd(x->f, handle, info, x->seq);
}

/* The handle of one of this module's files on f's connection, by guest fd. */
int vf_fd_to_handle(struct vf_file *f, int ufd, u32 *handle)
{
	struct fd fd = fdget(ufd);
	struct vf_file *g;
	int r = -EBADF;

	if (!fd.file)
		return r;
	if (fd.file->f_op == &vf_fops) {
		g = fd.file->private_data;
		if (g && g->conn == f->conn && !READ_ONCE(g->dead)) {
			*handle = g->handle;
			r = 0;
		}
	}
	fdput(fd);
	return r;
}

static void vf_acc_drop_file(void *ctx, int32_t fd)
{
	close_fd(fd);
}

static int64_t vf_acc_now_ns(void *ctx)
{
	return ktime_get_ns();
}

/* ---- ioctl ------------------------------------------------------------------------ */

/*
 * Which coherence points for mapped buffers an ioctl is: classes that say
 * so in their descriptors (DRM) get exactly those; others both, always.
 */
static u32 vf_sync_points(const struct vf_file *f, const struct m_ioctl *d)
{
	if (f->cls && (f->cls->flags & VDRI_CLASS_SYNC_BY_DESC))
		return d ? d->flags & (M_F_PUBLISH | M_F_REFRESH) : 0;
	return M_F_PUBLISH | M_F_REFRESH;
}

long vf_ioctl_desc(struct vf_file *f, const struct m_ioctl *d, unsigned int cmd,
		   unsigned long arg, bool kernel)
{
	const struct m_limits lim = M_LIMITS_DEFAULT;
	struct vf_actx x = { .f = f, .kernel = kernel };
	const struct m_access acc = { .read = vf_acc_read,
				      .write = vf_acc_write,
				      .fd_to_handle = vf_acc_fd_to_handle,
				      .new_file = vf_acc_new_file,
				      .drop_file = vf_acc_drop_file,
				      .now_ns = vf_acc_now_ns,
				      .ctx = &x };
	struct m_buf buf = { .alloc = &vf_alloc };
	struct m_plan plan = { .alloc = &vf_alloc };
	struct vf_reply rep = { NULL };
	u32 sync = vf_sync_points(f, d);
	struct kvec iov;
	int64_t r, result;

	if (READ_ONCE(f->dead))
		return -EIO;
	r = m_encode_request(d, cmd, arg, &acc, &lim, &buf, &plan);
	if (r)
		goto out;
	if (sync & M_F_PUBLISH) {
		r = vf_maps_publish(f->conn);
		if (r)
			goto out;
	}
	iov.iov_base = buf.data;
	iov.iov_len = buf.len;
	r = vf_call(f->conn, WIRE_OP_IOCTL, f->handle, &iov, 1, &rep);
	if (!rep.frame)
		goto out; /* no reply: the connection failed, or we were killed */
	if (r < 0 && rep.body_len == 0)
		goto out; /* refused or rejected before the call: no body */
	x.seq = rep.seq;
	r = m_apply_reply(d, cmd, arg, &plan, &acc, rep.frame + WIRE_HDR_SIZE,
			  ((struct wire_hdr *)rep.frame)->len - WIRE_HDR_SIZE, &result);
	if (!r)
		r = result;
	if (sync & M_F_REFRESH) {
		int e = vf_maps_invalidate(f->conn);

		if (e && r >= 0)
			r = e;
	}
out:
	vf_reply_free(&rep);
	m_buf_fini(&buf);
	m_plan_fini(&plan);
	return r < -4095 ? -EPROTO : r > INT_MAX ? -EOVERFLOW : r;
}

static long vf_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vf_file *f = file->private_data;
	const struct m_ioctl *d = f->cls ? vdri_class_lookup(f->cls, f->drv, cmd) : NULL;
	long r;

	/* atomic commits with fence properties take the fenced variant (atomic.c) */
	if (cmd == DRM_IOCTL_MODE_ATOMIC && f->cls && vf_atomic_fenced(f, arg, &r))
		return r;
	return vf_ioctl_desc(f, d, cmd, arg, false);
}

#ifdef CONFIG_COMPAT
/* DRM_IOCTL_VERSION as a 32-bit process passes it (size_t and pointers of 4 bytes). */
struct vf_drm_version32 {
	s32 version_major;
	s32 version_minor;
	s32 version_patchlevel;
	u32 name_len;
	u32 name;
	u32 date_len;
	u32 date;
	u32 desc_len;
	u32 desc;
};

#define VF_DRM_IOCTL_VERSION32 DRM_IOWR(0x00, struct vf_drm_version32)
#define VF_VERSION_STR_MAX 4096u /* the tables' bound on version strings */

/* The three strings of a version, through kernel buffers. */
static long vf_compat_version(struct vf_file *f, unsigned long arg)
{
	struct vf_drm_version32 v32;
	struct drm_version v = { 0 };
	u32 *len32[3] = { &v32.name_len, &v32.date_len, &v32.desc_len };
	u32 ptr32[3];
	char *buf[3] = { NULL };
	size_t *len[3] = { &v.name_len, &v.date_len, &v.desc_len };
	char **ptr[3] = { &v.name, &v.date, &v.desc };
	long r = -ENOMEM;
	int i;

	if (copy_from_user(&v32, compat_ptr(arg), sizeof(v32)))
		return -EFAULT;
	ptr32[0] = v32.name;
	ptr32[1] = v32.date;
	ptr32[2] = v32.desc;
	for (i = 0; i < 3; i++) {
		*len[i] = min(*len32[i], VF_VERSION_STR_MAX);
		buf[i] = kzalloc(*len[i] + 1, GFP_KERNEL);
		if (!buf[i])
			goto out;
		*ptr[i] = *len[i] ? buf[i] : NULL;
	}
	r = vf_ioctl_desc(f, vdri_class_lookup(f->cls, NULL, DRM_IOCTL_VERSION), DRM_IOCTL_VERSION,
			  (unsigned long)&v, true);
	if (r)
		goto out;
	for (i = 0; i < 3; i++) {
		/* as the kernel: the whole length back, the bytes that fit copied */
		if (*len32[i] && copy_to_user(compat_ptr(ptr32[i]), buf[i],
					      min_t(size_t, *len[i], *len32[i]))) {
			r = -EFAULT;
			goto out;
		}
		*len32[i] = *len[i];
	}
	v32.version_major = v.version_major;
	v32.version_minor = v.version_minor;
	v32.version_patchlevel = v.version_patchlevel;
	if (copy_to_user(compat_ptr(arg), &v32, sizeof(v32)))
		r = -EFAULT;
out:
	for (i = 0; i < 3; i++)
		kfree(buf[i]);
	return r;
}

/*
 * 32-bit processes.  As DRM's own drm_compat_ioctl: a number the tables
 * know is the same struct in both ABIs (DRM's UAPI uses fixed-size fields;
 * a struct whose layout differs has a different size, so a different
 * number), and goes the native way with the pointer converted.  Of the
 * numbers DRM translates, VERSION (what libdrm asks first) is translated
 * here; the others (legacy maps, buffers, contexts, WAIT_VBLANK, ADDFB2's
 * i386 packing) get ENOTTY.
 */
static long vf_compat_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vf_file *f = file->private_data;
	const struct m_ioctl *d;

	if (!f->cls)
		return -ENOTTY;
	if (cmd == VF_DRM_IOCTL_VERSION32 && f->cls->drivers)
		return vf_compat_version(f, arg);
	d = vdri_class_lookup(f->cls, f->drv, cmd);
	if (!d)
		return -ENOTTY;
	return vf_ioctl(file, cmd, d->flags & M_F_ARG_VALUE ? arg : (unsigned long)compat_ptr(arg));
}
#else
#define vf_compat_ioctl NULL
#endif

/* Which driver's table the file's ioctls use: the name DRM_IOCTL_VERSION reports. */
static void vf_probe_driver(struct vf_file *f)
{
	char name[64] = "";
	struct drm_version v = { .name_len = sizeof(name) - 1, .name = name };
	const struct m_ioctl *d;

	if (!f->cls || !f->cls->drivers)
		return;
	d = vdri_class_lookup(f->cls, NULL, DRM_IOCTL_VERSION);
	if (vf_ioctl_desc(f, d, DRM_IOCTL_VERSION, (unsigned long)&v, true) == 0 &&
	    v.name_len < sizeof(name)) {
		name[v.name_len] = '\0';
		f->drv = vdri_class_driver(f->cls, name);
	}
}

/* ---- open and release ------------------------------------------------------------- */

/* Open flags the backend takes (PROTOCOL.md §7.1); the rest are ours. */
#define VF_OPEN_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK | O_LARGEFILE | O_NOCTTY)

static int vf_open(struct inode *inode, struct file *file)
{
	struct vf_node *node = container_of(inode->i_cdev, struct vf_node, cdev);
	struct wire_open o = { .flags = file->f_flags & VF_OPEN_FLAGS };
	const struct wire_file_info *info;
	struct vf_reply rep = { NULL };
	struct kvec iov[2];
	struct vf_conn *c;
	struct vf_file *f;
	s64 r;

	c = vf_conn_get();
	if (IS_ERR(c))
		return PTR_ERR(c);
	o.path_len = strlen(node->path);
	iov[0].iov_base = &o;
	iov[0].iov_len = sizeof(o);
	iov[1].iov_base = node->path;
	iov[1].iov_len = o.path_len;
	r = vf_call(c, WIRE_OP_OPEN, 0, iov, 2, &rep);
	if (r < 0)
		goto out;
	info = rep.body;
	if (rep.body_len < sizeof(*info) || r > U32_MAX) {
		r = -EPROTO;
		goto out;
	}
	f = vf_file_new(c, (u32)r, info,
			S_ISCHR(info->st.mode) ? vdri_class_for_rdev(info->st.rdev) : NULL,
			node->path);
	if (!f) {
		vf_send_noreply(c, WIRE_OP_CLOSE, (u32)r);
		r = -ENOMEM;
		goto out;
	}
	f->born_seq = rep.seq;
	r = vf_conn_add_file(c, f);
	if (r) {
		vf_conn_put(c);
		kfree(f);
		goto out;
	}
	file->private_data = f;
	f->mapping.host = inode;
	file->f_mapping = &f->mapping;
	vf_probe_driver(f);
	r = 0;
out:
	vf_reply_free(&rep);
	vf_conn_put(c);
	if (r == -EIO)
		r = -ENODEV; /* the backend went away while opening */
	return r;
}

static int vf_release(struct inode *inode, struct file *file)
{
	vf_file_free(file->private_data);
	return 0;
}

/* ---- readiness -------------------------------------------------------------------- */

/* Called by the receive thread (and on failure) with spinlocks held. */
void vf_file_wake(struct vf_file *f, u32 revents)
{
	wake_up_interruptible_poll(&f->wq, revents);
	if (revents & (EPOLLIN | EPOLLERR | EPOLLHUP))
		kill_fasync(&f->fasync, SIGIO, revents & EPOLLIN ? POLL_IN : POLL_HUP);
	else if (revents & EPOLLOUT)
		kill_fasync(&f->fasync, SIGIO, POLL_OUT);
}

static bool vf_ready(struct vf_file *f, u32 mask)
{
	return READ_ONCE(f->dead) || (READ_ONCE(f->revents) & (mask | EPOLLERR | EPOLLHUP));
}

static __poll_t vf_poll(struct file *file, poll_table *pt)
{
	struct vf_file *f = file->private_data;

	poll_wait(file, &f->wq, pt);
	if (READ_ONCE(f->dead))
		return EPOLLERR | EPOLLHUP;
	return (__poll_t)(READ_ONCE(f->revents) & 0xffff);
}

static int vf_fasync(int fd, struct file *file, int on)
{
	struct vf_file *f = file->private_data;

	return fasync_helper(fd, file, on, &f->fasync);
}

/* ---- read, write, llseek ---------------------------------------------------------- */

static ssize_t vf_read(struct file *file, char __user *buf, size_t n, loff_t *ppos)
{
	struct vf_file *f = file->private_data;
	struct wire_read rd = { .offset = -1 };
	struct kvec iov = { &rd, sizeof(rd) };
	struct vf_reply rep;
	s64 r;

	rd.count = min_t(size_t, n, min_t(u32, WIRE_IO_MAX, f->conn->max_frame - 64));
	for (;;) {
		if (READ_ONCE(f->dead))
			return -EIO;
		rep.frame = NULL;
		r = vf_call(f->conn, WIRE_OP_READ, f->handle, &iov, 1, &rep);
		if (r >= 0) {
			if (rep.body_len != r || r > rd.count)
				r = -EPROTO;
			else if (copy_to_user(buf, rep.body, r))
				r = -EFAULT;
		}
		vf_reply_free(&rep);
		if (r != -EAGAIN || (file->f_flags & O_NONBLOCK))
			return r;
		if (wait_event_interruptible(f->wq, vf_ready(f, EPOLLIN)))
			return -ERESTARTSYS;
	}
}

static ssize_t vf_write(struct file *file, const char __user *buf, size_t n, loff_t *ppos)
{
	struct vf_file *f = file->private_data;
	struct wire_write wr = { .offset = -1 };
	struct kvec iov[2];
	void *data;
	s64 r;

	n = min_t(size_t, n, min_t(u32, WIRE_IO_MAX, f->conn->max_frame - 64));
	data = kvmalloc(n ? n : 1, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	if (copy_from_user(data, buf, n)) {
		kvfree(data);
		return -EFAULT;
	}
	iov[0].iov_base = &wr;
	iov[0].iov_len = sizeof(wr);
	iov[1].iov_base = data;
	iov[1].iov_len = n;
	r = vf_maps_publish(f->conn); /* a write may make the device read buffers */
	if (r) {
		kvfree(data);
		return r;
	}
	for (;;) {
		r = -EIO;
		if (READ_ONCE(f->dead))
			break;
		r = vf_call(f->conn, WIRE_OP_WRITE, f->handle, iov, 2, NULL);
		if (r != -EAGAIN || (file->f_flags & O_NONBLOCK))
			break;
		r = -ERESTARTSYS;
		if (wait_event_interruptible(f->wq, vf_ready(f, EPOLLOUT)))
			break;
	}
	kvfree(data);
	return r;
}

static loff_t vf_llseek(struct file *file, loff_t off, int whence)
{
	struct vf_file *f = file->private_data;
	struct wire_lseek l = { .offset = off, .whence = whence };
	struct kvec iov = { &l, sizeof(l) };
	s64 r;

	if (READ_ONCE(f->dead))
		return -EIO;
	r = vf_call(f->conn, WIRE_OP_LSEEK, f->handle, &iov, 1, NULL);
	if (r >= 0)
		file->f_pos = r;
	return r;
}

/* msync(MS_SYNC) lands here: the guest's writes to this file's mappings go out. */
static int vf_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct vf_file *f = file->private_data;

	if (READ_ONCE(f->dead))
		return -EIO;
	return vf_maps_publish_mapping(f->conn, &f->mapping);
}

static int vf_mmap(struct file *file, struct vm_area_struct *vma)
{
	return vf_map_create(file->private_data, vma);
}

const struct file_operations vf_fops = {
	.owner = THIS_MODULE,
	.open = vf_open,
	.release = vf_release,
	.read = vf_read,
	.write = vf_write,
	.llseek = vf_llseek,
	.poll = vf_poll,
	.fasync = vf_fasync,
	.unlocked_ioctl = vf_ioctl,
	.compat_ioctl = vf_compat_ioctl,
	.mmap = vf_mmap,
	.fsync = vf_fsync,
};
