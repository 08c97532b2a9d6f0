/* SPDX-License-Identifier: MIT */
/*
 * front.h - internals of libvdri-front.so, the LD_PRELOAD frontend.
 *
 * A forwarded file is a struct rfile.  The guest sees it as a real kernel
 * fd: an eventfd (the stand-in) whose readiness mirrors the remote file's,
 * so poll/select/epoll and dup work on it.  Every local fd number that
 * refers to the stand-in (after dup) maps to the same rfile.
 *
 * One connection (struct fconn) per process carries every request.  A
 * thread waiting for a reply reads the socket itself when nobody else does
 * (leader/follower: no hand-off between threads on the common path); a
 * background thread reads readiness events while no request is in flight.  After fork the child
 * opens its own connection and attaches to the session with a fork token;
 * across exec the connection socket and a small state memfd survive and the
 * new image adopts them (state.c).
 *
 * Locking: front_lock protects the fd table, the handle tables and the
 * waiter list.  A connection's tx lock serializes its sends.  Never hold
 * front_lock while waiting for a reply.
 */
#ifndef VDRI_FRONT_H
#define VDRI_FRONT_H

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/drm/drm_props.h"
#include "vdri/classes.h"
#include "vdri/frame_io.h"
#include "vdri/shm.h"
#include "vdri/transport.h"
#include "vdri/wire.h"

#define FRONT_EXPORT __attribute__((visibility("default")))
#define FRONT_PRIVATE_FD_MIN 200 /* private fds are placed at or above this */
#define FRONT_MAX_GLOBS 32

/* The libc functions we interpose, resolved with dlsym(RTLD_NEXT). */
struct real_fns {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*close)(int);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	int (*ioctl)(int, unsigned long, ...);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*fcntl)(int, int, ...);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	int (*msync)(void *, size_t, int);
};
extern struct real_fns real;

struct front_config {
	struct vt_addr addr;
	char addr_uri[300];
	char *globs[FRONT_MAX_GLOBS];
	int nglobs;
	char name[WIRE_NAME_MAX + 1];
	uint8_t token[256]; /* VDRI_TOKEN / VDRI_TOKEN_FILE: sent in HELLO after the name */
	uint16_t token_len;
	int log;	      /* VDRI_LOG=1: diagnostics on stderr */
	int timeout_ms;	      /* connect timeout */
	uint32_t shm_ring;    /* shm: bytes per ring (VDRI_SHM_RING) */
	uint32_t shm_spin_us; /* shm: most µs to busy-poll for a reply (VDRI_SHM_SPIN_US) */
};
extern struct front_config fcfg;

struct fconn;

struct rfile {
	uint32_t handle;
	struct fconn *conn;
	int efd;	  /* private CLOEXEC dup of the stand-in eventfd */
	int nfds;	  /* local fd numbers mapped to this rfile */
	int refs;	  /* nfds + operations in progress */
	uint32_t revents; /* readiness mirror */
	uint32_t evseq;	  /* EVENTs applied so far (front_lock) */
	int status;	  /* F_GETFL as the guest sees it (access mode, O_NONBLOCK, ...) */
	int dead;
	const struct vdri_class *cls;
	const struct vdri_driver *drv; /* the driver's table (set once, by drmdev_probe) */
	struct drm_prop_cache props;   /* DRM atomic property kinds seen (drmdev.c, front_lock) */
	struct wire_stat st;
	char path[256];
};

struct fconn {
	int fd;		  /* the stream; for shm, the liveness socket */
	struct vshm *shm; /* shm: frames go through its rings (fd carries nothing more) */
	int dead;
	int refs; /* the process's current-connection ref + rfiles + requests */
	uint64_t session;
	uint32_t max_frame;
	uint64_t features; /* WIRE_FEAT_* agreed in HELLO (0 after exec: the basic set) */
	/*
	 * Handles whose EVENT arrived before their file existed here (the reply
	 * creating it was still on its way to the requesting thread): such a
	 * file asks for its readiness once it exists (front_lock).
	 */
	uint32_t missed[8];
	uint32_t nmissed;
	pthread_mutex_t tx;
	struct waiter *waiters; /* requests in flight (front_lock) */
	uint32_t next_id;
	struct rfile **byhandle; /* handle -> rfile (front_lock) */
	uint32_t nbyhandle;
	/* Who reads the socket (front_lock): nobody, the background thread
	 * (only while no request is in flight), or a requesting thread. */
	int role;
	uint32_t inflight;
	uint64_t activity; /* requests started, ever */
	uint32_t bg_word;  /* futex: the background thread waits for its turn */
	int kick_fd;	   /* eventfd that pulls the background thread out of poll */
	int kicked;
	struct fio_rx rx; /* used only by the role holder */
	pthread_t reader;
	int reader_started;
};
enum { ROLE_NONE = 0, ROLE_BG, ROLE_REQ };

/* A request in flight: the reader thread completes it. */
struct waiter {
	struct waiter *next;
	uint32_t id;
	uint32_t done;
	uint32_t word; /* futex: bumped when done or when the read role is free */
	int sleeping;  /* in futex_wait on word (front_lock) */
	int err;       /* -errno when the connection died */
	void *frame;   /* malloc'd copy of the reply frame */
};

extern pthread_mutex_t front_lock;

/* config.c */
void front_config_load(void);
int front_path_matches(const char *path);
void front_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* conn.c */
/* The live connection (connecting if needed), with a ref; NULL and errno set. */
struct fconn *conn_get_current(void);
void conn_put(struct fconn *c);
/*
 * Send a request and wait for its reply.  On success *reply is the
 * malloc'd reply frame (free it) and the return value is the result from
 * struct wire_reply; otherwise -errno (-EIO when the connection is lost).
 */
int64_t conn_call(struct fconn *c, uint16_t op, uint32_t handle, const struct iovec *iov, int niov,
		  struct wire_hdr **reply);
/* Reply payload after struct wire_reply, and its length. */
const void *reply_body(const struct wire_hdr *r, uint32_t *len);
void conn_after_fork_child(uint64_t token, int had_conn);
uint64_t conn_fork_token(void);
/*
 * Adopt a connection fd inherited across exec; shm_fds (NULL for a stream):
 * the region and bells of its rings of ring_size bytes.
 */
struct fconn *conn_adopt(int fd, uint64_t session, uint32_t max_frame, int *shm_fds,
			 uint32_t ring_size);
void conn_start_reader(struct fconn *c);
void conn_child_start(void);
/* front_lock held: a thread waits for readiness; have events read. */
void conn_want_events_locked(void);
int front_conn_fd(void);
/* The live connection's shm descriptors (region, bells): 1 and fds[VSHM_NFDS], or 0. */
int front_conn_shm(int *fds, uint32_t *ring_size);
uint64_t front_conn_session(void);
uint32_t front_conn_max_frame(void);

/* rfile.c */
struct rfile *rfile_get(int fd); /* with a ref, or NULL if fd is not forwarded */
void rfile_put(struct rfile *f);
/*
 * A new rfile from an OPEN reply or an ioctl reply -> new local fd, or
 * -errno.  efd >= 0: use that existing stand-in (state restored after exec).
 */
int rfile_create(struct fconn *c, uint32_t handle, const struct wire_file_info *info,
		 const struct vdri_class *cls, const char *path, int oflags, int efd);
/* Map another local fd number to f (dup); caller holds front_lock. */
void rfile_map_fd_locked(int fd, struct rfile *f);
/* Local fd closed or replaced: drop its mapping.  Returns 1 if it was forwarded. */
int rfile_unmap_fd(int fd);
int rfile_is_private_fd(int fd);
void front_private_mark(int fd, int on);
void front_fdmap_init(void);
void rfile_set_revents_locked(struct rfile *f, uint32_t revents);
void rfile_conn_died_locked(struct fconn *c);
/* Wait until f's mirror has any of events (or the file died); 0 or -EINTR. */
int rfile_wait(struct rfile *f, uint32_t events, int timeout_ms);
int rfile_is_forwarded(int fd);
void front_notify_waiters_locked(void);
int front_readiness_waiters_locked(void);
/* Iterate mapped fds (state.c, fork): calls fn for each (fd, rfile). */
void rfile_foreach_locked(void (*fn)(int fd, struct rfile *f, void *arg), void *arg);
int front_poll(struct pollfd *fds, nfds_t n, int timeout_ms);

/* ops.c: the forwarded file operations (return -errno on failure). */
int fop_open(const char *path, int flags, mode_t mode);
ssize_t fop_read(struct rfile *f, void *buf, size_t n, int64_t off);
ssize_t fop_write(struct rfile *f, const void *buf, size_t n, int64_t off);
int fop_ioctl(struct rfile *f, unsigned long cmd, void *arg);
/* The same with the descriptor chosen by the caller (a class variant). */
int fop_ioctl_desc(struct rfile *f, const struct m_ioctl *d, unsigned long cmd, void *arg);
/* Guest memory, checked (EFAULT instead of a crash): 0 or -EFAULT. */
int fop_copy_in(void *dst, const void *src, size_t n);
int fop_copy_out(void *dst, const void *src, size_t n);
/* A DRM atomic commit with fence properties: 1 and *result if handled (drmdev.c). */
int drmdev_atomic(struct rfile *f, void *arg, int *result);
/* A file just made from a reply: fetch its readiness if an EVENT for it was missed. */
void fop_file_created(int fd);
/* Ask the backend for a forwarded fd's readiness now (after exec). */
void fop_refresh_readiness(int fd);
/* Learn the driver behind a forwarded fd of a class with drivers (drmdev.c). */
void drmdev_probe(int fd);
/* Let the sysfs view fetch the driver VM's DRM nodes on first use. */
void drmdev_init(void);
int fop_fstat(struct rfile *f, struct wire_stat *st);
int fop_stat_path(const char *path, int nofollow, struct wire_stat *st);
int64_t fop_lseek(struct rfile *f, int64_t off, int whence);
void *fop_mmap(struct rfile *f, void *addr, size_t len, int prot, int flags, off_t off);
/* munmap/msync of a forwarded mapping: 1 handled (result in *ret), 0 not ours. */
int fop_munmap(void *addr, size_t len, int *ret);
int fop_msync(void *addr, size_t len, int flags, int *ret);

/* state.c: exec survival. */
void state_save(void);
void state_restore(void);
void state_after_fork_child(void);

#endif
