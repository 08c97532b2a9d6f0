/* SPDX-License-Identifier: MIT */
/*
 * harness.h - integration-test helpers: start and stop a real vdri-backd,
 * run this test binary's CLIENT functions under the LD_PRELOAD frontend
 * (or natively), talk raw frames to the daemon.
 */
#ifndef VDRI_TEST_HARNESS_H
#define VDRI_TEST_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

struct backd {
	pid_t pid;
	char dir[64];	/* private temp dir */
	char uri[160];	/* where clients connect */
	char log[128];	/* daemon's stderr */
	char netns[32]; /* non-empty: the daemon runs in this network namespace */
};

/* The build directory (build/VARIANT) this test binary belongs to. */
const char *h_build_dir(void);
/*
 * Start vdri-backd listening on uri (NULL: a unix socket in a temp dir; a
 * scheme alone, e.g. "shm": that kind of socket in the temp dir),
 * exporting the given NULL-terminated globs, plus extra arguments.  Waits
 * until it is ready.  Fails the test on error.
 */
void h_backd_start(struct backd *b, const char *uri, const char *const *exports,
		   const char *const *extra);
void h_backd_stop(struct backd *b);
/* SIGKILL the daemon (its workers die with it) and wait for it. */
void h_backd_kill(struct backd *b);
/* Pids of the daemon's session workers (children); returns the count. */
int h_backd_workers(const struct backd *b, pid_t *out, int max);
/* Does the daemon's log contain needle? */
int h_log_contains(const struct backd *b, const char *needle);

/*
 * Run CLIENT name with args (NULL-terminated), forwarded through b with
 * VDRI_PATHS=paths (b == NULL: natively, no preload).  Captures stdout and
 * stderr into out (NUL-terminated).  Returns the exit status, or -1 on a
 * signal or time-out.
 */
int h_run_client(const struct backd *b, const char *paths, const char *name,
		 const char *const *args, char *out, size_t outlen, int timeout_s);
/* Same for any program (argv[0] looked up in PATH). */
int h_run_program(const struct backd *b, const char *paths, const char *const *argv, char *out,
		  size_t outlen, int timeout_s);

/* Start a client without waiting: its stdin and stdout are pipes. */
struct h_proc {
	pid_t pid;
	int in;	 /* write to the client's stdin */
	int out; /* read the client's stdout+stderr */
};
void h_client_start(const struct backd *b, const char *paths, const char *name,
		    const char *const *args, struct h_proc *p);
/* Read one line from the client within timeout_s; 0 or -1. */
int h_proc_line(struct h_proc *p, char *line, size_t len, int timeout_s);
/* Wait for exit within timeout_s; returns the exit status or -1. */
int h_proc_wait(struct h_proc *p, int timeout_s);

/* Connect raw to a unix: or shm: URI (the socket); returns the fd. */
int h_connect_raw(const struct backd *b);
/* Send a valid HELLO on a raw connection and read the reply; 0 or -errno. */
int h_raw_hello(int fd);

#endif
