/* SPDX-License-Identifier: MIT */
/*
 * test_concurrency.c - many threads and forked processes issuing ioctls on
 * one connection at once; forwarded fds that survive fork and exec; dup and
 * epoll on a forwarded fd.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "harness.h"
#include "pty_client.h"
#include "runner.h"

CLIENT(concurrent_client)
{
	struct winsize ws = {.ws_row = 42, .ws_col = 80};
	pid_t kids[3];
	int fd, ptn, errors, st, bad = 0;

	fd = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	if (fd < 0 || ioctl(fd, TIOCGPTN, &ptn) || ioctl(fd, TIOCSWINSZ, &ws))
		return perror("setup"), 1;
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		if (kids[k] == 0)
			_exit(pty_hammer(fd, ptn) ? 1 : 0);
	}
	errors = pty_hammer(fd, ptn);
	for (int k = 0; k < 3; k++) {
		waitpid(kids[k], &st, 0);
		bad += !WIFEXITED(st) || WEXITSTATUS(st);
	}
	printf("errors %d children-failed %d\n", errors, bad);
	close(fd);
	return errors || bad;
}

/* fork: the child uses the inherited fd; exec: the new image does too. */
CLIENT(forkexec_client)
{
	char fdnum[16], ptns[16];
	int fd, ptn = -1, n = -1, st;
	pid_t pid;

	fd = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	if (fd < 0 || ioctl(fd, TIOCGPTN, &ptn))
		return perror("open"), 1;
	pid = fork();
	if (pid == 0) {
		if (ioctl(fd, TIOCGPTN, &n) || n != ptn)
			_exit(2);
		snprintf(fdnum, sizeof(fdnum), "%d", fd);
		snprintf(ptns, sizeof(ptns), "%d", ptn);
		execl("/proc/self/exe", "self", "--client", "exec_child", fdnum, ptns,
		      (char *)NULL);
		_exit(3);
	}
	waitpid(pid, &st, 0);
	/* The parent's file is still fine after the child exited. */
	if (ioctl(fd, TIOCGPTN, &n) || n != ptn)
		return fprintf(stderr, "parent lost its file\n"), 4;
	printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 5;
}

CLIENT(exec_child)
{
	int fd = atoi(argv[0]), want = atoi(argv[1]), n = -1, dfd;
	struct epoll_event ev = {.events = EPOLLIN};
	int ep;

	if (ioctl(fd, TIOCGPTN, &n) || n != want) {
		char st[512] = "";
		const char *e = getenv("VDRI_STATE_FD");

		if (e && pread(atoi(e), st, sizeof(st) - 1, 0) < 0)
			st[0] = '\0';
		fprintf(stderr, "after exec: TIOCGPTN %d want %d (%s); state:\n%s\n", n, want,
			strerror(errno), st);
		return 6;
	}
	/* dup keeps it forwarded; closing the dup leaves the original working. */
	dfd = dup(fd);
	if (ioctl(dfd, TIOCGPTN, &n) || n != want)
		return 7;
	close(dfd);
	if (ioctl(fd, TIOCGPTN, &n) || n != want)
		return 8;
	/* epoll on the stand-in: nothing to read yet. */
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	n = epoll_wait(ep, &ev, 1, 50);
	close(ep);
	return n == 0 ? 0 : 9;
}

TEST_TIMEOUT(threads_and_processes_on_one_connection, 120)
{
	static const char *const ex[] = {"/dev/ptmx", NULL};
	struct backd b = {0};
	char out[2048];
	int r;

	h_backd_start(&b, NULL, ex, NULL);
	r = h_run_client(&b, "/dev/ptmx", "concurrent_client", NULL, out, sizeof(out), 100);
	h_backd_stop(&b);
	test_log("%s", out);
	CHECK_EQ(r, 0);
	CHECK(strstr(out, "errors 0 children-failed 0"));
}

TEST(fork_and_exec_keep_forwarded_fds)
{
	static const char *const ex[] = {"/dev/ptmx", NULL};
	struct backd b = {0};
	char out[2048];
	int r;

	h_backd_start(&b, NULL, ex, NULL);
	r = h_run_client(&b, "/dev/ptmx", "forkexec_client", NULL, out, sizeof(out), 20);
	CHECK(h_log_contains(&b, "attached to session"));
	h_backd_stop(&b);
	test_log("%s", out);
	CHECK_EQ(r, 0);
	CHECK(strstr(out, "child status 0"));
}
