/* SPDX-License-Identifier: MIT */
/*
 * sandbox.h - the sandbox a session worker enters before it serves a guest:
 * no new privileges, resource limits, capabilities dropped, optionally
 * another user, and a seccomp filter whose policy is kept as data in
 * sandbox.c (see isolation/README.md, "Sandbox").
 *
 * The filter is built for the architecture of the build (x86_64 or aarch64);
 * a system call of any other architecture (and an x32 call on x86_64) kills
 * the process.
 *
 * Environment: VDRI_SANDBOX_SKIP_SECCOMP=1 leaves the filter out (for
 * valgrind, which lacks the seccomp call and answers some calls itself);
 * iso_sandbox_apply then still applies everything else and says so in its
 * note.
 */
#ifndef VDRI_ISO_SANDBOX_H
#define VDRI_ISO_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

struct iso_sandbox {
	int seccomp;	     /* install the system-call filter */
	uint32_t max_files;  /* RLIMIT_NOFILE soft+hard; 0: leave alone */
	uint64_t max_memory; /* RLIMIT_DATA bytes; 0: leave alone (ignored, with a
				note, under AddressSanitizer: its shadow memory counts) */
	const char *user;    /* NULL: keep the uid; else setgroups (that user's groups from
				getgrouplist), setgid, setuid to it */
	int keep_sys_admin;  /* keep CAP_SYS_ADMIN (DRM master for display guests);
				otherwise every capability is dropped */
	uint64_t keep_caps;  /* further capabilities to keep, bit n for capability n
				(e.g. CAP_NET_ADMIN for /dev/net/tun); 0: none */
};

/*
 * Apply sb to the calling process, before it starts threads (the filter is
 * synchronised to every thread, the rest is per thread or per process).
 * Returns 0 or -errno; err gets the reason on failure and, on success, a
 * note of what was left out ("" when nothing was).  Always:
 *  - PR_SET_NO_NEW_PRIVS;
 *  - RLIMIT_CORE 0;
 *  - RLIMIT_FSIZE 0, since a worker writes no files, and SIGXFSZ ignored, so
 *    that a write past it fails with EFBIG.  Left alone, with a note, when
 *    standard output or error is a regular file (the daemon's log) or a
 *    sanitizer writes its reports to files (log_path in ASAN_OPTIONS or
 *    UBSAN_OPTIONS): those writes must keep working;
 *  - capabilities dropped: inheritable and ambient all, effective,
 *    permitted and the bounding set all but CAP_SYS_ADMIN (keep_sys_admin)
 *    and keep_caps.  A process without CAP_SETPCAP leaves the bounding set
 *    alone, with a note (it has nothing to drop from the others then).
 * Order: limits, bounding set, user, capabilities, no-new-privs, filter.
 * -EBUSY, with nothing applied, when the process already runs threads.
 */
int iso_sandbox_apply(const struct iso_sandbox *sb, char *err, size_t errlen);

/* The system-call policy as data, for tests and documentation. */
enum iso_sc_action {
	ISO_SC_ALLOW = 1, /* allowed (some only with an argument check: clone, prctl, ...) */
	ISO_SC_KILL,	  /* the whole process dies by SIGSYS */
	ISO_SC_ERRNO,	  /* fails: EPERM, or ENOSYS for clone3 */
};

/* What the filter does with system call nr (ignoring argument checks). */
enum iso_sc_action iso_sandbox_action(long nr);
/* One line: "N allowed, M kill, K ENOSYS, rest EPERM (arch)". */
const char *iso_sandbox_describe(void);

#endif
