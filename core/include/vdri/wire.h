/* SPDX-License-Identifier: MIT */
/*
 * wire.h - vdri wire protocol v1: frame header, operations, payload structs.
 *
 * Protocol notes (the full text is core/PROTOCOL.md):
 *  1. Every frame starts with a 16-byte little-endian header: total length,
 *     operation, flags, request id, remote-file handle.
 *  2. A request carries an id chosen by the sender; its reply carries the
 *     same id and WIRE_F_REPLY.  Replies may come in any order, so many
 *     threads and processes share one connection.
 *  3. Every reply payload starts with a signed 64-bit result: >= 0 success
 *     (a byte count, a handle, an ioctl's return value), < 0 a negated Linux
 *     errno.
 *  4. Events (readiness changes) flow backend -> frontend with WIRE_F_EVENT
 *     and id 0.  The backend sends a file's event before the reply of the
 *     operation that caused it, so a reply never overtakes its readiness.
 *  5. Structs here are packed by construction (explicit reserved fields,
 *     8-byte aligned members).  A request shorter than its operation's
 *     fixed struct is malformed and closes the connection (wire_hdr_check);
 *     wire_take zero-extends only where a struct is followed by optional
 *     data.  Version 1 has no older peers; a later version that grows a
 *     struct must bump WIRE_VERSION or add a feature bit.
 *  7. Both ends are little-endian hosts today: fixed structs are used in
 *     place, and the vdri_le*() helpers mark the fields a big-endian port
 *     must convert.
 *  6. Open flags, errno values, poll bits and dev_t follow Linux's generic
 *     (x86-64 / asm-generic) numbering on both sides.
 */
#ifndef VDRI_WIRE_H
#define VDRI_WIRE_H

#include "vdri/types.h"

#define WIRE_MAGIC 0x49524456u /* "VDRI" read as a little-endian u32 */
#define WIRE_VERSION 1
#define WIRE_HDR_SIZE 16u
#define WIRE_FRAME_MIN_LIMIT (64u * 1024u)
#define WIRE_FRAME_DEFAULT_LIMIT (16u * 1024u * 1024u)
#define WIRE_FRAME_MAX_LIMIT (256u * 1024u * 1024u)
#define WIRE_NAME_MAX 64u
#define WIRE_PATH_MAX 4096u
#define WIRE_IO_MAX (8u * 1024u * 1024u) /* largest read/write/page chunk */

/* Feature bits negotiated in HELLO. */
#define WIRE_FEAT_EVENTS (1ull << 0) /* readiness events */
#define WIRE_FEAT_MMAP (1ull << 1)   /* mmap + page transfer */
#define WIRE_FEAT_FORK (1ull << 2)   /* FORK tokens and attach */
#define WIRE_FEAT_DIFF (1ull << 3)   /* PAGES_DIFF */
#define WIRE_FEAT_ALL (WIRE_FEAT_EVENTS | WIRE_FEAT_MMAP | WIRE_FEAT_FORK | WIRE_FEAT_DIFF)
/*
 * Not in WIRE_FEAT_ALL: asking for it changes the handshake (a SHM_SETUP
 * follows the HELLO), so only a frontend that sends one sets it.
 */
#define WIRE_FEAT_SHM (1ull << 4) /* frames move to shared-memory rings */

/* Header flags. */
#define WIRE_F_REPLY 0x0001u
#define WIRE_F_EVENT 0x0002u
#define WIRE_F_KNOWN (WIRE_F_REPLY | WIRE_F_EVENT)

enum wire_op {
	WIRE_OP_INVALID = 0,
	WIRE_OP_HELLO = 1,
	WIRE_OP_FORK = 2,
	WIRE_OP_OPEN = 3,
	WIRE_OP_CLOSE = 4,
	WIRE_OP_READ = 5,
	WIRE_OP_WRITE = 6,
	WIRE_OP_IOCTL = 7,
	WIRE_OP_POLL = 8,
	WIRE_OP_EVENT = 9,
	WIRE_OP_FSTAT = 10,
	WIRE_OP_STAT = 11,
	WIRE_OP_LSEEK = 12,
	WIRE_OP_MMAP = 13,
	WIRE_OP_MUNMAP = 14,
	WIRE_OP_PAGES_READ = 15,
	WIRE_OP_PAGES_WRITE = 16,
	WIRE_OP_PING = 17,
	WIRE_OP_PAGES_DIFF = 18,
	WIRE_OP_SYSINFO = 19,
	WIRE_OP_SHM_SETUP = 20,
	WIRE_OP_COUNT
};

struct wire_hdr {
	uint32_t len;	 /* whole frame, header included */
	uint16_t op;	 /* enum wire_op */
	uint16_t flags;	 /* WIRE_F_* */
	uint32_t id;	 /* request id, echoed by the reply; 0 for events */
	uint32_t handle; /* remote file, 0 when the operation has none */
};
vdri_static_assert(sizeof(struct wire_hdr) == WIRE_HDR_SIZE, "wire_hdr size");

/* Every reply payload starts with this. */
struct wire_reply {
	int64_t result;
};

/* HELLO (frontend -> backend, id 1, first frame on a connection). */
struct wire_hello {
	uint32_t magic;
	uint16_t version_min;
	uint16_t version_max;
	uint64_t features;
	uint64_t session;      /* 0: new session; else session to attach to */
	uint64_t attach_token; /* token from a FORK reply when session != 0 */
	uint32_t pid;	       /* guest process, for logs only */
	uint16_t name_len;     /* guest identity bytes that follow */
	uint16_t token_len;    /* shared-secret bytes that follow the name */
};
vdri_static_assert(sizeof(struct wire_hello) == 40, "wire_hello size");

struct wire_hello_reply {
	uint16_t version;
	uint16_t reserved0;
	uint32_t max_frame;
	uint64_t features;
	uint64_t session;
	uint32_t attached; /* handles taken over from the attach token */
	uint32_t reserved1;
};
vdri_static_assert(sizeof(struct wire_hello_reply) == 32, "wire_hello_reply size");

/*
 * SHM_SETUP (frontend -> backend on the unix socket, right after a HELLO
 * asking for WIRE_FEAT_SHM; no reply of its own: the HELLO reply answers
 * both).  The region and its bells travel with it as SCM_RIGHTS: the
 * region first, then the bells in the order of enum vshm_bell
 * (core/include/vdri/shm.h).  PROTOCOL.md §17.
 */
#define WIRE_SHM_MAGIC 0x4d485356u /* "VSHM" read as a little-endian u32 */
#define WIRE_SHM_VERSION 1
struct wire_shm_setup {
	uint32_t magic;
	uint16_t version;
	uint16_t nfds;	      /* descriptors attached: the region, then the bells */
	uint64_t region_size; /* the whole region: a 4 KiB control page and two rings */
	uint32_t ring_size;   /* bytes of data per direction, a power of two */
	uint32_t reserved;
};
vdri_static_assert(sizeof(struct wire_shm_setup) == 24, "wire_shm_setup size");

/* FORK reply: a token that holds a reference on every open handle. */
struct wire_fork_reply {
	uint64_t token;
	uint32_t handles;
	uint32_t reserved;
};

struct wire_stat {
	uint64_t dev;
	uint64_t ino;
	uint64_t rdev;
	int64_t size;
	int64_t blocks;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t blksize;
	uint32_t reserved;
	int64_t atime_sec;
	int64_t mtime_sec;
	int64_t ctime_sec;
	uint32_t atime_nsec;
	uint32_t mtime_nsec;
	uint32_t ctime_nsec;
	uint32_t reserved1;
};
vdri_static_assert(sizeof(struct wire_stat) == 104, "wire_stat size");

/* OPEN request: path bytes follow (no NUL). */
struct wire_open {
	uint32_t flags; /* Linux open flags */
	uint32_t mode;
	uint16_t path_len;
	uint16_t reserved0;
	uint32_t reserved1;
};
vdri_static_assert(sizeof(struct wire_open) == 16, "wire_open size");

/* OPEN reply (after wire_reply; result is the new handle). Also used for
 * files created by ioctls, see marshal.h. */
struct wire_file_info {
	uint32_t revents; /* readiness at creation */
	uint32_t oflags;  /* Linux open/status flags of the new file, O_CLOEXEC included */
	struct wire_stat st;
};

struct wire_read {
	uint32_t count;
	uint32_t reserved;
	int64_t offset; /* < 0: read at the file position */
};

struct wire_write {
	int64_t offset; /* < 0: write at the file position; data follows */
};

struct wire_poll {
	uint32_t events;
	uint32_t reserved;
};

struct wire_event {
	uint32_t revents;
	uint32_t reserved;
};

/* STAT request: path follows. */
struct wire_stat_req {
	uint16_t path_len;
	uint16_t reserved0;
	uint32_t flags; /* WIRE_STAT_NOFOLLOW */
};
#define WIRE_STAT_NOFOLLOW 1u

struct wire_lseek {
	int64_t offset;
	uint32_t whence;
	uint32_t reserved;
};

struct wire_mmap {
	uint64_t offset;
	uint64_t length;
	uint32_t prot;	/* PROT_* */
	uint32_t flags; /* MAP_SHARED / MAP_PRIVATE */
};
/* MMAP reply: result is a map id (> 0). */

struct wire_munmap {
	uint64_t map_id;
};

struct wire_pages {
	uint64_t map_id;
	uint64_t offset; /* within the mapping, page aligned */
	uint64_t length; /* PAGES_READ only; PAGES_WRITE carries data */
};

/*
 * PAGES_DIFF reply body: runs of pages that changed since the guest last
 * saw them, each a header and its bytes (length is a multiple of 4096, so
 * the next header stays 8-aligned).  result = bytes of the range examined.
 */
struct wire_run {
	uint64_t offset; /* within the mapping */
	uint32_t length;
	uint32_t reserved;
};

/* ---- encoding and decoding helpers (wire.c) ---------------------------- */

/* Fill a header; len is the payload length, the header is added. */
void wire_hdr_init(struct wire_hdr *h, uint16_t op, uint16_t flags, uint32_t id, uint32_t handle,
		   uint32_t payload_len);

/*
 * Check a received header against the connection's frame limit and the
 * operation table.  is_backend: the receiver is the backend (accepts
 * requests only) or the frontend (accepts replies and events only).
 * Returns 0 or a negative errno; *why is set to a static reason string.
 */
int wire_hdr_check(const struct wire_hdr *h, uint32_t max_frame, int is_backend, const char **why);

/* Minimum request payload of an operation (0 for none), -1 if unknown. */
int wire_op_min_payload(uint16_t op);
const char *wire_op_name(uint16_t op);

/*
 * Copy a fixed-size struct out of a payload, zero-extending a short one
 * (older peers).  Returns the number of bytes consumed from the payload.
 */
uint32_t wire_take(void *dst, uint32_t dst_size, const void *payload, uint32_t payload_len);

/*
 * Validate a string that follows a fixed struct: len bytes at payload+off,
 * within payload_len, no NUL bytes, 1 <= len <= max.  Returns 0 or -EINVAL.
 */
int wire_check_string(const void *payload, uint32_t payload_len, uint32_t off, uint32_t len,
		      uint32_t max);

#endif /* VDRI_WIRE_H */
