/* SPDX-License-Identifier: MIT */
/*
 * null_ioctl.c - latency of a cheap real ioctl (TIOCGPTN on /dev/ptmx).
 * Run natively or under libvdri-front.so (bench/run.sh does both in one
 * run).  Prints one line: "median_us p99_us mean_us ops".
 *   null_ioctl [-n ITER] [-w WARMUP] [-c CLIENTS] [-p]
 * -p measures the floor instead: a 64-byte ping-pong between two processes
 * over a unix socketpair (two blocking wake-ups, no ioctl, no vdri).
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct result {
	double median, p99, mean, secs;
	int ok;
};

static int pingpong;

/* One ping-pong round trip; the echo process was forked by setup_echo. */
static int echo_fd = -1;

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

static int one_op(int fd, int *n)
{
	char b[64] = {0};

	if (!pingpong)
		return ioctl(fd, TIOCGPTN, n);
	if (write(echo_fd, b, sizeof(b)) != (ssize_t)sizeof(b) || read(echo_fd, b, sizeof(b)) <= 0)
		return -1;
	return 0;
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
	if (pingpong && setup_echo()) {
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

	while ((opt = getopt(argc, argv, "n:w:c:p")) != -1) {
		if (opt == 'n')
			iters = atoi(optarg);
		else if (opt == 'w')
			warmup = atoi(optarg);
		else if (opt == 'c')
			clients = atoi(optarg);
		else if (opt == 'p')
			pingpong = 1;
		else
			return 2;
	}
	if (iters < 100 || clients < 1 || clients > 64)
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
	}
	return 0;
}
