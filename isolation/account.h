/* SPDX-License-Identifier: MIT */
/*
 * account.h - per-guest GPU memory partitions and counters, shared by the
 * daemon and its workers.
 *
 * The daemon maps one region (shared, anonymous) before it forks any
 * worker.  A guest (a configured policy name) has one slot: its partition
 * (a limit per memory domain), what all its sessions use now, peaks and
 * refusals.  A session (one worker process) has one slot: what it has
 * charged, its files and ioctl counts.  Workers charge and uncharge with
 * atomic operations, so two sessions of one guest share one partition;
 * the daemon owns slot allocation, returns a dead worker's charges to its
 * guest, and formats the status report from the region.
 */
#ifndef VDRI_ISO_ACCOUNT_H
#define VDRI_ISO_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "isolation/guest.h"

#define ISO_ACCT_GUESTS 64
#define ISO_ACCT_SESSIONS 256

struct iso_acct_guest {
	char name[64];
	uint32_t in_use;
	uint32_t role; /* enum iso_role */
	uint64_t limit[ISO_DOM_N];
	uint64_t used[ISO_DOM_N];
	uint64_t peak[ISO_DOM_N];
	uint64_t noom;	       /* creates refused by the partition */
	uint64_t ended_ioctls; /* counters of sessions that have ended */
	uint64_t ended_refused;
	uint64_t sessions_total;
};

struct iso_acct_session {
	uint32_t in_use;
	int32_t guest; /* slot index */
	uint64_t id;
	int32_t pid;
	int32_t reserved;
	int64_t started; /* CLOCK_REALTIME seconds */
	char peer[128];
	uint64_t charged[ISO_DOM_N];
	uint64_t files, conns;
	uint64_t nioctl, nrefused, noom;
};

struct iso_acct {
	uint32_t magic;
	int32_t daemon_pid;
	int64_t started;
	struct iso_acct_guest guest[ISO_ACCT_GUESTS];
	struct iso_acct_session session[ISO_ACCT_SESSIONS];
};

enum iso_ctr { ISO_CTR_FILES, ISO_CTR_CONNS, ISO_CTR_IOCTL, ISO_CTR_REFUSED };

/* ---- daemon ---- */
/* Map the region (MAP_SHARED | MAP_ANONYMOUS).  NULL with errno on failure. */
struct iso_acct *iso_acct_create(void);
void iso_acct_destroy(struct iso_acct *a);
/*
 * The slot of a guest by name, allocated on first use; its limits and role
 * are (re)set from g, so a reloaded configuration applies at once.  Slot
 * index or -ENOSPC.
 */
int iso_acct_guest(struct iso_acct *a, const struct iso_guest *g);
/* A new session of guest slot gi: slot index or -ENOSPC. */
int iso_acct_session_start(struct iso_acct *a, int gi, uint64_t id, pid_t pid, const char *peer);
/*
 * The worker of session slot si is gone: what it still had charged goes
 * back to its guest (returned in left[], for the log) and the slot is freed.
 */
void iso_acct_session_end(struct iso_acct *a, int si, uint64_t left[ISO_DOM_N]);

/* ---- worker ---- */
/*
 * Charge bytes of domain d to session si's guest.  0, or -ENOMEM when the
 * guest's partition would be exceeded (nothing charged, counted as a
 * refusal).  force: charge even past the limit (a driver gave more than
 * estimated).
 */
int iso_acct_charge(struct iso_acct *a, int si, int d, uint64_t bytes, int force);
void iso_acct_uncharge(struct iso_acct *a, int si, int d, uint64_t bytes);
void iso_acct_count(struct iso_acct *a, int si, enum iso_ctr c, int64_t delta);

/* ---- both ---- */
/* What one guest uses now, in domain d. */
uint64_t iso_acct_used(const struct iso_acct *a, int gi, int d);
/* The status report (text, one guest per line, its sessions indented). */
size_t iso_acct_format(const struct iso_acct *a, char *buf, size_t len);

#endif
