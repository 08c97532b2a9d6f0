/* SPDX-License-Identifier: MIT */
/*
 * guest.h - who a guest is and what it may do: the per-guest policy.
 *
 * A configuration file names guests in blocks ("guest NAME" ... "end",
 * parsed by drm-back/config.c, one directive at a time through
 * iso_guest_directive).  Each connection is matched against the blocks in
 * file order by its transport identity and HELLO token (iso_guest_match);
 * the first block that matches is that guest's policy.  The policy is plain
 * data (no pointers), so the daemon can copy it by value into a worker.
 * See isolation/README.md.
 */
#ifndef VDRI_ISO_GUEST_H
#define VDRI_ISO_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "isolation/policy.h"

enum iso_role { ISO_ROLE_DISPLAY = 0, ISO_ROLE_RENDER };
enum iso_dom { ISO_DOM_SYSTEM = 0, ISO_DOM_VRAM, ISO_DOM_N }; /* GTT/system memory, device-local */
enum iso_flink { ISO_FLINK_OWN = 0, ISO_FLINK_DENY };

#define ISO_UNLIMITED UINT64_MAX
#define ISO_MAX_GUESTS 32
#define ISO_GUEST_GLOBS 16
#define ISO_GUEST_IOCTLS 32
#define ISO_GLOB_MAX 128
#define ISO_TOKEN_MIN 8
#define ISO_TOKEN_MAX 256 /* the HELLO's token_len limit (core/PROTOCOL.md §6.2) */

struct iso_guest {
	char name[64];
	int line; /* config line of the block, for messages */
	/* identity: a connection matches when every criterion given holds; a block needs >= 1 */
	int match_any; /* "match any": a catch-all */
	int has_token;
	uint16_t token_len;
	uint8_t token[ISO_TOKEN_MAX]; /* HELLO token (shared secret), compared in constant time */
	int has_uid;
	uint32_t uid; /* unix peer credentials */
	int has_cid;
	uint32_t cid; /* vsock peer */
	int has_addr;
	char addr[64];	    /* tcp peer IP literal (v4 or v6) */
	enum iso_role role; /* default display */
	/* paths it may open (globs, FNM_PATHNAME); none = every export */
	char opens[ISO_GUEST_GLOBS][ISO_GLOB_MAX];
	int nopens;
	/* display role: files (by opened path) that may use display ioctls; none = any it opens */
	char masters[ISO_GUEST_GLOBS][ISO_GLOB_MAX];
	int nmasters;
	uint64_t mem[ISO_DOM_N];   /* partition in bytes, ISO_UNLIMITED by default */
	uint32_t max_files;	   /* open remote files per session (default 1024) */
	uint32_t max_inflight;	   /* 0: the daemon's max-inflight */
	uint32_t max_call_bytes;   /* 0: default marshal limit (8 MiB) */
	uint32_t max_call_buffers; /* 0: default (4096) */
	/* per-guest additions: forwarded even without descriptor (flat) / despite the role */
	uint32_t allow[ISO_GUEST_IOCTLS];
	int nallow;
	uint32_t deny[ISO_GUEST_IOCTLS]; /* refused even with a descriptor */
	int ndeny;
	/*
	 * own (default): GEM names only from this guest's own FLINK calls;
	 * deny: FLINK and GEM_OPEN refused
	 */
	enum iso_flink flink;
	uint32_t given; /* directives seen in this block, one bit each ("given twice") */
};

/* Who connects: filled by drm-back from the transport peer and the HELLO. */
struct iso_ident {
	enum iso_id_kind { ISO_ID_UNIX, ISO_ID_TCP, ISO_ID_VSOCK, ISO_ID_SERIAL } kind;
	uint32_t uid;	      /* unix */
	uint32_t cid;	      /* vsock */
	const char *addr;     /* tcp: peer IP literal, else NULL */
	const uint8_t *token; /* HELLO token bytes, may be 0 */
	size_t token_len;
	const char *name; /* HELLO guest name (informational) */
};

void iso_guest_init(struct iso_guest *g, const char *name, int line);
/* A guest name: 1..63 bytes of letters, digits, '.', '_', '-'.  0 or -EINVAL with why. */
int iso_guest_name_check(const char *name, char *err, size_t errlen);
/* One directive inside a guest block.  0 or -EINVAL with the reason in err. */
int iso_guest_directive(struct iso_guest *g, const char *key, const char *val, char *err,
			size_t errlen);
/*
 * At "end": the block is complete and consistent with the daemon's exports
 * known so far (a literal open or master path must match one).  0 or -EINVAL.
 */
int iso_guest_finish(struct iso_guest *g, const struct iso_policy *p, char *err, size_t errlen);
/* Does g clash with one of the n blocks gs before it (same name or same token)?  0 or -EINVAL. */
int iso_guest_clash(const struct iso_guest *gs, int n, const struct iso_guest *g, char *err,
		    size_t errlen);
/* First guest (file order) whose identity matches, or NULL. */
const struct iso_guest *iso_guest_match(const struct iso_guest *gs, int n,
					const struct iso_ident *id);
/*
 * OPEN/STAT: the daemon's exports (iso_may_open) and the guest's opens
 * (g may be NULL: exports only).  0, -EACCES, -EINVAL with why.
 */
int iso_guest_may_open(const struct iso_guest *g, const struct iso_policy *p, const char *path,
		       const char **why);
/*
 * May a file opened from path use display ioctls (M_F_DISPLAY)?  Role
 * display and a master glob matches (or none given).  g NULL: yes.
 */
int iso_guest_may_display(const struct iso_guest *g, const char *path);
const char *iso_role_name(enum iso_role r);
const char *iso_dom_name(enum iso_dom d);

/*
 * The ioctl number of a descriptor name ("DRM_IOCTL_MODE_SETCRTC"),
 * searched in every table of every class, driver and variant
 * (vdri/classes.h).  0 or -ENOENT.
 */
int iso_ioctl_by_name(const char *name, uint32_t *cmd);

#endif
