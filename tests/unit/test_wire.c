/* SPDX-License-Identifier: MIT */
/* test_wire.c - frame header checks, the operation table, wire_take, wire_check_string. */
#include "runner.h"
#include "vdri/marshal.h"
#include "vdri/wire.h"

#define LIMIT WIRE_FRAME_MIN_LIMIT

_Static_assert(sizeof(struct wire_pages) == 24, "wire_pages size");

/* A header of op/flags/id with a payload of n bytes. */
static struct wire_hdr hdr(uint16_t op, uint16_t flags, uint32_t id, uint32_t n)
{
	struct wire_hdr h;

	wire_hdr_init(&h, op, flags, id, 0, n);
	return h;
}

/* The check fails with -EPROTO and exactly this reason. */
static void expect_reject(struct wire_hdr h, int is_backend, const char *reason)
{
	const char *why = NULL;

	if (wire_hdr_check(&h, LIMIT, is_backend, &why) != -EPROTO)
		FAILF("op %u flags %#x id %u len %u accepted (backend %d), want \"%s\"", h.op,
		      h.flags, h.id, h.len, is_backend, reason);
	if (!why || strcmp(why, reason) != 0)
		FAILF("reason \"%s\", want \"%s\"", why ? why : "(null)", reason);
}

static void expect_accept(struct wire_hdr h, int is_backend)
{
	const char *why = NULL;

	if (wire_hdr_check(&h, LIMIT, is_backend, &why) != 0)
		FAILF("op %u flags %#x id %u len %u rejected (backend %d): %s", h.op, h.flags, h.id,
		      h.len, is_backend, why);
}

TEST(hdr_init_layout)
{
	struct wire_hdr h;
	const uint8_t want[16] = {0x14, 0, 0, 0, 7, 0, 1, 0, 0x78, 0x56, 0x34, 0x12, 9, 0, 0, 0};

	wire_hdr_init(&h, WIRE_OP_IOCTL, WIRE_F_REPLY, 0x12345678, 9, 4);
	CHECK(memcmp(&h, want, sizeof(want)) == 0);
}

TEST(hdr_length_rules)
{
	struct wire_hdr h = hdr(WIRE_OP_PING, 0, 5, 0);

	expect_accept(h, 1);
	h.len = 15;
	expect_reject(h, 1, "frame shorter than its header");
	h.len = 0;
	expect_reject(h, 1, "frame shorter than its header");
	h.len = LIMIT + 1;
	expect_reject(h, 1, "frame larger than the limit");
	h.len = UINT32_MAX;
	expect_reject(h, 1, "frame larger than the limit");
	h.len = LIMIT;
	expect_accept(h, 1);
}

TEST(hdr_unknown_op_and_flags)
{
	expect_reject(hdr(WIRE_OP_INVALID, 0, 1, 0), 1, "unknown operation");
	expect_reject(hdr(WIRE_OP_COUNT, 0, 1, 0), 1, "unknown operation");
	expect_reject(hdr(0xffff, WIRE_F_REPLY, 1, 8), 0, "unknown operation");
	expect_reject(hdr(WIRE_OP_PING, 0x4, 1, 0), 1, "unknown header flags");
	expect_reject(hdr(WIRE_OP_PING, 0x8000 | WIRE_F_REPLY, 1, 8), 0, "unknown header flags");
	expect_reject(hdr(WIRE_OP_EVENT, WIRE_F_REPLY | WIRE_F_EVENT, 0, 8), 0,
		      "frame is both a reply and an event");
	expect_reject(hdr(WIRE_OP_PING, WIRE_F_REPLY | WIRE_F_EVENT, 1, 8), 1,
		      "frame is both a reply and an event");
}

TEST(hdr_backend_accepts_requests_only)
{
	expect_accept(hdr(WIRE_OP_CLOSE, 0, 3, 0), 1);
	expect_reject(hdr(WIRE_OP_CLOSE, WIRE_F_REPLY, 3, 8), 1,
		      "backend received a reply or an event");
	expect_reject(hdr(WIRE_OP_EVENT, WIRE_F_EVENT, 0, 8), 1,
		      "backend received a reply or an event");
	expect_reject(hdr(WIRE_OP_EVENT, 0, 3, 8), 1, "EVENT sent as a request");
}

TEST(hdr_frontend_accepts_replies_and_events)
{
	uint16_t op;

	for (op = 1; op < WIRE_OP_COUNT; op++)
		if (op != WIRE_OP_EVENT)
			expect_accept(hdr(op, WIRE_F_REPLY, 7, 8), 0);
	expect_accept(hdr(WIRE_OP_EVENT, WIRE_F_EVENT, 0, sizeof(struct wire_event)), 0);
	expect_reject(hdr(WIRE_OP_PING, 0, 7, 0), 0, "frontend received a request");
	expect_reject(hdr(WIRE_OP_EVENT, WIRE_F_REPLY, 7, 8), 0, "reply to the EVENT operation");
	expect_reject(hdr(WIRE_OP_POLL, WIRE_F_EVENT, 0, 8), 0,
		      "event flag on an operation other than EVENT");
	expect_reject(hdr(WIRE_OP_EVENT, WIRE_F_EVENT, 4, 8), 0, "event with a nonzero request id");
	expect_reject(hdr(WIRE_OP_EVENT, WIRE_F_EVENT, 0, 7), 0, "event payload too short");
}

TEST(hdr_reply_needs_result)
{
	expect_reject(hdr(WIRE_OP_READ, WIRE_F_REPLY, 7, 0), 0,
		      "reply payload shorter than its result");
	expect_reject(hdr(WIRE_OP_READ, WIRE_F_REPLY, 7, 7), 0,
		      "reply payload shorter than its result");
	expect_accept(hdr(WIRE_OP_READ, WIRE_F_REPLY, 7, 8), 0);
	expect_accept(hdr(WIRE_OP_READ, WIRE_F_REPLY, 7, 4096 + 8), 0);
}

TEST(hdr_hello_needs_id)
{
	expect_reject(hdr(WIRE_OP_HELLO, 0, 0, sizeof(struct wire_hello)), 1,
		      "HELLO with request id 0");
	expect_reject(hdr(WIRE_OP_HELLO, WIRE_F_REPLY, 0, 40), 0, "HELLO with request id 0");
	expect_accept(hdr(WIRE_OP_HELLO, 0, 1, sizeof(struct wire_hello)), 1);
	/* other requests may use id 0 */
	expect_accept(hdr(WIRE_OP_PING, 0, 0, 0), 1);
}

/* Every request: one byte short of its minimum is refused, the minimum passes. */
TEST(hdr_request_min_payload)
{
	uint16_t op;
	int min;

	for (op = 1; op < WIRE_OP_COUNT; op++) {
		if (op == WIRE_OP_EVENT)
			continue;
		min = wire_op_min_payload(op);
		CHECK(min >= 0);
		expect_accept(hdr(op, 0, 1, (uint32_t)min), 1);
		expect_accept(hdr(op, 0, 1, (uint32_t)min + 100), 1);
		if (min > 0)
			expect_reject(hdr(op, 0, 1, (uint32_t)min - 1), 1,
				      "request payload too short for its operation");
	}
}

TEST(op_table)
{
	CHECK_EQ(wire_op_min_payload(WIRE_OP_HELLO), sizeof(struct wire_hello));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_FORK), 0);
	CHECK_EQ(wire_op_min_payload(WIRE_OP_OPEN), sizeof(struct wire_open));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_CLOSE), 0);
	CHECK_EQ(wire_op_min_payload(WIRE_OP_READ), sizeof(struct wire_read));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_WRITE), sizeof(struct wire_write));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_IOCTL), sizeof(struct wire_ioctl));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_POLL), sizeof(struct wire_poll));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_EVENT), sizeof(struct wire_event));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_FSTAT), 0);
	CHECK_EQ(wire_op_min_payload(WIRE_OP_STAT), sizeof(struct wire_stat_req));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_LSEEK), sizeof(struct wire_lseek));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_MMAP), sizeof(struct wire_mmap));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_MUNMAP), sizeof(struct wire_munmap));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_PAGES_READ), sizeof(struct wire_pages));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_PAGES_WRITE), 16);
	CHECK_EQ(wire_op_min_payload(WIRE_OP_PING), 0);
	CHECK_EQ(wire_op_min_payload(WIRE_OP_SHM_SETUP), sizeof(struct wire_shm_setup));
	CHECK_EQ(wire_op_min_payload(WIRE_OP_INVALID), -1);
	CHECK_EQ(wire_op_min_payload(WIRE_OP_COUNT), -1);
	CHECK_EQ(wire_op_min_payload(0xffff), -1);
	CHECK_STREQ(wire_op_name(WIRE_OP_IOCTL), "IOCTL");
	CHECK_STREQ(wire_op_name(WIRE_OP_PAGES_WRITE), "PAGES_WRITE");
	CHECK_STREQ(wire_op_name(WIRE_OP_SHM_SETUP), "SHM_SETUP");
	CHECK_STREQ(wire_op_name(WIRE_OP_COUNT), "UNKNOWN");
}

TEST(op_names_complete)
{
	uint16_t op;

	for (op = 0; op < WIRE_OP_COUNT; op++) {
		const char *n = wire_op_name(op);

		CHECK(n && n[0]);
		CHECK(strcmp(n, "UNKNOWN") != 0);
	}
}

TEST(hdr_check_why_may_be_null)
{
	struct wire_hdr h = hdr(WIRE_OP_INVALID, 0, 1, 0);

	CHECK_EQ(wire_hdr_check(&h, LIMIT, 1, NULL), -EPROTO);
}

TEST(take_zero_extends)
{
	struct wire_lseek l;
	const uint8_t src[12] = {1, 2, 3, 4, 5, 6, 7, 8, 0x2a, 0, 0, 0};
	uint8_t big[64];

	memset(&l, 0xff, sizeof(l));
	CHECK_EQ(wire_take(&l, sizeof(l), src, 12), 12);
	CHECK_EQ(l.whence, 0x2a);
	CHECK_EQ(l.reserved, 0);
	memset(&l, 0xff, sizeof(l));
	CHECK_EQ(wire_take(&l, sizeof(l), src, 0), 0);
	CHECK_EQ(l.offset, 0);
	CHECK_EQ(l.whence, 0);
	memset(&l, 0xff, sizeof(l));
	CHECK_EQ(wire_take(&l, sizeof(l), NULL, 0), 0);
	CHECK_EQ(l.offset, 0);
	/* a longer payload: only the struct is consumed */
	memset(big, 0x11, sizeof(big));
	CHECK_EQ(wire_take(&l, sizeof(l), big, sizeof(big)), sizeof(l));
	CHECK_EQ(l.whence, 0x11111111);
}

TEST(check_string)
{
	const char p[] = "\x01\x02\x03\x04/dev/dri/card0\0zz";
	uint32_t plen = sizeof(p) - 1; /* 4 + 14 + 1 + 2 = 21 */

	CHECK_EQ(wire_check_string(p, plen, 4, 14, WIRE_PATH_MAX), 0);
	CHECK_EQ(wire_check_string(p, plen, 4, 14, 14), 0);
	CHECK_EQ(wire_check_string(p, plen, 4, 14, 13), -EINVAL);	     /* too long */
	CHECK_EQ(wire_check_string(p, plen, 4, 0, WIRE_PATH_MAX), -EINVAL);  /* empty */
	CHECK_EQ(wire_check_string(p, plen, 4, 15, WIRE_PATH_MAX), -EINVAL); /* NUL inside */
	CHECK_EQ(wire_check_string(p, plen, 19, 2, WIRE_PATH_MAX), 0);
	CHECK_EQ(wire_check_string(p, plen, 19, 3, WIRE_PATH_MAX), -EINVAL); /* past the end */
	CHECK_EQ(wire_check_string(p, plen, 22, 1, WIRE_PATH_MAX), -EINVAL); /* offset past end */
	CHECK_EQ(wire_check_string(p, plen, UINT32_MAX, 2, UINT32_MAX), -EINVAL);
	CHECK_EQ(wire_check_string(p, plen, 4, UINT32_MAX, UINT32_MAX),
		 -EINVAL); /* off+len wraps */
	CHECK_EQ(wire_check_string(p, plen, 0, 1, 1), 0);
}
