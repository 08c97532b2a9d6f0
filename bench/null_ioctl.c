/* SPDX-License-Identifier: MIT */
/*
 * null_ioctl.c - latency of a cheap real ioctl (TIOCGPTN on /dev/ptmx).
 * Run natively or under libvdri-front.so (bench/run.sh does both in one
 * run).  Prints one line: "median_us p99_us mean_us ops".
 *   null_ioctl [-n ITER] [-w WARMUP] [-c CLIENTS] [-p | -P] [-I SECONDS]
 * -p measures the floor instead: a 64-byte ping-pong between two processes
 * over a unix socketpair (two blocking wake-ups, no ioctl, no vdri).
 * -P is the floor of the shm transport: 64-byte frames to an echo process
 * and back through the rings of core/shm.c (busy-polling, no ioctl).
 * -I S (one client): after the run, stay connected and idle for S seconds,
 * then print "idle_cpu_ms N", the CPU this process used meanwhile.
 * With -c N, N processes run at once and the line reports the median of
 * their medians, the worst p99 and the total throughput.
 */
#include "bench/bench_util.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vdri/shm.h"

struct result {
	double median, p99, mean, secs;
	double idle_cpu_ms; /* -I */
	int ok;
};

static int idle_s;

static int pingpong; /* 1: unix socketpair, 2: shm rings */

/* One ping-pong round trip; the echo process was forked by setup_echo. */
static int echo_fd = -1;
static struct vshm *echo_shm; /* -P: the same over shm rings */
static struct fio_rx echo_rx;

static int setup_echo(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	if (fork() == 0) {
		char b[64];

		close(sv[0]);
		while (read(sv[1], b, sizeof(b)) > 0)
			if (write(sv[1], b, sizeof(b)) != (ssize_t)sizeof(b))
				break;
		_exit(0);
	}
	close(sv[1]);
	echo_fd = sv[0];
	return 0;
}

/* The echo process of -P: every request comes back as a reply with the same payload. */
static void echo_serve(int sock)
{
	struct wire_shm_setup st;
	const struct wire_hdr *h;
	const char *why = "";
	struct fio_rx rx;
	struct vshm *s;
	int fds[VSHM_NFDS], r;

	if (vshm_setup_recv(sock, 5000, &st, fds, &why) ||
	    vshm_attach(&s, &vshm_memfd, &st, fds, sock, &why) || fio_rx_init(&rx, 0, 1)) {
		fprintf(stderr, "shm echo: %s\n", why);
		_exit(1);
	}
	while ((r = vshm_recv(s, &rx, &h)) == 1 || (r == -EAGAIN && vshm_wait(s) > 0)) {
		struct wire_hdr rh;
		struct iovec iov = {(void *)(h + 1), h->len - WIRE_HDR_SIZE};

		if (r != 1)
			continue;
		wire_hdr_init(&rh, h->op, WIRE_F_REPLY, h->id, 0, h->len - WIRE_HDR_SIZE);
		if (vshm_send(s, &rh, &iov, 1))
			break;
	}
	_exit(0);
}

static int setup_echo_shm(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	if (vshm_create(&echo_shm, &vshm_memfd, VSHM_RING_DEFAULT, sv[0]) ||
	    vshm_offer(echo_shm, sv[0], 1) || fio_rx_init(&echo_rx, 0, 0))
		return -1;
	if (fork() == 0) {
		close(sv[0]);
		echo_serve(sv[1]);
	}
	close(sv[1]);
	echo_fd = sv[0];
	return 0;
}

static int one_shm_op(void)
{
	static uint32_t id;
	uint8_t b[64 - WIRE_HDR_SIZE] = {0};
	struct iovec iov = {b, sizeof(b)};
	const struct wire_hdr *h;
	struct wire_hdr rh;
	int r;

	wire_hdr_init(&rh, WIRE_OP_PING, 0, ++id, 0, sizeof(b));
	if (vshm_send(echo_shm, &rh, &iov, 1))
		return -1;
	while ((r = vshm_recv(echo_shm, &echo_rx, &h)) == -EAGAIN)
		if (vshm_wait(echo_shm) < 0)
			return -1;
	return r == 1 && h->id == id ? 0 : -1;
}

static int one_op(int fd, int *n)
{
	char b[64] = {0};

	if (!pingpong)
		return ioctl(fd, TIOCGPTN, n);
	if (pingpong == 2)
		return one_shm_op();
	if (write(echo_fd, b, sizeof(b)) != (ssize_t)sizeof(b) || read(echo_fd, b, sizeof(b)) <= 0)
		return -1;
	return 0;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* Stay connected (the file open) and idle: the CPU this process uses meanwhile. */
static double idle(int secs)
{
	double c0 = cpu_ms();
	struct timespec ts = {secs, 0};

	fprintf(stderr, "idle\n");
	while (nanosleep(&ts, &ts))
		;
	return cpu_ms() - c0;
}

static void measure(int iters, int warmup, struct result *r)
{
	double *s = malloc(sizeof(double) * (size_t)iters), t0, sum = 0;
	int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY), n;

	r->ok = 0;
	if (fd < 0 || !s) {
		perror("open /dev/ptmx");
		free(s);
		return;
	}
	if (pingpong && (pingpong == 2 ? setup_echo_shm() : setup_echo())) {
		free(s);
		close(fd);
		return;
	}
	for (int i = 0; i < warmup; i++)
		one_op(fd, &n);
	t0 = now_us();
	for (int i = 0; i < iters; i++) {
		double a = now_us();

		if (one_op(fd, &n)) {
			perror(pingpong ? "ping-pong" : "TIOCGPTN");
			free(s);
			close(fd);
			return;
		}
		s[i] = now_us() - a;
		sum += s[i];
	}
	r->secs = (now_us() - t0) / 1e6;
	qsort(s, (size_t)iters, sizeof(double), cmp_double);
	r->median = s[iters / 2];
	r->p99 = s[(int)(iters * 0.99)];
	r->mean = sum / iters;
	r->ok = 1;
	free(s);
	if (idle_s)
		r->idle_cpu_ms = idle(idle_s);
	close(fd);
	if (echo_fd >= 0) {
		close(echo_fd);
		wait(NULL);
	}
}

int main(int argc, char **argv)
{
	int iters = 20000, warmup = 1000, clients = 1, opt;
	struct result *res;

	while ((opt = getopt(argc, argv, "n:w:c:pPI:")) != -1) {
		if (opt == 'n')
			iters = atoi(optarg);
		else if (opt == 'w')
			warmup = atoi(optarg);
		else if (opt == 'c')
			clients = atoi(optarg);
		else if (opt == 'p')
			pingpong = 1;
		else if (opt == 'P')
			pingpong = 2;
		else if (opt == 'I')
			idle_s = atoi(optarg);
		else
			return 2;
	}
	if (iters < 100 || clients < 1 || clients > 64 || idle_s < 0 || (idle_s && clients > 1))
		return 2;
	res = mmap(NULL, sizeof(*res) * (size_t)clients, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	for (int c = 0; c < clients; c++)
		if (fork() == 0) {
			measure(iters, warmup, &res[c]);
			_exit(res[c].ok ? 0 : 1);
		}
	for (int c = 0; c < clients; c++) {
		int st;

		wait(&st);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
	}
	{
		double med[64], p99 = 0, ops = 0, mean = 0;

		for (int c = 0; c < clients; c++) {
			med[c] = res[c].median;
			p99 = res[c].p99 > p99 ? res[c].p99 : p99;
			ops += iters / res[c].secs;
			mean += res[c].mean / clients;
		}
		qsort(med, (size_t)clients, sizeof(double), cmp_double);
		printf("%.2f %.2f %.2f %.0f\n", med[clients / 2], p99, mean, ops);
		if (idle_s)
			printf("idle_cpu_ms %.2f\n", res[0].idle_cpu_ms);
	}
	return 0;
}
