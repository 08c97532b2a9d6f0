/* SPDX-License-Identifier: MIT */
/*
 * rawguest.c - a hostile frontend for the isolation test (issue 4): it
 * speaks the wire protocol itself (no LD_PRELOAD) and sends IOCTL frames
 * that no honest frontend would, each built to hit one decoding rule of
 * core/PROTOCOL.md §8.4 or one header check of §3.2.
 *
 *   vdri-rawguest ADDR TOKEN NODE     e.g. tcp:127.0.0.1:7070 secret /dev/dri/card1
 *
 * HELLO (name "rawguest", TOKEN; "-" sends none), OPEN NODE (a vgem card),
 * then the cases.  A malformed payload must get an error reply on the same
 * connection (§12: payloads never close it); a malformed header must close
 * the connection (§3.2) and the daemon must take a new one afterwards.  The
 * last case is an honest CREATE_DUMB + GEM_CLOSE, which must still work.
 *
 * One line per case: "case NAME result ERRNO" or "case NAME result closed";
 * a case that succeeded or ended otherwise than expected also prints
 * "FAIL NAME ...".  Exit status 0 only when every case behaved.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>

#include "vdri/frame_io.h"
#include "vdri/marshal.h"
#include "vdri/transport.h"
#include "vdri/wire.h"

#include "tests/vm/say.h"

#define RECV_TIMEOUT_S 10
#define BODY_MAX 4096u

/* ---- connection -------------------------------------------------------------- */

struct rg {
	struct vt_addr addr;
	const char *token;
	const char *node;
	int fd;		  /* -1: not connected */
	uint32_t file;	  /* handle of NODE on this connection */
	uint32_t next_id; /* request ids, from 1 */
	int connections;  /* how many were made */
	struct fio_rx rx;
};

/* What became of a request. */
enum { RG_REPLY, RG_CLOSED, RG_TIMEOUT };

struct outcome {
	int kind;
	int64_t result;					    /* RG_REPLY */
	uint8_t body[BODY_MAX] __attribute__((aligned(8))); /* the reply payload after wire_reply */
	uint32_t body_len;
};

static void rg_drop(struct rg *g)
{
	if (g->fd < 0)
		return;
	close(g->fd);
	fio_rx_fini(&g->rx);
	g->fd = -1;
}

/* The reply with this id (events and stray replies are skipped). */
static void rg_wait(struct rg *g, uint32_t id, struct outcome *o)
{
	const struct wire_hdr *h;
	int r;

	for (;;) {
		r = fio_recv(&g->rx, g->fd, &h);
		if (r == -EAGAIN) {
			o->kind = RG_TIMEOUT;
			return;
		}
		if (r != 1) {
			o->kind = RG_CLOSED; /* end of stream, reset, or a frame we refuse */
			return;
		}
		if ((h->flags & WIRE_F_EVENT) || h->id != id)
			continue;
		if (h->len - WIRE_HDR_SIZE < sizeof(struct wire_reply)) {
			o->kind = RG_CLOSED;
			return;
		}
		memcpy(&o->result, h + 1, sizeof(o->result));
		o->body_len = h->len - WIRE_HDR_SIZE - (uint32_t)sizeof(struct wire_reply);
		if (o->body_len > BODY_MAX)
			o->body_len = BODY_MAX;
		memcpy(o->body, (const uint8_t *)(h + 1) + sizeof(struct wire_reply), o->body_len);
		o->kind = RG_REPLY;
		return;
	}
}

/* Bytes as they are (a header of our own making), then wait for id. */
static void rg_raw(struct rg *g, const void *frame, size_t len, uint32_t id, struct outcome *o)
{
	const uint8_t *p = frame;

	while (len) {
		ssize_t n = send(g->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->kind = RG_CLOSED;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
	rg_wait(g, id, o);
}

static void rg_request(struct rg *g, uint16_t op, uint32_t handle, const void *payload,
		       uint32_t len, struct outcome *o)
{
	struct iovec iov = {(void *)payload, len};
	struct wire_hdr h;
	uint32_t id = g->next_id++;

	wire_hdr_init(&h, op, 0, id, handle, len);
	if (fio_send(g->fd, &h, &iov, len ? 1 : 0)) {
		o->kind = RG_CLOSED;
		return;
	}
	rg_wait(g, id, o);
}

static int rg_hello(struct rg *g)
{
	uint8_t buf[sizeof(struct wire_hello) + WIRE_NAME_MAX + 256];
	struct wire_hello hl = {.magic = WIRE_MAGIC,
				.version_min = WIRE_VERSION,
				.version_max = WIRE_VERSION,
				.features = WIRE_FEAT_ALL,
				.pid = (uint32_t)getpid(),
				.name_len = 8,
				.token_len = (uint16_t)strlen(g->token)};
	struct outcome *o = calloc(1, sizeof(*o));
	int r = -ENOMEM;

	if (!o)
		return r;
	memcpy(buf, &hl, sizeof(hl));
	memcpy(buf + sizeof(hl), "rawguest", 8);
	memcpy(buf + sizeof(hl) + 8, g->token, hl.token_len);
	g->next_id = 1;
	rg_request(g, WIRE_OP_HELLO, 0, buf, (uint32_t)sizeof(hl) + 8 + hl.token_len, o);
	if (o->kind != RG_REPLY)
		r = o->kind == RG_TIMEOUT ? -ETIMEDOUT : -ECONNRESET;
	else if (o->result < 0)
		r = (int)o->result;
	else
		r = o->body_len < sizeof(struct wire_hello_reply) ? -EPROTO : 0;
	free(o);
	g->next_id = 1; /* requests after HELLO count from 1 again (§5.2) */
	return r;
}

static int rg_open(struct rg *g)
{
	uint8_t buf[sizeof(struct wire_open) + WIRE_PATH_MAX];
	struct wire_open wo = {.flags = O_RDWR | O_CLOEXEC, .path_len = (uint16_t)strlen(g->node)};
	struct outcome *o = calloc(1, sizeof(*o));
	int r = -ENOMEM;

	if (!o)
		return r;
	memcpy(buf, &wo, sizeof(wo));
	memcpy(buf + sizeof(wo), g->node, wo.path_len);
	rg_request(g, WIRE_OP_OPEN, 0, buf, (uint32_t)sizeof(wo) + wo.path_len, o);
	if (o->kind != RG_REPLY)
		r = o->kind == RG_TIMEOUT ? -ETIMEDOUT : -ECONNRESET;
	else if (o->result <= 0 || o->result > 0xffffffffll)
		r = o->result < 0 ? (int)o->result : -EPROTO;
	else
		r = 0, g->file = (uint32_t)o->result;
	free(o);
	return r;
}

/* A fresh connection: connect, HELLO, OPEN.  0 or -errno (printed). */
static int rg_connect(struct rg *g)
{
	struct timeval tv = {RECV_TIMEOUT_S, 0};
	const char *step = "connect";
	int r;

	rg_drop(g);
	r = vt_connect(&g->addr, 5000);
	if (r < 0)
		goto err;
	g->fd = r;
	setsockopt(g->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r = fio_rx_init(&g->rx, WIRE_FRAME_MAX_LIMIT, 0);
	if (r) {
		close(g->fd);
		g->fd = -1;
		goto err;
	}
	g->connections++;
	step = "hello";
	r = rg_hello(g);
	if (!r) {
		step = "open";
		r = rg_open(g);
	}
	if (!r)
		return 0;
	rg_drop(g);
err:
	FAIL("%s %s", step, ename(-r));
	return r;
}

/* ---- IOCTL frames ------------------------------------------------------------ */

/* A frame under construction: header, struct wire_ioctl, records. */
struct iob {
	uint8_t b[8192] __attribute__((aligned(8)));
	uint32_t len;
};

static void iob_put(struct iob *o, const void *p, uint32_t n)
{
	if (n > sizeof(o->b) - o->len)
		abort(); /* a case of ours is too big: a bug here, not in the backend */
	memcpy(o->b + o->len, p, n);
	o->len += n;
}

static void iob_start(struct iob *o, uint32_t cmd, uint32_t flags, uint64_t arg, uint32_t nbuf)
{
	struct wire_ioctl wi = {.cmd = cmd, .flags = flags, .arg = arg, .nbuf = nbuf};

	memset(o->b, 0, sizeof(o->b));
	o->len = WIRE_HDR_SIZE;
	iob_put(o, &wi, sizeof(wi));
}

/* A record header, then (for M_IN) n bytes of data and zero padding to 8. */
static void iob_rec(struct iob *o, uint32_t len, uint8_t dir, const void *data, uint32_t n)
{
	struct wire_ioctl_buf b = {.len = len, .dir = dir};
	static const uint8_t zero[8];

	iob_put(o, &b, sizeof(b));
	if (!(dir & M_IN) || !data)
		return;
	iob_put(o, data, n);
	iob_put(o, zero, (8 - n % 8) % 8);
}

/* Send the frame for handle (UINT32_MAX: our file), wait for the reply. */
static void iob_send_to(struct rg *g, struct iob *o, uint32_t handle, struct outcome *out)
{
	struct wire_hdr h;
	uint32_t id;

	/* an earlier case lost the connection (counted by main) */
	if (g->fd < 0 && rg_connect(g)) {
		out->kind = RG_CLOSED;
		return;
	}
	if (handle == UINT32_MAX)
		handle = g->file;
	id = g->next_id++;
	wire_hdr_init(&h, WIRE_OP_IOCTL, 0, id, handle, o->len - WIRE_HDR_SIZE);
	memcpy(o->b, &h, sizeof(h));
	rg_raw(g, o->b, o->len, id, out);
}

static void iob_send(struct rg *g, struct iob *o, struct outcome *out)
{
	iob_send_to(g, o, UINT32_MAX, out);
}

/* ---- verdicts ---------------------------------------------------------------- */

#define X_ANY_ERROR (-1) /* in an expected list: whatever errno */
#define X_CLOSED 1	 /* expected: the backend closes the connection */

struct expect {
	int errs[4]; /* positive errnos; 0 ends the list */
	int flags;   /* X_CLOSED */
};

static int expected_errno(const struct expect *x, int e)
{
	for (int i = 0; i < 4 && x->errs[i]; i++)
		if (x->errs[i] == X_ANY_ERROR || x->errs[i] == e)
			return 1;
	return 0;
}

static void verdict(struct rg *g, const char *name, const struct outcome *o, const struct expect *x)
{
	if (o->kind == RG_TIMEOUT) {
		SAY("case %s result timeout", name);
		FAIL("%s ETIMEDOUT", name);
		rg_drop(g);
		return;
	}
	if (o->kind == RG_CLOSED) {
		SAY("case %s result closed", name);
		if (!(x->flags & X_CLOSED))
			FAIL("%s closed (an error reply was expected)", name);
		rg_drop(g);
		return;
	}
	if (o->result >= 0) {
		SAY("case %s result %lld", name, (long long)o->result);
		FAIL("%s allowed", name);
		return;
	}
	SAY("case %s result %s", name, ename((int)-o->result));
	if (!expected_errno(x, (int)-o->result))
		FAIL("%s %s (unexpected)", name, ename((int)-o->result));
}

static const struct expect x_einval = {{EINVAL}, 0};
static const struct expect x_ebadf = {{EBADF}, 0};
static const struct expect x_any = {{X_ANY_ERROR}, 0};
static const struct expect x_closed = {{0}, X_CLOSED};

/* ---- cases: error replies on the same connection ------------------------------ */

static void case_huge_count(struct rg *g, struct iob *o, struct outcome *out)
{
	struct drm_mode_card_res res = {.count_connectors = 0x7fffffff,
					.connector_id_ptr = 0x10000};

	iob_start(o, DRM_IOCTL_MODE_GETRESOURCES, 0, 0, 1);
	iob_rec(o, sizeof(res), M_INOUT, &res, sizeof(res));
	iob_send(g, o, out);
	verdict(g, "huge_count", out, &x_einval);

	/* the same with a record for it: its length wraps a u32 */
	iob_start(o, DRM_IOCTL_MODE_GETRESOURCES, 0, 0, 2);
	iob_rec(o, sizeof(res), M_INOUT, &res, sizeof(res));
	iob_rec(o, 0x7fffffffu * 4u, M_OUT, NULL, 0);
	iob_send(g, o, out);
	verdict(g, "huge_count_record", out, &x_einval);
}

static void case_count_mismatch(struct rg *g, struct iob *o, struct outcome *out)
{
	struct drm_mode_card_res res = {.count_crtcs = 4, .crtc_id_ptr = 0x10000};

	iob_start(o, DRM_IOCTL_MODE_GETRESOURCES, 0, 0, 2);
	iob_rec(o, sizeof(res), M_INOUT, &res, sizeof(res));
	iob_rec(o, 8, M_OUT, NULL, 0); /* 4 ids are 16 bytes */
	iob_send(g, o, out);
	verdict(g, "count_mismatch", out, &x_einval);

	/* right length, wrong direction */
	iob_start(o, DRM_IOCTL_MODE_GETRESOURCES, 0, 0, 2);
	iob_rec(o, sizeof(res), M_INOUT, &res, sizeof(res));
	iob_rec(o, 16, M_INOUT, "0123456789abcdef", 16);
	iob_send(g, o, out);
	verdict(g, "dir_mismatch", out, &x_einval);
}

static void case_overlapping(struct rg *g, struct iob *o, struct outcome *out)
{
	struct drm_mode_card_res res = {0};
	struct drm_gem_close gc = {.handle = 1};

	/* more records announced than the payload can hold */
	iob_start(o, DRM_IOCTL_MODE_GETRESOURCES, 0, 0, 1000);
	iob_rec(o, sizeof(res), M_INOUT, &res, sizeof(res));
	iob_send(g, o, out);
	verdict(g, "overlapping_nbuf", out, &x_einval);

	/* a record whose data runs past the end of the frame */
	iob_start(o, DRM_IOCTL_MODE_GETRESOURCES, 0, 0, 1);
	iob_rec(o, sizeof(res), M_INOUT, &res, 32);
	iob_send(g, o, out);
	verdict(g, "overlapping_len", out, &x_einval);

	/* a record header claiming the bytes of the next one */
	iob_start(o, DRM_IOCTL_GEM_CLOSE, 0, 0, 2);
	iob_rec(o, 16, M_IN, &gc, sizeof(gc));
	iob_rec(o, sizeof(gc), M_IN, &gc, sizeof(gc));
	iob_send(g, o, out);
	verdict(g, "overlapping_next", out, &x_einval);

	/* one record more than the walk consumes */
	iob_start(o, DRM_IOCTL_GEM_CLOSE, 0, 0, 2);
	iob_rec(o, sizeof(gc), M_IN, &gc, sizeof(gc));
	iob_rec(o, sizeof(gc), M_IN, &gc, sizeof(gc));
	iob_send(g, o, out);
	verdict(g, "extra_record", out, &x_einval);

	/* bytes after the last record */
	iob_start(o, DRM_IOCTL_GEM_CLOSE, 0, 0, 1);
	iob_rec(o, sizeof(gc), M_IN, &gc, sizeof(gc));
	iob_put(o, "trailing", 8);
	iob_send(g, o, out);
	verdict(g, "trailing_bytes", out, &x_einval);
}

static void case_self_ref(struct rg *g, struct iob *o, struct outcome *out)
{
	struct drm_mode_get_blob blob = {.blob_id = 1, .length = 0x7fffffff};

	/* the data pointer names the struct itself; 2 GiB asked for */
	blob.data = (uint64_t)(uintptr_t)&blob;
	iob_start(o, DRM_IOCTL_MODE_GETPROPBLOB, 0, 0, 1);
	iob_rec(o, sizeof(blob), M_INOUT, &blob, sizeof(blob));
	iob_send(g, o, out);
	verdict(g, "self_ref", out, &x_einval);

	/* and with the 2 GiB out record announced (out records carry no bytes) */
	iob_start(o, DRM_IOCTL_MODE_GETPROPBLOB, 0, 0, 2);
	iob_rec(o, sizeof(blob), M_INOUT, &blob, sizeof(blob));
	iob_rec(o, blob.length, M_OUT, NULL, 0);
	iob_send(g, o, out);
	verdict(g, "self_ref_record", out, &x_einval);
}

static void case_kernel_refusals(struct rg *g, struct iob *o, struct outcome *out)
{
	struct drm_mode_create_dumb cd = {.width = 0xffffffff, .height = 0xffffffff, .bpp = 32};
	struct drm_gem_close gc = {.handle = 12345};

	iob_start(o, DRM_IOCTL_MODE_CREATE_DUMB, 0, 0, 1);
	iob_rec(o, sizeof(cd), M_INOUT, &cd, sizeof(cd));
	iob_send(g, o, out);
	verdict(g, "huge_dumb", out, &x_any);

	iob_start(o, DRM_IOCTL_GEM_CLOSE, 0, 0, 1);
	iob_rec(o, sizeof(gc), M_IN, &gc, sizeof(gc));
	iob_send(g, o, out);
	verdict(g, "bad_handle", out, &x_einval);
}

static void case_fd_fields(struct rg *g, struct iob *o, struct outcome *out)
{
	static const int32_t fds[] = {4242, 0x7fffffff, 0};
	static const char *const names[] = {"fd_field_not_held", "fd_field_huge", "fd_field_zero"};

	for (int i = 0; i < 3; i++) {
		struct drm_prime_handle ph = {.fd = fds[i]};

		iob_start(o, DRM_IOCTL_PRIME_FD_TO_HANDLE, 0, 0, 1);
		iob_rec(o, sizeof(ph), M_INOUT, &ph, sizeof(ph));
		iob_send(g, o, out);
		verdict(g, names[i], out, &x_ebadf);
	}
}

static void case_header_fields(struct rg *g, struct iob *o, struct outcome *out)
{
	static const struct expect x_policy = {{ENOTTY, EINVAL}, 0};
	struct drm_mode_card_res res = {0};
	struct drm_gem_close gc = {.handle = 1};

	/* the top-level record is missing */
	iob_start(o, DRM_IOCTL_MODE_GETRESOURCES, 0, 0, 0);
	iob_send(g, o, out);
	verdict(g, "short_payload", out, &x_einval);

	iob_start(o, DRM_IOCTL_MODE_GETRESOURCES, WIRE_IOCTL_FLAT, 0, 1);
	iob_rec(o, sizeof(res), M_INOUT, &res, sizeof(res));
	iob_send(g, o, out);
	verdict(g, "bad_flags_flat", out, &x_policy);

	iob_start(o, DRM_IOCTL_MODE_GETRESOURCES, WIRE_IOCTL_VARIANT, 0, 1);
	iob_rec(o, sizeof(res), M_INOUT, &res, sizeof(res));
	iob_send(g, o, out);
	verdict(g, "bad_flags_variant", out, &x_policy);

	iob_start(o, DRM_IOCTL_MODE_GETRESOURCES, 0x80, 0, 1);
	iob_rec(o, sizeof(res), M_INOUT, &res, sizeof(res));
	iob_send(g, o, out);
	verdict(g, "bad_flags_unknown", out, &x_einval);

	/* a guest pointer in arg where the argument travels as buffer 0 */
	iob_start(o, DRM_IOCTL_GEM_CLOSE, 0, 0x7fff12345678ull, 1);
	iob_rec(o, sizeof(gc), M_IN, &gc, sizeof(gc));
	iob_send(g, o, out);
	verdict(g, "arg_pointer", out, &x_einval);

	/* a file this connection does not hold */
	iob_start(o, DRM_IOCTL_GEM_CLOSE, 0, 0, 1);
	iob_rec(o, sizeof(gc), M_IN, &gc, sizeof(gc));
	iob_send_to(g, o, 4242, out);
	verdict(g, "file_not_held", out, &x_ebadf);

	/* a number no table has: refused by the policy, or by the driver if flat is allowed */
	iob_start(o, DRM_IOWR(0xff, struct drm_gem_close), WIRE_IOCTL_FLAT, 0, 1);
	iob_rec(o, sizeof(gc), M_INOUT, &gc, sizeof(gc));
	iob_send(g, o, out);
	verdict(g, "unknown_flat", out, &x_any);
}

static void case_reserved(struct rg *g, struct iob *o, struct outcome *out)
{
	struct drm_gem_close gc = {.handle = 1};
	struct drm_prime_handle ph = {.fd = -1};
	struct wire_ioctl wi;
	struct wire_ioctl_buf b;

	iob_start(o, DRM_IOCTL_GEM_CLOSE, 0, 0, 1);
	iob_rec(o, sizeof(gc), M_IN, &gc, sizeof(gc));
	memcpy(&wi, o->b + WIRE_HDR_SIZE, sizeof(wi));
	wi.reserved = 1;
	memcpy(o->b + WIRE_HDR_SIZE, &wi, sizeof(wi));
	iob_send(g, o, out);
	verdict(g, "reserved_ioctl", out, &x_einval);

	for (int i = 0; i < 2; i++) {
		iob_start(o, DRM_IOCTL_GEM_CLOSE, 0, 0, 1);
		iob_rec(o, sizeof(gc), M_IN, &gc, sizeof(gc));
		memcpy(&b, o->b + WIRE_HDR_SIZE + sizeof(wi), sizeof(b));
		if (i)
			b.reserved1 = 0x100;
		else
			b.reserved0 = 1;
		memcpy(o->b + WIRE_HDR_SIZE + sizeof(wi), &b, sizeof(b));
		iob_send(g, o, out);
		verdict(g, i ? "reserved_buf1" : "reserved_buf0", out, &x_einval);
	}

	/* struct drm_prime_handle is 12 bytes: 4 bytes of padding, not zero */
	iob_start(o, DRM_IOCTL_PRIME_FD_TO_HANDLE, 0, 0, 1);
	iob_rec(o, sizeof(ph), M_INOUT, &ph, sizeof(ph));
	o->b[o->len - 1] = 0xee;
	iob_send(g, o, out);
	verdict(g, "padding_nonzero", out, &x_einval);
}

/* ---- cases: the connection must be closed ------------------------------------- */

/* clang-format off */
struct closing_case {
	const char *name;
	uint32_t len;    /* in the header */
	uint16_t op, flags;
	uint32_t sent;   /* bytes actually sent */
	int eof;         /* then end the stream (shutdown) */
};

static const struct closing_case closing_cases[] = {
	/* an IOCTL frame shorter than struct wire_ioctl */
	{"short_frame", WIRE_HDR_SIZE + 8, WIRE_OP_IOCTL, 0, WIRE_HDR_SIZE + 8, 0},
	{"hdr_flags_unknown", WIRE_HDR_SIZE + 24, WIRE_OP_IOCTL, 0x4, WIRE_HDR_SIZE + 24, 0},
	{"hdr_flags_reply", WIRE_HDR_SIZE + 24, WIRE_OP_IOCTL, WIRE_F_REPLY, WIRE_HDR_SIZE + 24, 0},
	{"hdr_op_invalid", WIRE_HDR_SIZE, WIRE_OP_INVALID, 0, WIRE_HDR_SIZE, 0},
	{"hdr_op_unknown", WIRE_HDR_SIZE, 200, 0, WIRE_HDR_SIZE, 0},
	{"hdr_len_short", 8, WIRE_OP_PING, 0, WIRE_HDR_SIZE, 0},
	/* 4 GiB announced: refused before anything is allocated */
	{"huge_frame", 0xffffffffu, WIRE_OP_IOCTL, 0, WIRE_HDR_SIZE, 0},
	/* the stream ends inside a frame (sent, then shutdown) */
	{"truncated", WIRE_HDR_SIZE + 1000, WIRE_OP_IOCTL, 0, WIRE_HDR_SIZE + 40, 1},
	/* a second HELLO on an established connection */
	{"second_hello", WIRE_HDR_SIZE + 40, WIRE_OP_HELLO, 0, WIRE_HDR_SIZE + 40, 0},
};
/* clang-format on */

/* A header of our own making, the rest zeros; the connection must close. */
static void closing_one(struct rg *g, const struct closing_case *cc, struct outcome *out)
{
	uint8_t frame[64] __attribute__((aligned(8))) = {0};
	struct wire_hdr h = {.len = cc->len, .op = cc->op, .flags = cc->flags};

	h.id = g->next_id++;
	h.handle = g->file;
	memcpy(frame, &h, sizeof(h));
	if (cc->eof) {
		if (send(g->fd, frame, cc->sent, MSG_NOSIGNAL) < 0 || shutdown(g->fd, SHUT_WR))
			out->kind = RG_CLOSED;
		else
			rg_wait(g, h.id, out);
	} else {
		rg_raw(g, frame, cc->sent, h.id, out);
	}
	verdict(g, cc->name, out, &x_closed);
}

static void case_closing(struct rg *g, struct outcome *out)
{
	for (unsigned i = 0; i < sizeof(closing_cases) / sizeof(closing_cases[0]); i++) {
		if (g->fd < 0 && rg_connect(g))
			return;
		closing_one(g, &closing_cases[i], out);
	}
}

/* ---- the honest call ------------------------------------------------------------ */

/* CREATE_DUMB 64x64x32 and GEM_CLOSE of what it made: both must succeed. */
static void case_sane(struct rg *g, const char *name, struct iob *o, struct outcome *out)
{
	struct drm_mode_create_dumb cd = {.width = 64, .height = 64, .bpp = 32};
	struct wire_ioctl_reply ir;
	struct wire_ioctl_buf b;
	struct drm_gem_close gc = {0};

	if (g->fd < 0 && rg_connect(g))
		return;
	iob_start(o, DRM_IOCTL_MODE_CREATE_DUMB, 0, 0, 1);
	iob_rec(o, sizeof(cd), M_INOUT, &cd, sizeof(cd));
	iob_send(g, o, out);
	/* §8.5: wire_ioctl_reply, then the out record (our struct, filled) */
	if (out->kind != RG_REPLY || out->result < 0 ||
	    out->body_len < sizeof(ir) + sizeof(b) + sizeof(cd)) {
		verdict(g, name, out, &x_any);
		FAIL("%s create_dumb", name);
		return;
	}
	memcpy(&ir, out->body, sizeof(ir));
	memcpy(&b, out->body + sizeof(ir), sizeof(b));
	memcpy(&cd, out->body + sizeof(ir) + sizeof(b), sizeof(cd));
	if (ir.nbuf != 1 || ir.nfile != 0 || b.len != sizeof(cd) || b.dir != M_INOUT ||
	    !cd.handle || cd.size < 64 * 64 * 4) {
		FAIL("%s create_dumb reply nbuf %u len %u handle %u size %llu", name, ir.nbuf,
		     b.len, cd.handle, (unsigned long long)cd.size);
		return;
	}
	gc.handle = cd.handle;
	iob_start(o, DRM_IOCTL_GEM_CLOSE, 0, 0, 1);
	iob_rec(o, sizeof(gc), M_IN, &gc, sizeof(gc));
	iob_send(g, o, out);
	if (out->kind != RG_REPLY || out->result != 0) {
		SAY("case %s result %s", name,
		    out->kind == RG_REPLY ? ename((int)-out->result) : "closed");
		FAIL("%s gem_close", name);
		return;
	}
	SAY("case %s ok handle %u size %llu", name, cd.handle, (unsigned long long)cd.size);
}

int main(int argc, char **argv)
{
	struct rg g = {.fd = -1};
	static struct iob iob;
	static struct outcome outcome;
	struct iob *o = &iob;
	struct outcome *out = &outcome;
	char err[128];

	if (argc != 4) {
		fprintf(stderr, "usage: vdri-rawguest ADDR TOKEN|- NODE\n");
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (vt_parse(argv[1], &g.addr, err, sizeof(err))) {
		fprintf(stderr, "vdri-rawguest: %s\n", err);
		return 64;
	}
	g.token = strcmp(argv[2], "-") ? argv[2] : "";
	g.node = argv[3];
	if (strlen(g.token) > 256 || strlen(g.node) >= WIRE_PATH_MAX) {
		fprintf(stderr, "vdri-rawguest: token or node too long\n");
		return 64;
	}
	if (rg_connect(&g))
		return 1;
	SAY("connected file %u", g.file);
	case_huge_count(&g, o, out);
	case_count_mismatch(&g, o, out);
	case_overlapping(&g, o, out);
	case_self_ref(&g, o, out);
	case_kernel_refusals(&g, o, out);
	case_fd_fields(&g, o, out);
	case_header_fields(&g, o, out);
	case_reserved(&g, o, out);
	case_sane(&g, "sane_same_connection", o, out);
	if (g.connections != 1)
		FAIL("connections %d before the closing cases (1 expected)", g.connections);
	case_closing(&g, out);
	case_sane(&g, "sane", o, out);
	SAY("connections %d", g.connections);
	SAY("rawguest done failures=%d", failures);
	rg_drop(&g);
	return failures ? 1 : 0;
}
