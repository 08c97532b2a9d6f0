/* SPDX-License-Identifier: MIT */
/*
 * test_chardev.c - forwarding real host device files through vdri-backd
 * with the LD_PRELOAD frontend, over unix and tcp, compared with native:
 * /dev/ptmx (tty ioctls, read/write, poll), /dev/net/tun (TUNSETIFF in the
 * backend's network namespace), /dev/loop-control and an unmodified
 * `losetup -f`.
 */
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/loop.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "harness.h"
#include "pty_client.h"
#include "runner.h"

/* ---- clients (run natively or under the preload library) ------------------- */

/* Kernel termios for TCGETS/TCSETS (asm/termbits.h layout). */
struct kterm {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line, cc[19];
};

CLIENT(ptmx_client)
{
	struct kterm t, t2;
	struct winsize ws = {.ws_row = 33, .ws_col = 99}, ws2 = {0};
	char slave[64], buf[64];
	struct pollfd p;
	struct stat st;
	int m, s, ptn = -1, unlock = 0, n;

	m = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	if (m < 0)
		return perror("open /dev/ptmx"), 1;
	if (fstat(m, &st) || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 ||
	    minor(st.st_rdev) != 2)
		return fprintf(stderr, "fstat: not 5:2\n"), 1;
	if (ioctl(m, TIOCGPTN, &ptn) || ioctl(m, TIOCSPTLCK, &unlock))
		return perror("TIOCGPTN/TIOCSPTLCK"), 1;
	if (ioctl(m, TCGETS, &t))
		return perror("TCGETS"), 1;
	t.lflag &= ~(uint32_t)ECHO;
	if (ioctl(m, TCSETS, &t) || ioctl(m, TCGETS, &t2) || (t2.lflag & ECHO))
		return perror("TCSETS"), 1;
	if (ioctl(m, TIOCSWINSZ, &ws) || ioctl(m, TIOCGWINSZ, &ws2))
		return perror("WINSZ"), 1;
	printf("winsize %u %u\n", ws2.ws_row, ws2.ws_col);
	/* Nothing to read yet: poll times out, a non-blocking read says EAGAIN. */
	p = (struct pollfd){m, POLLIN, 0};
	n = poll(&p, 1, 50);
	printf("poll-empty %d\n", n);
	fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
	n = (int)read(m, buf, sizeof(buf));
	printf("read-empty %d %s\n", n, strerror(errno));
	/* The slave is opened natively: it lives where the backend runs. */
	snprintf(slave, sizeof(slave), "/dev/pts/%d", ptn);
	s = open(slave, O_RDWR | O_NOCTTY);
	if (s < 0)
		return perror(slave), 1;
	if (pty_talk(m, s))
		return 1;
	/* epoll (not interposed) wakes from the stand-in's readiness mirror */
	{
		struct epoll_event ev = {.events = EPOLLIN};
		int ep = epoll_create1(0);

		epoll_ctl(ep, EPOLL_CTL_ADD, m, &ev);
		n = epoll_wait(ep, &ev, 1, 100);
		printf("epoll-empty %d\n", n);
		if (write(s, "x\n", 2) != 2)
			return perror("write slave"), 1;
		n = epoll_wait(ep, &ev, 1, 5000);
		printf("epoll-data %d\n", n);
		n = (int)read(m, buf, sizeof(buf) - 1);
		printf("epoll-read %d\n", n);
		close(ep);
	}
	close(s);
	close(m);
	return 0;
}

CLIENT(loopctl_client)
{
	int fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC), n;

	if (fd < 0)
		return perror("open /dev/loop-control"), 1;
	n = ioctl(fd, LOOP_CTL_GET_FREE);
	if (n < 0)
		return perror("LOOP_CTL_GET_FREE"), 1;
	printf("free %d\n", n);
	close(fd);
	return 0;
}

CLIENT(tun_client)
{
	struct ifreq ifr = {0}, got = {0};
	char cmd[256];
	int fd = open("/dev/net/tun", O_RDWR), r;

	if (fd < 0)
		return perror("open /dev/net/tun"), 1;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", argv[0]);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr))
		return perror("TUNSETIFF"), 1;
	if (ioctl(fd, TUNGETIFF, &got))
		return perror("TUNGETIFF"), 1;
	printf("created %s flags %#x\n", ifr.ifr_name, got.ifr_flags & (IFF_TUN | IFF_NO_PI));
	/* visible in the backend's namespace, not in ours */
	snprintf(cmd, sizeof(cmd), "ip netns exec %s ip link show %s >/dev/null 2>&1", argv[1],
		 argv[0]);
	r = system(cmd);
	printf("in-backend-ns %s\n", r == 0 ? "yes" : "no");
	snprintf(cmd, sizeof(cmd), "ip link show %s >/dev/null 2>&1", argv[0]);
	r = system(cmd);
	printf("in-guest-ns %s\n", r == 0 ? "yes" : "no");
	close(fd);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s ip link show %s >/dev/null 2>&1", argv[1],
		 argv[0]);
	printf("after-close %s\n", system(cmd) == 0 ? "present" : "gone");
	return 0;
}

/* ---- tests ---------------------------------------------------------------------- */

static const char *const chardevs[] = {"/dev/ptmx", "/dev/net/tun", "/dev/loop-control", NULL};

static void ptmx_over(const char *uri)
{
	char native[1024], fwd[1024];
	struct backd b = {0};

	CHECK_EQ(h_run_client(NULL, NULL, "ptmx_client", NULL, native, sizeof(native), 20), 0);
	h_backd_start(&b, uri, chardevs, NULL);
	if (h_run_client(&b, "/dev/ptmx", "ptmx_client", NULL, fwd, sizeof(fwd), 20) != 0) {
		h_backd_stop(&b);
		FAILF("forwarded client failed:\n%s", fwd);
	}
	CHECK(h_log_contains(&b, "open /dev/ptmx -> handle"));
	h_backd_stop(&b);
	test_log("forwarded output:\n%s", fwd);
	CHECK_STREQ(fwd, native);
	CHECK(strstr(fwd, "winsize 33 99\n"));
	CHECK(strstr(fwd, "poll-empty 0\n"));
	CHECK(strstr(fwd, "read-empty -1 Resource temporarily unavailable\n"));
	CHECK(strstr(fwd, "poll-data 1 POLLIN\n"));
	CHECK(strstr(fwd, "read 7 hello\r\n"));
	CHECK(strstr(fwd, "slave-read 5 ping\n"));
	CHECK(strstr(fwd, "epoll-empty 0\nepoll-data 1\nepoll-read 3\n"));
}

TEST(ptmx_unix)
{
	ptmx_over(NULL);
}

TEST(ptmx_tcp)
{
	char uri[64];

	snprintf(uri, sizeof(uri), "tcp:127.0.0.1:%d", 20000 + getpid() % 20000);
	ptmx_over(uri);
}

TEST(loop_control_and_losetup)
{
	const char *const losetup[] = {"losetup", "-f", NULL};
	char native[256], fwd[256], nl[256], fl[256];
	struct backd b = {0};

	if (access("/dev/loop-control", R_OK | W_OK))
		test_skip("/dev/loop-control is not usable here");
	CHECK_EQ(h_run_client(NULL, NULL, "loopctl_client", NULL, native, sizeof(native), 10), 0);
	CHECK_EQ(h_run_program(NULL, NULL, losetup, nl, sizeof(nl), 10), 0);
	h_backd_start(&b, NULL, chardevs, NULL);
	CHECK_EQ(
	    h_run_client(&b, "/dev/loop-control", "loopctl_client", NULL, fwd, sizeof(fwd), 10), 0);
	CHECK_EQ(h_run_program(&b, "/dev/loop-control", losetup, fl, sizeof(fl), 10), 0);
	CHECK(h_log_contains(&b, "open /dev/loop-control -> handle"));
	h_backd_stop(&b);
	test_log("native: %s forwarded: %s losetup native: %s forwarded: %s", native, fwd, nl, fl);
	CHECK_STREQ(fwd, native);
	CHECK_STREQ(fl, nl);
	CHECK(strncmp(fl, "/dev/loop", 9) == 0);
}

TEST(tun_in_backend_namespace)
{
	static const char *const caps[] = {"--keep-capability", "NET_ADMIN", NULL};
	char ns[32], name[16], out[1024], cmd[128];
	const char *args[3];
	struct backd b = {0};
	int r;

	if (access("/dev/net/tun", R_OK | W_OK))
		test_skip("/dev/net/tun is not usable here");
	snprintf(ns, sizeof(ns), "vdri-t%d", getpid());
	snprintf(name, sizeof(name), "vdritun%d", getpid() % 10000);
	snprintf(cmd, sizeof(cmd), "ip netns add %s", ns);
	if (system(cmd))
		test_skip("cannot create a network namespace");
	snprintf(b.netns, sizeof(b.netns), "%s", ns);
	/* TUNSETIFF needs CAP_NET_ADMIN, which the worker sandbox drops unless kept */
	h_backd_start(&b, NULL, chardevs, caps);
	args[0] = name;
	args[1] = ns;
	args[2] = NULL;
	r = h_run_client(&b, "/dev/net/tun", "tun_client", args, out, sizeof(out), 20);
	h_backd_stop(&b);
	snprintf(cmd, sizeof(cmd), "ip netns del %s", ns);
	if (system(cmd))
		test_log("could not delete namespace %s", ns);
	test_log("client output:\n%s", out);
	CHECK_EQ(r, 0);
	CHECK(strstr(out, "flags 0x1001"));
	CHECK(strstr(out, "in-backend-ns yes\n"));
	CHECK(strstr(out, "in-guest-ns no\n"));
	CHECK(strstr(out, "after-close gone\n"));
}

/*
 * serial transport: vdri-backd serves a pty slave as its "serial port" (as
 * it would a virtio-serial port); the test relays the pty master to a unix
 * socket the frontend connects to (QEMU's chardev plays that part in a VM).
 */
static void relay(int lfd, int master)
{
	int c = accept(lfd, NULL, NULL);
	char buf[65536];

	while (c >= 0) {
		struct pollfd p[2] = {{c, POLLIN, 0}, {master, POLLIN, 0}};
		ssize_t n;

		if (poll(p, 2, -1) <= 0)
			break;
		if (p[0].revents) {
			n = read(c, buf, sizeof(buf));
			if (n <= 0 || write(master, buf, (size_t)n) != n)
				break;
		}
		if (p[1].revents) {
			n = read(master, buf, sizeof(buf));
			if (n <= 0 || write(c, buf, (size_t)n) != n)
				break;
		}
	}
	_exit(0);
}

TEST(serial_transport_over_a_pty)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char slave[64], uri[160], out[1024], native[1024];
	struct backd b = {0}, via = {0};
	int master, lfd, st;
	pid_t r;

	CHECK_EQ(h_run_client(NULL, NULL, "loopctl_client", NULL, native, sizeof(native), 10), 0);
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
	snprintf(slave, sizeof(slave), "%s", ptsname(master));
	{
		struct termios t;

		/* no echo or line editing on the master side either */
		CHECK_OK(tcgetattr(master, &t));
		cfmakeraw(&t);
		CHECK_OK(tcsetattr(master, TCSANOW, &t));
	}
	snprintf(uri, sizeof(uri), "serial:%s", slave);
	h_backd_start(&b, uri, chardevs, NULL);
	usleep(300000); /* the daemon opens the serial path right after start-up */
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/relay", b.dir);
	CHECK_OK(bind(lfd, (struct sockaddr *)&a, sizeof(a)));
	CHECK_OK(listen(lfd, 1));
	r = fork();
	if (r == 0)
		relay(lfd, master);
	via = b;
	snprintf(via.uri, sizeof(via.uri), "unix:%s", a.sun_path);
	st = h_run_client(&via, "/dev/loop-control", "loopctl_client", NULL, out, sizeof(out), 20);
	kill(r, SIGKILL);
	waitpid(r, NULL, 0);
	close(lfd);
	CHECK(h_log_contains(&b, "via serial"));
	CHECK(h_log_contains(&b, "open /dev/loop-control -> handle"));
	h_backd_stop(&b);
	close(master);
	test_log("%s", out);
	CHECK_EQ(st, 0);
	CHECK_STREQ(out, native);
}
