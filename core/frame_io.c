/* SPDX-License-Identifier: MIT */
/*
 * frame_io.c - whole frames over a stream fd (user space).
 *
 * Owns the receive buffer of a connection (struct fio_rx) and the complete
 * write of one frame.  Receiving checks each header as soon as its 16 bytes
 * are buffered, so a peer that announces a frame larger than the limit is
 * dropped before we read (or allocate for) its body.
 *
 * Frames are handed out in place, and the marshalling engine reads payload
 * structs in place, so every frame returned starts 8-byte aligned.  Frames on
 * the wire are not padded: one that starts at an odd offset is moved back to
 * the aligned offset below it, over bytes already consumed.  Each byte is
 * moved at most twice (that, and the compaction before a read), so a peer
 * sending many tiny unaligned frames costs linear, not quadratic, copying.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vdri/frame_io.h"

#define FIO_INITIAL_CAP (64u * 1024u)
#define FIO_IOV_STACK 16

int fio_rx_init(struct fio_rx *rx, uint32_t max_frame, int is_backend)
{
	memset(rx, 0, sizeof(*rx));
	if (max_frame == 0)
		max_frame = WIRE_FRAME_DEFAULT_LIMIT;
	if (max_frame < WIRE_FRAME_MIN_LIMIT || max_frame > WIRE_FRAME_MAX_LIMIT)
		return -EINVAL;
	rx->buf = malloc(FIO_INITIAL_CAP);
	if (!rx->buf)
		return -ENOMEM;
	rx->cap = FIO_INITIAL_CAP;
	rx->max_frame = max_frame;
	rx->is_backend = is_backend;
	return 0;
}

void fio_rx_fini(struct fio_rx *rx)
{
	free(rx->buf);
	rx->buf = NULL;
	rx->cap = rx->start = rx->end = 0;
}

/* Move the unconsumed bytes to offset 0 (malloc'd, hence aligned). */
static void fio_rx_compact(struct fio_rx *rx)
{
	uint32_t have = rx->end - rx->start;

	if (rx->start == 0)
		return;
	if (have)
		memmove(rx->buf, rx->buf + rx->start, have);
	rx->start = 0;
	rx->end = have;
}

/* Make the buffer at least need bytes (need <= the caller's limit). */
static int fio_rx_grow(struct fio_rx *rx, uint64_t need)
{
	uint64_t cap = rx->cap ? rx->cap : FIO_INITIAL_CAP;
	uint8_t *p;

	if (need <= rx->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > 2ull * rx->max_frame)
		cap = need;
	p = realloc(rx->buf, cap);
	if (!p)
		return -ENOMEM;
	rx->buf = p;
	rx->cap = (uint32_t)cap;
	return 0;
}

/*
 * Parse what is buffered: 1 with a frame (consumed), -EAGAIN when more bytes
 * are needed (*need then says how many the next frame takes in all, or 0 if
 * its header is not complete yet), -EPROTO for a bad header.
 */
static int fio_rx_parse(struct fio_rx *rx, const struct wire_hdr **frame, uint32_t *need)
{
	uint32_t have = rx->end - rx->start, len, dst;
	struct wire_hdr h;

	*need = 0;
	if (have < WIRE_HDR_SIZE)
		return -EAGAIN;
	memcpy(&h, rx->buf + rx->start, sizeof(h));
	if (wire_hdr_check(&h, rx->max_frame, rx->is_backend, &rx->why))
		return -EPROTO;
	len = vdri_le32(h.len);
	if (have < len) {
		*need = len;
		return -EAGAIN;
	}
	dst = rx->start & ~7u;
	if (dst != rx->start)
		memmove(rx->buf + dst, rx->buf + rx->start, len);
	*frame = (const struct wire_hdr *)(void *)(rx->buf + dst);
	rx->start += len;
	return 1;
}

int fio_rx_next(struct fio_rx *rx, const struct wire_hdr **frame)
{
	uint32_t need;

	return fio_rx_parse(rx, frame, &need);
}

/* A frame, or an error, is ready without reading: fio_recv will not block. */
int fio_rx_has_frame(const struct fio_rx *rx)
{
	uint32_t have = rx->end - rx->start;
	struct wire_hdr h;
	const char *why;

	if (have < WIRE_HDR_SIZE)
		return 0;
	memcpy(&h, rx->buf + rx->start, sizeof(h));
	if (wire_hdr_check(&h, rx->max_frame, rx->is_backend, &why))
		return 1;
	return have >= vdri_le32(h.len);
}

/*
 * Pushed data may hold a whole frame and the start of the next, so the
 * buffer may grow to twice the frame limit; beyond that the caller must
 * drain frames with fio_rx_next first.
 */
int fio_rx_push(struct fio_rx *rx, const void *data, uint32_t len)
{
	uint64_t have = rx->end - rx->start;
	int ret;

	if (have + len > 2ull * rx->max_frame)
		return -E2BIG;
	if ((uint64_t)rx->end + len > rx->cap)
		fio_rx_compact(rx);
	ret = fio_rx_grow(rx, have + len);
	if (ret)
		return ret;
	if (len)
		memcpy(rx->buf + rx->end, data, len);
	rx->end += len;
	return 0;
}

int fio_rx_reserve(struct fio_rx *rx, uint8_t **dst, uint32_t *room)
{
	uint32_t have = rx->end - rx->start, need = WIRE_HDR_SIZE;
	struct wire_hdr h;
	int ret;

	if (have >= WIRE_HDR_SIZE) {
		memcpy(&h, rx->buf + rx->start, sizeof(h));
		if (wire_hdr_check(&h, rx->max_frame, rx->is_backend, &rx->why))
			return -EPROTO;
		need = vdri_le32(h.len);
		if (have >= need)
			return -EEXIST; /* a whole frame is there: take it first */
	}
	fio_rx_compact(rx);
	ret = fio_rx_grow(rx, need);
	if (ret)
		return ret;
	*dst = rx->buf + rx->end;
	*room = rx->cap - rx->end;
	return 0;
}

void fio_rx_produced(struct fio_rx *rx, uint32_t n)
{
	if (n <= rx->cap - rx->end)
		rx->end += n;
}

/* One read(2) into the buffer: bytes read, 0 at end of stream, or -errno. */
static int fio_rx_fill(struct fio_rx *rx, int fd)
{
	uint8_t *dst;
	uint32_t room;
	ssize_t n;
	int ret;

	ret = fio_rx_reserve(rx, &dst, &room);
	if (ret)
		return ret;
	do
		n = read(fd, dst, room);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	fio_rx_produced(rx, (uint32_t)n);
	return (int)(n > 0);
}

int fio_recv(struct fio_rx *rx, int fd, const struct wire_hdr **frame)
{
	uint32_t need;
	int ret;

	for (;;) {
		ret = fio_rx_parse(rx, frame, &need);
		if (ret != -EAGAIN)
			return ret;
		ret = fio_rx_fill(rx, fd);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return rx->end > rx->start ? -EIO : 0;
	}
}

/* ---- sending ------------------------------------------------------------ */

/* Drop n written bytes from the front of an iovec array. */
static void fio_iov_advance(struct iovec **iov, int *niov, size_t n)
{
	while (*niov > 0 && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*niov)--;
	}
	if (*niov > 0 && n) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

/*
 * writev(2) for fds that are not sockets (pipes, FIFOs, ttys): no SIGPIPE,
 * like MSG_NOSIGNAL.  SIGPIPE is blocked around the call and a SIGPIPE this
 * write raised is taken back, so EPIPE reaches the caller as an error.
 */
static ssize_t fio_writev_nosignal(int fd, const struct iovec *iov, int niov)
{
	static const struct timespec zero = {0, 0};
	sigset_t pipe_set, old, pending;
	int was_pending, err;
	ssize_t n;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	n = writev(fd, iov, niov);
	err = errno;
	if (n < 0 && err == EPIPE && !was_pending) {
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return n;
}

/* Wait until a non-blocking fd takes more bytes. */
static int fio_wait_writable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* Write every byte of iov (a private copy the loop may modify). */
static int fio_write_all(int fd, struct iovec *iov, int niov)
{
	struct msghdr msg;
	int sock = 1;
	ssize_t n;

	while (niov > 0) {
		if (sock) {
			memset(&msg, 0, sizeof(msg));
			msg.msg_iov = iov;
			msg.msg_iovlen = (size_t)niov;
			n = sendmsg(fd, &msg, MSG_NOSIGNAL);
			if (n < 0 && errno == ENOTSOCK) {
				sock = 0;
				continue;
			}
		} else {
			n = fio_writev_nosignal(fd, iov, niov);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int ret = fio_wait_writable(fd);

			if (ret)
				return ret;
			continue;
		}
		if (n < 0)
			return -errno;
		fio_iov_advance(&iov, &niov, (size_t)n);
	}
	return 0;
}

int fio_send(int fd, const struct wire_hdr *hdr, const struct iovec *iov, int niov)
{
	struct iovec stack[FIO_IOV_STACK], *v = stack;
	uint64_t total = 0;
	int i, ret;

	if (niov < 0 || niov >= IOV_MAX || (niov > 0 && !iov))
		return -EINVAL;
	for (i = 0; i < niov; i++)
		total += iov[i].iov_len;
	if (vdri_le32(hdr->len) < WIRE_HDR_SIZE || total != vdri_le32(hdr->len) - WIRE_HDR_SIZE)
		return -EINVAL;
	if (niov + 1 > FIO_IOV_STACK) {
		v = malloc(sizeof(*v) * (size_t)(niov + 1));
		if (!v)
			return -ENOMEM;
	}
	v[0].iov_base = (void *)hdr;
	v[0].iov_len = WIRE_HDR_SIZE;
	for (i = 0; i < niov; i++)
		v[i + 1] = iov[i];
	ret = fio_write_all(fd, v, niov + 1);
	if (v != stack)
		free(v);
	return ret;
}

int fio_send_reply(int fd, uint16_t op, uint32_t id, uint32_t handle, int64_t result,
		   const void *payload, uint32_t payload_len)
{
	struct wire_reply r = {.result = (int64_t)vdri_le64((uint64_t)result)};
	struct iovec iov[2] = {
	    {.iov_base = &r, .iov_len = sizeof(r)},
	    {.iov_base = (void *)payload, .iov_len = payload_len},
	};
	struct wire_hdr h;

	if (payload_len > UINT32_MAX - WIRE_HDR_SIZE - sizeof(r))
		return -E2BIG;
	if (payload_len && !payload)
		return -EINVAL;
	wire_hdr_init(&h, op, WIRE_F_REPLY, id, handle, (uint32_t)sizeof(r) + payload_len);
	return fio_send(fd, &h, iov, payload_len ? 2 : 1);
}
