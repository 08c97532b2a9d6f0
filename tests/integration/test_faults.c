/* SPDX-License-Identifier: MIT */
/*
 * test_faults.c - bad input and failures: malformed, truncated, oversized
 * frames and unknown operations close only that connection (with a logged
 * reason) while other guests keep working; a backend worker or daemon
 * killed mid-request gives the guest EIO at once, new opens fail with
 * ENODEV until the backend is back, then work again.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "runner.h"
#include "vdri/marshal.h"
#include "vdri/wire.h"

static const char *const ptmx_only[] = {"/dev/ptmx", NULL};

CLIENT(ptn_client)
{
	int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY), n = -1;

	if (fd < 0 || ioctl(fd, TIOCGPTN, &n))
		return perror("ptn_client"), 1;
	printf("ptn %d\n", n);
	close(fd);
	return 0;
}

/* A healthy guest still works. */
static void check_other_guest(struct backd *b)
{
	char out[256];

	CHECK_EQ(h_run_client(b, "/dev/ptmx", "ptn_client", NULL, out, sizeof(out), 10), 0);
	CHECK(strncmp(out, "ptn ", 4) == 0);
}

/* Wait until the daemon closes fd (read returns 0 or an error). */
static int closed_by_peer(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	char buf[512];

	for (;;) {
		if (poll(&p, 1, 5000) != 1)
			return 0;
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			return 1;
	}
}

static void send_all(int fd, const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n)
		FAILF("write: %s", strerror(errno));
}

static void bad_after_hello(struct backd *b, const void *frame, size_t len, const char *reason)
{
	int fd = h_connect_raw(b);

	CHECK_EQ(h_raw_hello(fd), 0);
	send_all(fd, frame, len);
	CHECK(closed_by_peer(fd));
	close(fd);
	usleep(50000);
	if (!h_log_contains(b, reason))
		FAILF("log has no \"%s\"", reason);
	check_other_guest(b);
}

TEST(malformed_frames_close_only_that_connection)
{
	struct backd b = {0};
	struct wire_hdr h;
	uint8_t junk[64];
	int fd;

	h_backd_start(&b, NULL, ptmx_only, NULL);
	/* garbage instead of HELLO */
	fd = h_connect_raw(&b);
	memset(junk, 0xa5, sizeof(junk));
	send_all(fd, junk, sizeof(junk));
	CHECK(closed_by_peer(fd));
	close(fd);
	check_other_guest(&b);
	/* HELLO with a bad magic */
	fd = h_connect_raw(&b);
	wire_hdr_init(&h, WIRE_OP_HELLO, 0, 1, 0, sizeof(struct wire_hello));
	memset(junk, 0, sizeof(junk));
	memcpy(junk, &h, sizeof(h));
	send_all(fd, junk, WIRE_HDR_SIZE + sizeof(struct wire_hello));
	CHECK(closed_by_peer(fd));
	close(fd);
	CHECK(h_log_contains(&b, "bad magic in HELLO"));
	/* oversized frame */
	h = (struct wire_hdr){.len = 0x7fffffff, .op = WIRE_OP_IOCTL, .id = 2};
	bad_after_hello(&b, &h, sizeof(h), "frame larger than the limit");
	/* unknown operation */
	wire_hdr_init(&h, 0x7777, 0, 3, 0, 0);
	bad_after_hello(&b, &h, sizeof(h), "unknown operation");
	/* a reply flag on a request */
	wire_hdr_init(&h, WIRE_OP_PING, WIRE_F_REPLY, 4, 0, 0);
	bad_after_hello(&b, &h, sizeof(h), "connection closed");
	/* truncated: header promises a body that never comes */
	wire_hdr_init(&h, WIRE_OP_WRITE, 0, 5, 1, 100);
	fd = h_connect_raw(&b);
	CHECK_EQ(h_raw_hello(fd), 0);
	send_all(fd, &h, sizeof(h));
	send_all(fd, junk, 10);
	shutdown(fd, SHUT_WR);
	CHECK(closed_by_peer(fd));
	close(fd);
	usleep(50000);
	CHECK(h_log_contains(&b, "connection ended inside a frame"));
	check_other_guest(&b);
	h_backd_stop(&b);
}

/* A count far above a descriptor's bound gets EINVAL; the connection lives on. */
TEST(huge_count_gets_einval)
{
	struct backd b = {0};
	struct {
		struct wire_hdr h;
		struct wire_open o;
		char path[16];
	} op;
	uint8_t buf[512];
	struct wire_hdr *rh = (struct wire_hdr *)buf;
	int fd;
	ssize_t n;

	h_backd_start(&b, NULL, ptmx_only, NULL);
	fd = h_connect_raw(&b);
	CHECK_EQ(h_raw_hello(fd), 0);
	memset(&op, 0, sizeof(op));
	op.o.flags = O_RDWR;
	op.o.path_len = 9;
	memcpy(op.path, "/dev/ptmx", 9);
	wire_hdr_init(&op.h, WIRE_OP_OPEN, 0, 2, 0, sizeof(op.o) + 9);
	send_all(fd, &op, op.h.len);
	n = read(fd, buf, sizeof(buf));
	CHECK(n >= (ssize_t)(WIRE_HDR_SIZE + 8));
	CHECK_EQ(((struct wire_reply *)(rh + 1))->result, 1);
	/* An IOCTL whose record claims 2^31 bytes for a 4-byte argument. */
	{
		struct {
			struct wire_hdr h;
			struct wire_ioctl io;
			struct wire_ioctl_buf b;
			uint8_t data[8];
		} m = {0};

		wire_hdr_init(&m.h, WIRE_OP_IOCTL, 0, 3, 1, sizeof(m) - WIRE_HDR_SIZE);
		m.io.cmd = TIOCGPTN;
		m.io.nbuf = 1;
		m.b.len = 1u << 31;
		m.b.dir = M_OUT;
		send_all(fd, &m, sizeof(m));
		n = read(fd, buf, sizeof(buf));
		CHECK(n >= (ssize_t)(WIRE_HDR_SIZE + 8));
		CHECK_EQ(((struct wire_reply *)(rh + 1))->result, -EINVAL);
	}
	/* still alive: PING */
	wire_hdr_init(&op.h, WIRE_OP_PING, 0, 4, 0, 0);
	send_all(fd, &op.h, sizeof(op.h));
	n = read(fd, buf, sizeof(buf));
	CHECK_EQ(n, WIRE_HDR_SIZE + 8);
	CHECK_EQ(((struct wire_reply *)(rh + 1))->result, 0);
	close(fd);
	h_backd_stop(&b);
}

/*
 * The client blocks in read() on a forwarded pty master; the test kills the
 * backend; the read must fail with EIO promptly, then opens fail with
 * ENODEV until a backend is back, then succeed.
 */
CLIENT(survivor_client)
{
	char buf[16], line[64];
	int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY), n;
	struct timespec t0, t1;

	if (fd < 0)
		return perror("open"), 1;
	printf("READY\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = (int)read(fd, buf, sizeof(buf)); /* blocks until the backend dies */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("read %d %s\n", n, n < 0 ? strerror(errno) : "-");
	n = ioctl(fd, TIOCGPTN, &n);
	printf("ioctl %d %s\n", n, n < 0 ? strerror(errno) : "-");
	close(fd);
	fd = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	printf("reopen %d %s\n", fd < 0 ? -1 : 0, fd < 0 ? strerror(errno) : "-");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin)) /* the test restarted the backend */
		return 2;
	fd = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	n = -1;
	printf("after-restart %s\n",
	       fd >= 0 && ioctl(fd, TIOCGPTN, &n) == 0 ? "ok" : strerror(errno));
	return 0;
}

static void kill_midrequest(int kill_worker_only)
{
	struct backd b = {0}, b2 = {0};
	struct h_proc p;
	char line[256];
	pid_t workers[8];

	h_backd_start(&b, NULL, ptmx_only, NULL);
	h_client_start(&b, "/dev/ptmx", "survivor_client", NULL, &p);
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "READY");
	usleep(200000); /* let the read block */
	if (kill_worker_only) {
		CHECK_EQ(h_backd_workers(&b, workers, 8), 1);
		kill(workers[0], SIGKILL);
	} else {
		h_backd_kill(&b);
	}
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 3), 0);
	CHECK_STREQ(line, "read -1 Input/output error");
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 3), 0);
	CHECK_STREQ(line, "ioctl -1 Input/output error");
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 5), 0);
	if (kill_worker_only) {
		/* The daemon is alive: a new session is opened at once. */
		CHECK_STREQ(line, "reopen 0 -");
		check_other_guest(&b);
		CHECK(h_log_contains(&b, "killed by signal 9"));
		b2 = b;
	} else {
		CHECK_STREQ(line, "reopen -1 No such device");
		/* Bring a backend back at the same address. */
		h_backd_start(&b2, b.uri, ptmx_only, NULL);
	}
	CHECK(write(p.in, "go\n", 3) == 3);
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "after-restart ok");
	CHECK_EQ(h_proc_wait(&p, 10), 0);
	h_backd_stop(&b2);
	if (!kill_worker_only)
		h_backd_stop(&b); /* removes its directory */
}

TEST(worker_killed_midrequest_gives_eio)
{
	kill_midrequest(1);
}

TEST(daemon_killed_midrequest_gives_eio_then_recovers)
{
	kill_midrequest(0);
}
