/* SPDX-License-Identifier: MIT */
/*
 * worker.h - a session worker: its connections, remote files and mappings.
 *
 * Locking (in this order, never the reverse):
 *   wfile.lock   readiness state of one file (held while its events go out)
 *   wconn.tx     one connection's send side
 *   worker.lock  tables: connections, handles, maps, reservations, job queue
 * worker.lock is never held across a system call that may block.
 */
#ifndef VDRI_WORKER_H
#define VDRI_WORKER_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "drm-back/backd.h"
#include "drm-back/drm_atomic.h"
#include "isolation/drm_res.h"

/* What an epoll pointer names (files are keys instead: FILE_KEY in worker.c). */
enum wtag_kind { WT_CONN = 1, WT_CTL, WT_JOBS };

struct wtag {
	enum wtag_kind kind;
};

struct wconn {
	struct wtag tag;
	int fd; /* the stream; for shm, the liveness socket */
	struct fio_rx rx;
	/*
	 * shm: frames go through these rings, and epoll names the connection
	 * by serial (CONN_KEY in worker.c).  rx_state says who reads the
	 * request ring: 0 nobody, 1 one thread, 2 one thread, which must look
	 * again before it lets go (a bell rang meanwhile).
	 */
	struct vshm *shm;
	uint32_t serial;
	int rx_state;
	pthread_mutex_t tx;
	int refs; /* worker list + running jobs (worker.lock) */
	int dead; /* closed: jobs finish, replies are dropped */
	uint32_t inflight;
	int paused; /* not re-armed because inflight reached the limit */
	int serial_tag;
	uint32_t pid;
	char desc[224];
	uint32_t *handles; /* handles this connection holds */
	uint32_t nhandles, caphandles;
	struct wconn *next;
	/* statistics */
	uint64_t nreq, nioctl, nrefused;
};

struct wfile {
	uint32_t handle;
	uint32_t serial; /* tells this file from a later one with the same handle */
	int fd;
	int refs;  /* opens + in-flight users (worker.lock) */
	int opens; /* connections and fork tokens holding the handle */
	int pollable;
	int device;  /* opened by path (a device node), not made by an ioctl */
	int display; /* the guest's policy lets this file use display ioctls */
	pthread_mutex_t lock;
	uint32_t revents; /* last readiness sent */
	const struct vdri_class *cls;
	const struct vdri_driver *drv; /* the driver's table, if the class has drivers */
	struct drm_prop_cache props;   /* DRM: atomic property names seen (f->lock) */
	char name[96];
};

struct wmap {
	uint64_t id;
	void *addr;
	uint64_t len;
	struct wconn *owner;
	struct wfile *file; /* holds a ref */
	int users;	    /* requests using it (worker.lock) */
	int unlinked;	    /* munmapped or its connection closed: freed by the last user */
	/*
	 * What the guest's copy holds, as far as this side knows (PAGES_DIFF
	 * sends only pages that differ); NULL for very large mappings, which
	 * then always send everything.  Guarded by seen_lock.
	 */
	uint8_t *seen;
	pthread_mutex_t seen_lock;
	uintptr_t res_token; /* the buffer object the mapping holds (isolation/drm_res.h) */
	struct wmap *next;
};

struct wreserve {
	uint64_t token;
	uint32_t *handles;
	uint32_t n;
	time_t expires;
	struct wreserve *next;
};

struct wjob {
	struct wjob *next;
	struct wconn *conn;	/* holds a ref */
	struct wire_hdr *frame; /* malloc'd, 8-aligned copy */
};

struct worker {
	const struct backd_config *cfg;
	uint64_t session;
	int epfd, ctl_fd, jobs_fd;
	struct wtag ctl_tag, jobs_tag;
	pthread_mutex_t lock;
	struct wconn *conns;
	struct wfile **files; /* index = handle; 0 unused */
	uint32_t next_serial; /* for struct wfile.serial (worker.lock) */
	uint32_t nfiles;
	struct wmap *maps;
	uint64_t next_map;
	struct wreserve *reserves;
	struct wjob *jobs, *jobs_tail;
	char guest[WIRE_NAME_MAX + 1]; /* the name the guest gave in HELLO */
	struct iso_guest pol;	       /* the policy the daemon matched */
	struct iso_acct *acct;	       /* shared accounting region */
	int acct_slot;		       /* this session's slot in it */
	struct iso_res *res;	       /* the guest's buffer objects */
	uint32_t nopen;		       /* open files (worker.lock) */
	uint32_t max_inflight;	       /* per connection: the daemon's or the guest's */
	uint32_t next_conn_serial;     /* names shm connections in epoll (worker.lock) */
	int spinners;		       /* threads busy-polling a shm ring now (atomic) */
	int max_spinners;	       /* leave a thread for epoll and one CPU for the guest */
};

/* A file's name in the buffer book: its serial and handle. */
#define WFILE_RES_KEY(f) ((uint64_t)(f)->serial << 32 | (f)->handle)

/* worker.c */
struct wfile *worker_file_get(struct worker *w, struct wconn *c, uint32_t handle);
void worker_file_put(struct worker *w, struct wfile *f);
/* Register a real fd as a new handle held by c (takes the fd). 0 or -errno. */
int worker_file_add(struct worker *w, struct wconn *c, int fd, const struct vdri_class *cls,
		    const char *name, struct wfile **out);
/* Start readiness tracking once the handle is known to the guest. */
void worker_file_watch(struct worker *w, struct wfile *f);
/* c gives up its hold on handle.  0 or -EBADF. */
int worker_file_release(struct worker *w, struct wconn *c, uint32_t handle);
/* Re-poll a file and send an event to every holder if readiness changed. */
void worker_file_update(struct worker *w, struct wfile *f);
uint32_t worker_poll_now(int fd);
int worker_send(struct wconn *c, const struct wire_hdr *h, const struct iovec *iov, int niov);
int worker_reply(struct wconn *c, const struct wire_hdr *req, int64_t result, const void *payload,
		 uint32_t len);
void worker_fill_info(int fd, uint32_t revents, struct wire_file_info *info);

/* ops.c: execute one request and send its reply. */
void ops_dispatch(struct worker *w, struct wconn *c, struct wire_hdr *h);
/* Fork tokens and maps, used by ops.c and the connection teardown. */
void ops_conn_gone(struct worker *w, struct wconn *c);

#endif
