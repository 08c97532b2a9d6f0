/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vdri_front.h - internals of vdri_front.ko, the kernel-module form of
 * drm-front: virtual /dev/dri nodes whose file operations are forwarded
 * to a driver VM's vdri-backd (core/PROTOCOL.md).
 *
 * Objects and their references:
 *   vf_node  one character device (/dev/dri/<local>) standing for a
 *            device file of the driver VM (/dev/dri/<remote>); lives as
 *            long as the module.
 *   vf_conn  one connection to the backend (one session).  Counted: the
 *            module's "current connection" pointer, every vf_file and
 *            every call in flight hold a reference.  The receive thread
 *            holds none: the last put stops it before freeing.
 *   vf_file  one open remote file (a node opened, or a file an ioctl
 *            created: dma-buf, sync_file, syncobj fd) behind one struct
 *            file.
 *
 * Locking: vf_conn.lock (a spinlock) guards the pending requests, the
 * dead flag, the missed-event table and the files' readiness; the files
 * xarray has its own lock.  vf_conn.send_lock (a mutex) serialises frames
 * on the socket and is the only sleeping lock on a request's path; no
 * other lock is held while sleeping.  Every wait for the backend is
 * killable, and a lost connection completes every waiter with -EIO.
 */
#ifndef VDRI_FRONT_H
#define VDRI_FRONT_H

#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "core/drm/drm_props.h"
#include "vdri/classes.h"
#include "vdri/wire.h"

#define VF_NAME_MAX 32
#define VF_NODES_MAX 16
#define VF_MISSED 16

struct vf_node {
	char remote[VF_NAME_MAX];	 /* under /dev/dri/ in the driver VM */
	char local[VF_NAME_MAX];	 /* under /dev/dri/ here */
	char path[VF_NAME_MAX + 16];	 /* "/dev/dri/<remote>" (the OPEN path) */
	struct cdev cdev;
	struct device *dev;
	dev_t devt;
	/* drm_names=1 (discovery.c) */
	struct platform_device *pdev;
	struct kobject *drm_kobj;
};

/* A reply handed from the receive thread to the waiting caller. */
struct vf_reply {
	void *frame;	/* whole frame, header included (kvfree) */
	const void *body; /* after struct wire_reply */
	u32 body_len;
	u64 seq;	/* the receiver's frame count when it came (events after it are newer) */
};

struct vf_conn {
	struct kref ref;
	struct socket *sock;
	struct task_struct *rx;	/* receive thread (task reference held) */
	struct mutex send_lock;
	spinlock_t lock;
	struct list_head pending;	/* struct vf_req, waiting for replies */
	struct xarray files;		/* handle -> struct vf_file */
	u32 next_id;
	u32 max_frame;
	u64 session;
	bool dead;
	u64 rx_seq;			/* frames received (receive thread) */
	/* events for handles not registered yet (an OPEN reply being applied) */
	struct {
		u32 handle;
		u32 revents;
		u64 seq;
	} missed[VF_MISSED];
	u32 missed_next;
	struct mutex maps_lock;		/* guards maps (map.c) */
	struct list_head maps;		/* struct vf_map of every mmap */
	char desc[64];		/* "tcp:10.0.2.2:7070", for logs */
};

struct vf_file {
	struct vf_conn *conn;
	u32 handle;
	u32 revents;		/* readiness mirror (EVENT frames) */
	bool dead;
	wait_queue_head_t wq;
	struct fasync_struct *fasync;
	const struct vdri_class *cls;
	const struct vdri_driver *drv;
	const char *what;	/* node path or "(from ioctl)", for logs */
	struct address_space mapping; /* the file's f_mapping: its mmaps' pages */
	struct drm_prop_cache props;	/* atomic.c, under conn->lock */
	u64 born_seq;			/* the reply that made it: only later events apply */
};

/* main.c: settings */
extern unsigned int vf_timeout_ms;
extern char *vf_guest_name;
extern char *vf_token;

/* conn.c */
int vf_addr_parse(const char *uri);
const char *vf_addr_desc(void);
struct vf_conn *vf_conn_get(void);
void vf_conn_put(struct vf_conn *c);
int vf_conn_init(void);
void vf_conn_shutdown_current(void);
s64 vf_call(struct vf_conn *c, u16 op, u32 handle, struct kvec *iov, int niov,
	    struct vf_reply *rep);
void vf_send_noreply(struct vf_conn *c, u16 op, u32 handle);
void vf_send_noreply_iov(struct vf_conn *c, u16 op, u32 handle, struct kvec *iov, int niov);
void vf_reply_free(struct vf_reply *rep);
int vf_conn_add_file(struct vf_conn *c, struct vf_file *f);
void vf_conn_del_file(struct vf_conn *c, struct vf_file *f);

/* discovery.c */
int vf_drm_minor_of(const char *name);
int vf_drm_name_pick(struct vf_node *nd, bool (*taken)(const char *name));
int vf_discovery_add(struct vf_node *nd, struct class *cls);
void vf_discovery_remove(struct vf_node *nd, struct class *cls);

/* map.c */
extern atomic64_t vf_stat_fetched, vf_stat_published, vf_stat_invalidated;
void vf_mapping_init(struct address_space *mapping, struct inode *host);
int vf_map_create(struct vf_file *f, struct vm_area_struct *vma);
int vf_maps_publish(struct vf_conn *c);
int vf_maps_invalidate(struct vf_conn *c);
int vf_maps_publish_mapping(struct vf_conn *c, struct address_space *mapping);

/* file.c */
extern const struct file_operations vf_fops;
long vf_ioctl_desc(struct vf_file *f, const struct m_ioctl *d, unsigned int cmd,
		   unsigned long arg, bool kernel);
int vf_new_file_fd(struct vf_file *f, u32 handle, const struct wire_file_info *info, u64 seq);
int vf_fd_to_handle(struct vf_file *f, int ufd, u32 *handle);

/* atomic.c */
bool vf_atomic_fenced(struct vf_file *f, unsigned long arg, long *result);
void vf_file_wake(struct vf_file *f, u32 revents);

#endif /* VDRI_FRONT_H */
