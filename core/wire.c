/* SPDX-License-Identifier: MIT */
/*
 * wire.c - the frame header and the per-operation facts of wire protocol v1.
 *
 * Owns: building and checking frame headers, the table of operations (name,
 * smallest request payload), and the two helpers every payload decoder uses
 * (zero-extending struct copy, string validation).  Everything a peer sends
 * passes wire_hdr_check before anything else looks at it.
 *
 * Compiles in user space and in the drm-front kernel module: it includes only
 * vdri/types.h and vdri/wire.h and calls no libc function.
 */
#include "vdri/wire.h"
#include "vdri/types.h"

#define WIRE_EPROTO(reason)                                                                        \
	do {                                                                                       \
		*why = (reason);                                                                   \
		return -EPROTO;                                                                    \
	} while (0)

struct wire_op_info {
	const char *name;
	int min_payload; /* smallest request payload */
};

/* sizeof(struct wire_ioctl) from vdri/marshal.h; tests/unit/test_wire.c asserts they agree. */
#define WIRE_IOCTL_REQ_MIN 24

static const struct wire_op_info wire_ops[WIRE_OP_COUNT] = {
    [WIRE_OP_INVALID] = {"INVALID", -1},
    [WIRE_OP_HELLO] = {"HELLO", sizeof(struct wire_hello)},
    [WIRE_OP_FORK] = {"FORK", 0},
    [WIRE_OP_OPEN] = {"OPEN", sizeof(struct wire_open)},
    [WIRE_OP_CLOSE] = {"CLOSE", 0},
    [WIRE_OP_READ] = {"READ", sizeof(struct wire_read)},
    [WIRE_OP_WRITE] = {"WRITE", sizeof(struct wire_write)},
    [WIRE_OP_IOCTL] = {"IOCTL", WIRE_IOCTL_REQ_MIN},
    [WIRE_OP_POLL] = {"POLL", sizeof(struct wire_poll)},
    [WIRE_OP_EVENT] = {"EVENT", sizeof(struct wire_event)},
    [WIRE_OP_FSTAT] = {"FSTAT", 0},
    [WIRE_OP_STAT] = {"STAT", sizeof(struct wire_stat_req)},
    [WIRE_OP_LSEEK] = {"LSEEK", sizeof(struct wire_lseek)},
    [WIRE_OP_MMAP] = {"MMAP", sizeof(struct wire_mmap)},
    [WIRE_OP_MUNMAP] = {"MUNMAP", sizeof(struct wire_munmap)},
    [WIRE_OP_PAGES_READ] = {"PAGES_READ", sizeof(struct wire_pages)},
    /* map_id and offset; the data follows instead of a length */
    [WIRE_OP_PAGES_WRITE] = {"PAGES_WRITE", __builtin_offsetof(struct wire_pages, length)},
    [WIRE_OP_PING] = {"PING", 0},
    [WIRE_OP_PAGES_DIFF] = {"PAGES_DIFF", sizeof(struct wire_pages)},
    [WIRE_OP_SYSINFO] = {"SYSINFO", 0},
    [WIRE_OP_SHM_SETUP] = {"SHM_SETUP", sizeof(struct wire_shm_setup)},
};

void wire_hdr_init(struct wire_hdr *h, uint16_t op, uint16_t flags, uint32_t id, uint32_t handle,
		   uint32_t payload_len)
{
	h->len = vdri_le32(WIRE_HDR_SIZE + payload_len);
	h->op = vdri_le16(op);
	h->flags = vdri_le16(flags);
	h->id = vdri_le32(id);
	h->handle = vdri_le32(handle);
}

int wire_op_min_payload(uint16_t op)
{
	if (op == WIRE_OP_INVALID || op >= WIRE_OP_COUNT)
		return -1;
	return wire_ops[op].min_payload;
}

const char *wire_op_name(uint16_t op)
{
	if (op >= WIRE_OP_COUNT)
		return "UNKNOWN";
	return wire_ops[op].name;
}

/* What the backend may receive: requests, never events. */
static int wire_check_backend_rx(uint16_t op, uint16_t flags, const char **why)
{
	if (flags != 0)
		WIRE_EPROTO("backend received a reply or an event");
	if (op == WIRE_OP_EVENT)
		WIRE_EPROTO("EVENT sent as a request");
	return 0;
}

/* What the frontend may receive: replies to requests, and events. */
static int wire_check_frontend_rx(uint16_t op, uint16_t flags, uint32_t id, const char **why)
{
	if (flags == 0)
		WIRE_EPROTO("frontend received a request");
	if (flags & WIRE_F_REPLY) {
		if (op == WIRE_OP_EVENT)
			WIRE_EPROTO("reply to the EVENT operation");
		return 0;
	}
	if (op != WIRE_OP_EVENT)
		WIRE_EPROTO("event flag on an operation other than EVENT");
	if (id != 0)
		WIRE_EPROTO("event with a nonzero request id");
	return 0;
}

/* The payload is long enough for what the frame claims to be. */
static int wire_check_payload(uint16_t op, uint16_t flags, uint32_t payload, const char **why)
{
	if (flags & WIRE_F_REPLY) {
		if (payload < sizeof(struct wire_reply))
			WIRE_EPROTO("reply payload shorter than its result");
		return 0;
	}
	if (payload < (uint32_t)wire_op_min_payload(op))
		WIRE_EPROTO(flags & WIRE_F_EVENT ? "event payload too short"
						 : "request payload too short for its operation");
	return 0;
}

int wire_hdr_check(const struct wire_hdr *h, uint32_t max_frame, int is_backend, const char **why)
{
	uint32_t len = vdri_le32(h->len);
	uint16_t op = vdri_le16(h->op);
	uint16_t flags = vdri_le16(h->flags);
	uint32_t id = vdri_le32(h->id);
	const char *dummy;
	int ret;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (len < WIRE_HDR_SIZE)
		WIRE_EPROTO("frame shorter than its header");
	if (len > max_frame)
		WIRE_EPROTO("frame larger than the limit");
	if (op == WIRE_OP_INVALID || op >= WIRE_OP_COUNT)
		WIRE_EPROTO("unknown operation");
	if (flags & ~WIRE_F_KNOWN)
		WIRE_EPROTO("unknown header flags");
	if ((flags & WIRE_F_KNOWN) == WIRE_F_KNOWN)
		WIRE_EPROTO("frame is both a reply and an event");
	if (is_backend)
		ret = wire_check_backend_rx(op, flags, why);
	else
		ret = wire_check_frontend_rx(op, flags, id, why);
	if (ret)
		return ret;
	if (op == WIRE_OP_HELLO && id == 0)
		WIRE_EPROTO("HELLO with request id 0");
	return wire_check_payload(op, flags, len - WIRE_HDR_SIZE, why);
}

uint32_t wire_take(void *dst, uint32_t dst_size, const void *payload, uint32_t payload_len)
{
	uint32_t n = payload_len < dst_size ? payload_len : dst_size;

	if (n)
		vdri_memcpy(dst, payload, n);
	if (n < dst_size)
		vdri_memset((uint8_t *)dst + n, 0, dst_size - n);
	return n;
}

int wire_check_string(const void *payload, uint32_t payload_len, uint32_t off, uint32_t len,
		      uint32_t max)
{
	const uint8_t *s;
	uint32_t i;

	if (len == 0 || len > max)
		return -EINVAL;
	if (off > payload_len || len > payload_len - off)
		return -EINVAL;
	s = (const uint8_t *)payload + off;
	for (i = 0; i < len; i++)
		if (s[i] == 0)
			return -EINVAL;
	return 0;
}
