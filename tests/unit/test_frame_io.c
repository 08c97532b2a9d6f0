/* SPDX-License-Identifier: MIT */
/* test_frame_io.c - buffered frame reception, alignment, complete sends. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"
#include "vdri/frame_io.h"

#define LIMIT WIRE_FRAME_MIN_LIMIT

/* Payload byte i of the frame with this id. */
static uint8_t pattern(uint32_t id, uint32_t i)
{
	return (uint8_t)(id * 7 + i);
}

/* A request (PING/WRITE) of n payload bytes at buf; returns the frame length. */
static uint32_t make_frame(uint8_t *buf, uint16_t op, uint16_t flags, uint32_t id, uint32_t n)
{
	struct wire_hdr h;
	uint32_t i;

	wire_hdr_init(&h, op, flags, id, 0, n);
	memcpy(buf, &h, sizeof(h));
	for (i = 0; i < n; i++)
		buf[WIRE_HDR_SIZE + i] = pattern(id, i);
	return WIRE_HDR_SIZE + n;
}

static void check_frame(const struct wire_hdr *f, uint16_t op, uint32_t id, uint32_t n)
{
	const uint8_t *p = (const uint8_t *)(f + 1);
	uint32_t i;

	if ((uintptr_t)f & 7)
		FAILF("frame %u at %p is not 8-byte aligned", id, (const void *)f);
	CHECK_EQ(f->op, op);
	CHECK_EQ(f->id, id);
	CHECK_EQ(f->len, WIRE_HDR_SIZE + n);
	for (i = 0; i < n; i++)
		if (p[i] != pattern(id, i))
			FAILF("frame %u byte %u: %#x != %#x", id, i, p[i], pattern(id, i));
}

static void sockpair(int sv[2])
{
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
}

static void write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			FAILF("write: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

TEST(init_limits)
{
	struct fio_rx rx;

	CHECK_EQ(fio_rx_init(&rx, LIMIT - 1, 1), -EINVAL);
	CHECK_EQ(fio_rx_init(&rx, WIRE_FRAME_MAX_LIMIT + 1, 1), -EINVAL);
	CHECK_EQ(fio_rx_init(&rx, 0, 1), 0);
	CHECK_EQ(rx.max_frame, WIRE_FRAME_DEFAULT_LIMIT);
	fio_rx_fini(&rx);
	fio_rx_fini(&rx); /* safe twice */
}

TEST(several_frames_one_write)
{
	static uint8_t buf[4096];
	const struct wire_hdr *f;
	struct fio_rx rx;
	uint32_t n = 0;
	int sv[2];

	sockpair(sv);
	CHECK_OK(fio_rx_init(&rx, LIMIT, 1));
	n += make_frame(buf + n, WIRE_OP_PING, 0, 1, 0);
	n += make_frame(buf + n, WIRE_OP_WRITE, 0, 2, 100);
	n += make_frame(buf + n, WIRE_OP_WRITE, 0, 3, 8);
	write_all(sv[1], buf, n);
	close(sv[1]);
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 1);
	check_frame(f, WIRE_OP_PING, 1, 0);
	CHECK(fio_rx_has_frame(&rx));
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 1);
	check_frame(f, WIRE_OP_WRITE, 2, 100);
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 1);
	check_frame(f, WIRE_OP_WRITE, 3, 8);
	CHECK(!fio_rx_has_frame(&rx));
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 0); /* clean end of stream */
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 0);
	fio_rx_fini(&rx);
	close(sv[0]);
}

/* Two frames arrive one byte per write on a non-blocking socket. */
TEST(frame_split_byte_by_byte)
{
	uint8_t buf[256];
	const struct wire_hdr *f;
	struct fio_rx rx;
	uint32_t n, i, got = 0;
	int sv[2], r;

	sockpair(sv);
	CHECK_OK(fcntl(sv[0], F_SETFL, O_NONBLOCK));
	CHECK_OK(fio_rx_init(&rx, LIMIT, 1));
	n = make_frame(buf, WIRE_OP_WRITE, 0, 5, 37);
	n += make_frame(buf + n, WIRE_OP_WRITE, 0, 6, 21);
	CHECK_EQ(fio_recv(&rx, sv[0], &f), -EAGAIN);
	for (i = 0; i < n; i++) {
		write_all(sv[1], buf + i, 1);
		r = fio_recv(&rx, sv[0], &f);
		if (i + 1 == 53 || i + 1 == n) {
			CHECK_EQ(r, 1);
			check_frame(f, WIRE_OP_WRITE, got ? 6 : 5, got ? 21 : 37);
			got++;
		} else if (r != -EAGAIN) {
			FAILF("byte %u: fio_recv returned %d", i, r);
		}
	}
	CHECK_EQ(got, 2);
	close(sv[1]);
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 0);
	fio_rx_fini(&rx);
	close(sv[0]);
}

/* Only the header of a too-large frame is sent: rejected without waiting for the body. */
TEST(oversized_rejected_before_body)
{
	const struct wire_hdr *f;
	struct wire_hdr h;
	struct fio_rx rx;
	int sv[2];

	sockpair(sv);
	CHECK_OK(fio_rx_init(&rx, LIMIT, 1));
	wire_hdr_init(&h, WIRE_OP_WRITE, 0, 1, 0, 200u * 1024 * 1024);
	write_all(sv[1], &h, sizeof(h));
	CHECK_EQ(fio_recv(&rx, sv[0], &f), -EPROTO); /* blocking fd: would hang if it read on */
	CHECK_STREQ(rx.why, "frame larger than the limit");
	CHECK(rx.cap <= 2 * LIMIT);
	CHECK_EQ(fio_recv(&rx, sv[0], &f), -EPROTO); /* stays broken */
	fio_rx_fini(&rx);
	close(sv[0]);
	close(sv[1]);
}

TEST(malformed_header_reason)
{
	const struct wire_hdr *f;
	struct wire_hdr h;
	struct fio_rx rx;
	int sv[2];

	sockpair(sv);
	CHECK_OK(fio_rx_init(&rx, LIMIT, 0)); /* frontend: requests are illegal */
	wire_hdr_init(&h, WIRE_OP_PING, 0, 1, 0, 0);
	write_all(sv[1], &h, sizeof(h));
	CHECK_EQ(fio_recv(&rx, sv[0], &f), -EPROTO);
	CHECK_STREQ(rx.why, "frontend received a request");
	CHECK(fio_rx_has_frame(&rx)); /* the error is ready without reading */
	fio_rx_fini(&rx);
	close(sv[0]);
	close(sv[1]);
}

static void eof_after(uint32_t sent, uint32_t payload, int want)
{
	uint8_t buf[128];
	const struct wire_hdr *f;
	struct fio_rx rx;
	int sv[2];

	sockpair(sv);
	CHECK_OK(fio_rx_init(&rx, LIMIT, 1));
	make_frame(buf, WIRE_OP_WRITE, 0, 9, payload);
	write_all(sv[1], buf, sent);
	close(sv[1]);
	CHECK_EQ(fio_recv(&rx, sv[0], &f), want);
	fio_rx_fini(&rx);
	close(sv[0]);
}

TEST(eof_mid_frame)
{
	eof_after(1, 40, -EIO); /* inside the header */
	eof_after(15, 40, -EIO);
	eof_after(16, 40, -EIO); /* header, no body */
	eof_after(55, 40, -EIO); /* one byte short */
	eof_after(0, 40, 0);	 /* nothing at all: clean */
}

/* Frames of every length mod 8 back to back: each handed out 8-byte aligned. */
TEST(frames_aligned)
{
	static uint8_t buf[64 * 1024];
	const struct wire_hdr *f;
	struct fio_rx rx;
	uint32_t n = 0, id;
	int sv[2];

	sockpair(sv);
	CHECK_OK(fio_rx_init(&rx, LIMIT, 1));
	for (id = 1; id <= 200; id++)
		n += make_frame(buf + n, WIRE_OP_WRITE, 0, id, 8 + id * 3 % 61);
	write_all(sv[1], buf, n);
	close(sv[1]);
	for (id = 1; id <= 200; id++) {
		CHECK_EQ(fio_recv(&rx, sv[0], &f), 1);
		check_frame(f, WIRE_OP_WRITE, id, 8 + id * 3 % 61);
	}
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 0);
	fio_rx_fini(&rx);
	close(sv[0]);
}

TEST(push_next)
{
	static uint8_t buf[8192];
	const struct wire_hdr *f;
	struct fio_rx rx;
	uint32_t n = 0, i, id = 1;
	int r;

	CHECK_OK(fio_rx_init(&rx, LIMIT, 1));
	CHECK_EQ(fio_rx_next(&rx, &f), -EAGAIN);
	for (i = 1; i <= 20; i++)
		n += make_frame(buf + n, WIRE_OP_WRITE, 0, i, 8 + i);
	/* byte by byte, draining as we go */
	for (i = 0; i < n; i++) {
		CHECK_OK(fio_rx_push(&rx, buf + i, 1));
		while ((r = fio_rx_next(&rx, &f)) == 1) {
			check_frame(f, WIRE_OP_WRITE, id, 8 + id);
			id++;
		}
		CHECK_EQ(r, -EAGAIN);
	}
	CHECK_EQ(id, 21);
	/* all at once */
	CHECK_OK(fio_rx_push(&rx, buf, n));
	for (id = 1; id <= 20; id++) {
		CHECK_EQ(fio_rx_next(&rx, &f), 1);
		check_frame(f, WIRE_OP_WRITE, id, 8 + id);
	}
	CHECK_EQ(fio_rx_next(&rx, &f), -EAGAIN);
	/* a bad header */
	make_frame(buf, WIRE_OP_EVENT, WIRE_F_EVENT, 0, 8);
	CHECK_OK(fio_rx_push(&rx, buf, 24));
	CHECK_EQ(fio_rx_next(&rx, &f), -EPROTO);
	CHECK_STREQ(rx.why, "backend received a reply or an event");
	fio_rx_fini(&rx);
}

/* Receiving by copying (the shm ring): room is only made after the header is checked. */
TEST(reserve_produced)
{
	static uint8_t buf[8192];
	const struct wire_hdr *f;
	struct fio_rx rx;
	uint32_t n, room, off = 0;
	uint8_t *dst;

	CHECK_OK(fio_rx_init(&rx, LIMIT, 1));
	n = make_frame(buf, WIRE_OP_WRITE, 0, 5, 3000);
	n += make_frame(buf + n, WIRE_OP_WRITE, 0, 6, 10);
	/* in pieces of at most 7 bytes, as a ring with little in it would give them */
	while (off < n) {
		uint32_t k;

		CHECK_EQ(fio_rx_reserve(&rx, &dst, &room), 0);
		CHECK(room > 0);
		k = n - off < 7 ? n - off : 7;
		k = k < room ? k : room;
		memcpy(dst, buf + off, k);
		fio_rx_produced(&rx, k);
		off += k;
		if (fio_rx_next(&rx, &f) == 1)
			check_frame(f, WIRE_OP_WRITE, f->id, f->id == 5 ? 3000 : 10);
	}
	/* a whole frame buffered: take it first */
	n = make_frame(buf, WIRE_OP_WRITE, 0, 7, 8);
	CHECK_EQ(fio_rx_reserve(&rx, &dst, &room), 0);
	memcpy(dst, buf, n);
	fio_rx_produced(&rx, n);
	CHECK_EQ(fio_rx_reserve(&rx, &dst, &room), -EEXIST);
	CHECK_EQ(fio_rx_next(&rx, &f), 1);
	/* a header over the limit is refused before any room is made for its body */
	make_frame(buf, WIRE_OP_WRITE, 0, 8, 1);
	((struct wire_hdr *)(void *)buf)->len = LIMIT + 1;
	CHECK_EQ(fio_rx_reserve(&rx, &dst, &room), 0);
	memcpy(dst, buf, WIRE_HDR_SIZE);
	fio_rx_produced(&rx, WIRE_HDR_SIZE);
	CHECK_EQ(fio_rx_reserve(&rx, &dst, &room), -EPROTO);
	CHECK(rx.cap < 2 * LIMIT);
	fio_rx_fini(&rx);
}

TEST(push_limit)
{
	static uint8_t junk[LIMIT];
	struct fio_rx rx;

	CHECK_OK(fio_rx_init(&rx, LIMIT, 1));
	CHECK_OK(fio_rx_push(&rx, junk, LIMIT));
	CHECK_OK(fio_rx_push(&rx, junk, LIMIT));
	CHECK_EQ(fio_rx_push(&rx, junk, 1), -E2BIG);
	CHECK_EQ(fio_rx_push(&rx, junk, UINT32_MAX), -E2BIG);
	fio_rx_fini(&rx);
}

/* A frame larger than the initial 64 KiB buffer grows it. */
TEST(large_frame_grows_buffer)
{
	const uint32_t n = 3 * 1024 * 1024 + 5;
	uint8_t *buf = malloc(n + WIRE_HDR_SIZE);
	const struct wire_hdr *f;
	struct fio_rx rx;
	int sv[2], status;
	pid_t pid;

	CHECK(buf);
	sockpair(sv);
	CHECK_OK(fio_rx_init(&rx, 4 * 1024 * 1024, 1));
	make_frame(buf, WIRE_OP_WRITE, 0, 77, n);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		write_all(sv[1], buf, n + WIRE_HDR_SIZE);
		_exit(0);
	}
	close(sv[1]);
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 1);
	check_frame(f, WIRE_OP_WRITE, 77, n);
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fio_rx_fini(&rx);
	free(buf);
	close(sv[0]);
}

/* ---- sending ------------------------------------------------------------ */

struct reader {
	int fd;
	uint32_t frames;
	uint32_t sizes[4];
	int ret;
};

/* Receive reader->frames frames slowly, as a frontend (replies). */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	const struct wire_hdr *f;
	struct fio_rx rx;
	uint32_t i, j;

	r->ret = fio_rx_init(&rx, 16 * 1024 * 1024, 0);
	for (i = 0; !r->ret && i < r->frames; i++) {
		usleep(20000);
		r->ret = fio_recv(&rx, r->fd, &f) == 1 ? 0 : -EIO;
		if (r->ret || f->len != WIRE_HDR_SIZE + r->sizes[i] || f->id != i + 1) {
			r->ret = r->ret ? r->ret : -EBADMSG;
			break;
		}
		for (j = 8; j < r->sizes[i]; j++)
			if (((const uint8_t *)(f + 1))[j] != pattern(i + 1, j))
				r->ret = -EBADMSG;
	}
	fio_rx_fini(&rx);
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* SIGUSR1 without SA_RESTART: blocking calls return early (EINTR or a short count). */
static void catch_usr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
}

struct pester {
	pthread_t target;
	volatile int stop;
};

static void *pester_main(void *arg)
{
	struct pester *p = arg;

	while (!p->stop) {
		pthread_kill(p->target, SIGUSR1);
		usleep(500);
	}
	return NULL;
}

/*
 * Two replies, the first far larger than the socket buffer, to a slow
 * reader.  nonblock: the fd returns EAGAIN; else signals interrupt the
 * blocking sends, which then return short counts.
 */
static void send_big(int nonblock)
{
	struct pester pest = {.target = pthread_self()};
	pthread_t pt;
	const uint32_t n = 4 * 1024 * 1024 + 3;
	uint8_t *data = malloc(n);
	struct reader r = {.frames = 2, .sizes = {n, 8 + 13}};
	int sv[2], sndbuf = 4096;
	pthread_t t;
	uint32_t i;

	CHECK(data);
	for (i = 0; i < n; i++)
		data[i] = pattern(1, i);
	sockpair(sv);
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	if (nonblock)
		CHECK_OK(fcntl(sv[1], F_SETFL, O_NONBLOCK));
	r.fd = sv[0];
	CHECK_EQ(pthread_create(&t, NULL, reader_main, &r), 0);
	catch_usr1();
	if (!nonblock)
		CHECK_EQ(pthread_create(&pt, NULL, pester_main, &pest), 0);
	/* payload[0..7] is the result; the rest is data */
	CHECK_EQ(fio_send_reply(sv[1], WIRE_OP_READ, 1, 0, n - 8, data + 8, n - 8), 0);
	for (i = 0; i < 13; i++)
		data[i] = pattern(2, i + 8);
	CHECK_EQ(fio_send_reply(sv[1], WIRE_OP_READ, 2, 0, 13, data, 13), 0);
	pest.stop = 1;
	if (!nonblock)
		pthread_join(pt, NULL);
	pthread_join(t, NULL);
	CHECK_EQ(r.ret, 0);
	free(data);
	close(sv[0]);
	close(sv[1]);
}

TEST(send_partial_writes)
{
	send_big(0);
}

TEST(send_nonblocking_fd)
{
	send_big(1);
}

TEST(send_reply_layout)
{
	const struct wire_hdr *f;
	const struct wire_reply *rep;
	struct fio_rx rx;
	int sv[2];

	sockpair(sv);
	CHECK_OK(fio_rx_init(&rx, LIMIT, 0));
	CHECK_EQ(fio_send_reply(sv[1], WIRE_OP_IOCTL, 42, 3, -ENOTTY, NULL, 0), 0);
	CHECK_EQ(fio_send_reply(sv[1], WIRE_OP_READ, 43, 3, 5, "hello", 5), 0);
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 1);
	rep = (const struct wire_reply *)(f + 1);
	CHECK_EQ(f->len, 24);
	CHECK_EQ(f->op, WIRE_OP_IOCTL);
	CHECK_EQ(f->flags, WIRE_F_REPLY);
	CHECK_EQ(f->id, 42);
	CHECK_EQ(f->handle, 3);
	CHECK_EQ(rep->result, -ENOTTY);
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 1);
	rep = (const struct wire_reply *)(f + 1);
	CHECK_EQ(f->len, 29);
	CHECK_EQ(rep->result, 5);
	CHECK(memcmp(rep + 1, "hello", 5) == 0);
	CHECK_EQ(fio_send_reply(sv[1], WIRE_OP_READ, 43, 3, 5, NULL, 5), -EINVAL);
	fio_rx_fini(&rx);
	close(sv[0]);
	close(sv[1]);
}

TEST(send_checks_length)
{
	struct wire_hdr h;
	struct iovec iov = {.iov_base = "abc", .iov_len = 3};
	int sv[2];

	sockpair(sv);
	wire_hdr_init(&h, WIRE_OP_PING, 0, 1, 0, 4);
	CHECK_EQ(fio_send(sv[1], &h, &iov, 1), -EINVAL);
	CHECK_EQ(fio_send(sv[1], &h, &iov, -1), -EINVAL);
	wire_hdr_init(&h, WIRE_OP_PING, 0, 1, 0, 3);
	CHECK_EQ(fio_send(sv[1], &h, &iov, 1), 0);
	close(sv[0]);
	close(sv[1]);
}

/* Many small iovecs (more than fit on the stack copy). */
TEST(send_many_iovecs)
{
	static uint8_t data[100];
	struct iovec iov[100];
	const struct wire_hdr *f;
	struct wire_hdr h;
	struct fio_rx rx;
	int sv[2], i;

	sockpair(sv);
	for (i = 0; i < 100; i++) {
		data[i] = pattern(8, (uint32_t)i);
		iov[i].iov_base = &data[i];
		iov[i].iov_len = 1;
	}
	wire_hdr_init(&h, WIRE_OP_WRITE, 0, 8, 0, 100);
	CHECK_EQ(fio_send(sv[1], &h, iov, 100), 0);
	CHECK_OK(fio_rx_init(&rx, LIMIT, 1));
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 1);
	check_frame(f, WIRE_OP_WRITE, 8, 100);
	fio_rx_fini(&rx);
	close(sv[0]);
	close(sv[1]);
}

/* A closed peer gives -EPIPE, and no SIGPIPE, on a socket and on a pipe. */
TEST(send_epipe_no_signal)
{
	struct wire_hdr h;
	int sv[2], p[2];

	signal(SIGPIPE, SIG_DFL);
	wire_hdr_init(&h, WIRE_OP_PING, 0, 1, 0, 0);
	sockpair(sv);
	close(sv[0]);
	CHECK_EQ(fio_send(sv[1], &h, NULL, 0), -EPIPE);
	close(sv[1]);
	CHECK_OK(pipe2(p, O_CLOEXEC));
	close(p[0]);
	CHECK_EQ(fio_send(p[1], &h, NULL, 0), -EPIPE);
	close(p[1]);
}

/* A FIFO/pipe is not a socket: fio_send falls back to writev. */
TEST(send_over_pipe)
{
	const struct wire_hdr *f;
	struct fio_rx rx;
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_OK(fio_rx_init(&rx, LIMIT, 0));
	CHECK_EQ(fio_send_reply(p[1], WIRE_OP_PING, 9, 0, 0, "xyz", 3), 0);
	close(p[1]);
	CHECK_EQ(fio_recv(&rx, p[0], &f), 1);
	CHECK_EQ(f->len, 27);
	CHECK_EQ(fio_recv(&rx, p[0], &f), 0);
	fio_rx_fini(&rx);
	close(p[0]);
}

struct interrupter {
	pthread_t target;
	int fd;
};

static void *interrupter_main(void *arg)
{
	struct interrupter *in = arg;
	uint8_t buf[64];
	uint32_t n;
	int i;

	for (i = 0; i < 5; i++) {
		usleep(10000);
		pthread_kill(in->target, SIGUSR1);
	}
	n = make_frame(buf, WIRE_OP_WRITE, 0, 4, 11);
	write_all(in->fd, buf, n);
	return NULL;
}

/* A signal without SA_RESTART interrupts read(2): fio_recv carries on. */
TEST(recv_retries_eintr)
{
	struct interrupter in;
	const struct wire_hdr *f;
	struct fio_rx rx;
	pthread_t t;
	int sv[2];

	catch_usr1();
	sockpair(sv);
	CHECK_OK(fio_rx_init(&rx, LIMIT, 1));
	in.target = pthread_self();
	in.fd = sv[1];
	CHECK_EQ(pthread_create(&t, NULL, interrupter_main, &in), 0);
	CHECK_EQ(fio_recv(&rx, sv[0], &f), 1);
	check_frame(f, WIRE_OP_WRITE, 4, 11);
	pthread_join(t, NULL);
	fio_rx_fini(&rx);
	close(sv[0]);
	close(sv[1]);
}
