/* SPDX-License-Identifier: MIT */
/*
 * backd.h - vdri-backd internals shared by the daemon, the session workers
 * and the operation handlers.
 *
 * Process model: the daemon (backd.c) listens on the configured transports,
 * reads each connection's HELLO and routes it: a HELLO without a session
 * starts a new session worker process (worker.c); a HELLO naming a session
 * (a forked guest process attaching) is handed to that worker over its
 * control socket with SCM_RIGHTS.  A worker serves every connection of its
 * session with a small pool of threads; remote files (handles) are shared
 * by the session's connections.
 */
#ifndef VDRI_BACKD_H
#define VDRI_BACKD_H

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

#include "isolation/guest.h"
#include "isolation/policy.h"
#include "vdri/classes.h"
#include "vdri/frame_io.h"
#include "vdri/shm.h"
#include "vdri/transport.h"
#include "vdri/wire.h"

#define BACKD_MAX_LISTEN 16

struct backd_config {
	struct vt_addr listen[BACKD_MAX_LISTEN];
	int nlisten;
	struct iso_policy policy;
	int threads; /* per session worker */
	uint32_t max_frame;
	uint32_t max_inflight; /* per connection */
	uint32_t shm_spin_us;  /* most a worker busy-polls a shm request ring */
	int use_syslog;
	int use_stderr;
	int verbose;
	const char *ready_file; /* written once listening (tests, supervisors); owned */
	/* guest blocks in file order: the first whose identity matches is the policy */
	struct iso_guest guests[ISO_MAX_GUESTS];
	int nguests;
	const char *config_path; /* the last file loaded (-c), for reload; owned */
	struct vt_addr status;	 /* where "vdri status" connects (unix:PATH) */
	int has_status;
	int sandbox;	    /* workers sandboxed (default 1) */
	const char *user;   /* workers drop to this user; NULL: stay; owned */
	uint64_t keep_caps; /* capabilities workers keep (bit n = capability n) */
};

/* config.c */
void backd_config_init(struct backd_config *c);
void backd_config_fini(struct backd_config *c);
/*
 * Parse a config file, guest blocks included ("guest NAME" ... "end"), and
 * remember its path in config_path.  0, or -EINVAL with "file:line: reason"
 * in err.  To reload, load into a fresh backd_config_init'ed struct.
 */
int backd_config_load(struct backd_config *c, const char *path, char *err, size_t errlen);
/* Apply one daemon-wide directive ("listen unix:/x"), as from a file line or the CLI. */
int backd_config_directive(struct backd_config *c, const char *key, const char *val, char *err,
			   size_t errlen);

/* log.c: every line names the guest when there is one. */
enum { LOG_E = 3, LOG_W = 4, LOG_I = 6, LOG_D = 7 };
void blog_init(const char *prog, int use_stderr, int use_syslog, int verbose);
void blog_set_guest(const char *who); /* per process: the worker's guest */
void blog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What the daemon hands a worker for each connection. */
struct handoff {
	int fd;
	struct vt_peer peer;
	uint32_t hello_len;
	uint8_t hello[WIRE_HDR_SIZE + sizeof(struct wire_hello) + WIRE_NAME_MAX + 256];
	int serial_tag; /* >= 0: a serial listener the daemon reopens after */
};

/* worker.c: run a session worker; never returns. */
struct iso_acct;
/* g: the guest's policy (copied); acct_slot: the session's accounting slot. */
void worker_main(const struct backd_config *cfg, int ctl_fd, uint64_t session,
		 struct handoff *first, const struct iso_guest *g, struct iso_acct *acct,
		 int acct_slot) __attribute__((noreturn));

#endif
