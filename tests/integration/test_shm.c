/* SPDX-License-Identifier: MIT */
/*
 * test_shm.c - the shm transport with the real vdri-backd and host device
 * files: forwarded ioctls, reads, writes and readiness over the rings;
 * many threads in flight; frames much larger than the ring; fork (the
 * child's own rings) and exec (the rings adopted); a worker stopped and
 * killed with a request in flight (EIO, no endless spinning); a hostile
 * raw client that corrupts its ring (closed with a logged reason, other
 * guests unaffected); and the CPU an idle connection costs.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "pty_client.h"
#include "runner.h"
#include "vdri/shm.h"
#include "vdri/wire.h"

static const char *const ptmx_only[] = {"/dev/ptmx", NULL};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Is this process connected over shm?  Its region shows in its maps. */
static int maps_count(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* ---- clients ------------------------------------------------------------------------ */

/* tty ioctls, data both ways, and readiness events arriving through the completion ring. */
CLIENT(ptmx_shm_client)
{
	struct winsize ws = {.ws_row = 33, .ws_col = 99}, ws2 = {0};
	char slave[64];
	struct pollfd p;
	int m, s, ptn = -1, unlock = 0;

	m = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	if (m < 0)
		return perror("open /dev/ptmx"), 1;
	if (ioctl(m, TIOCGPTN, &ptn) || ioctl(m, TIOCSPTLCK, &unlock) ||
	    ioctl(m, TIOCSWINSZ, &ws) || ioctl(m, TIOCGWINSZ, &ws2))
		return perror("tty ioctls"), 1;
	printf("winsize %u %u\n", ws2.ws_row, ws2.ws_col);
	printf("shm-maps %d\n", maps_count("vdri-shm"));
	p = (struct pollfd){m, POLLIN, 0};
	printf("poll-empty %d\n", poll(&p, 1, 50));
	snprintf(slave, sizeof(slave), "/dev/pts/%d", ptn);
	s = open(slave, O_RDWR | O_NOCTTY);
	if (s < 0)
		return perror(slave), 1;
	if (pty_talk(m, s))
		return 1;
	close(s);
	close(m);
	return 0;
}

/* Threads of two processes with many requests in flight on their connections. */
CLIENT(threads_shm_client)
{
	int fd, ptn, errors, st;
	pid_t kid;

	fd = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	if (fd < 0 || ioctl(fd, TIOCGPTN, &ptn) ||
	    ioctl(fd, TIOCSWINSZ, &(struct winsize){.ws_row = 42}))
		return perror("setup"), 1;
	kid = fork();
	if (kid == 0)
		_exit(pty_hammer(fd, ptn) ? 1 : 0);
	errors = pty_hammer(fd, ptn);
	waitpid(kid, &st, 0);
	printf("errors %d child %d\n", errors, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(fd);
	return errors || !WIFEXITED(st) || WEXITSTATUS(st);
}

/*
 * fork: the child has its own rings (its parent's are not even mapped in
 * it) and uses the inherited fd; exec: the new image adopts the rings.
 */
CLIENT(forkexec_shm_client)
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
		/* only its own region: the parent's was not inherited (MADV_DONTFORK) */
		if (maps_count("vdri-shm") != 1)
			_exit(3);
		snprintf(fdnum, sizeof(fdnum), "%d", fd);
		snprintf(ptns, sizeof(ptns), "%d", ptn);
		execl("/proc/self/exe", "self", "--client", "exec_shm_child", fdnum, ptns,
		      (char *)NULL);
		_exit(4);
	}
	waitpid(pid, &st, 0);
	if (ioctl(fd, TIOCGPTN, &n) || n != ptn)
		return fprintf(stderr, "parent lost its file\n"), 5;
	printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 6;
}

CLIENT(exec_shm_child)
{
	int fd = atoi(argv[0]), want = atoi(argv[1]), n = -1;

	for (int i = 0; i < 100; i++)
		if (ioctl(fd, TIOCGPTN, &n) || n != want)
			return fprintf(stderr, "after exec: %d want %d: %s\n", n, want,
				       strerror(errno)),
			       7;
	return maps_count("vdri-shm") == 1 ? 0 : 8;
}

/* argv[0]: a regular file the backend exports.  1 MiB each way through a small ring. */
CLIENT(bigio_shm_client)
{
	size_t len = 1 << 20;
	uint8_t *a = malloc(len), *b = malloc(len);
	int fd = open(argv[0], O_RDWR);
	ssize_t n;

	if (fd < 0 || !a || !b)
		return perror("open"), 1;
	for (size_t i = 0; i < len; i++)
		a[i] = (uint8_t)(i * 13 + i / 4096);
	n = pwrite(fd, a, len, 4096);
	printf("write %zd\n", n);
	n = pread(fd, b, len, 4096);
	printf("read %zd %s\n", n, n == (ssize_t)len && !memcmp(a, b, len) ? "same" : "differs");
	close(fd);
	free(a);
	free(b);
	return 0;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/*
 * One request while the test holds the worker stopped, then kills it: the
 * request fails with EIO, and waiting for it cost little CPU (the spin
 * gave way to a sleep on the bell and the liveness socket).
 */
CLIENT(midrequest_shm_client)
{
	char line[16];
	double t0, c0;
	int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY), n = -1, r;

	if (fd < 0 || ioctl(fd, TIOCGPTN, &n))
		return perror("open"), 1;
	printf("READY\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	t0 = now_ms();
	c0 = cpu_ms();
	r = ioctl(fd, TIOCGPTN, &n); /* the worker is stopped: waits */
	printf("ioctl %d %s\n", r, r < 0 ? strerror(errno) : "-");
	printf("waited %.0f ms, cpu %.1f ms\n", now_ms() - t0, cpu_ms() - c0);
	fflush(stdout);
	close(fd);
	return 0;
}

/* Connected, one file open, idle until told to go. */
CLIENT(idle_shm_client)
{
	char line[16];
	int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY), n;

	for (int i = 0; i < 1000; i++)
		if (fd < 0 || ioctl(fd, TIOCGPTN, &n))
			return perror("ioctl"), 1;
	printf("READY\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	printf("after-idle %s\n", ioctl(fd, TIOCGPTN, &n) ? strerror(errno) : "ok");
	close(fd);
	return 0;
}

/* ---- tests ---------------------------------------------------------------------------- */

/* The daemon logs asynchronously: wait up to 3 s for needle. */
static int log_soon(const struct backd *b, const char *needle)
{
	for (int i = 0; i < 300; i++) {
		if (h_log_contains(b, needle))
			return 1;
		usleep(10000);
	}
	return 0;
}

TEST(ptmx_over_shm)
{
	struct backd b = {0};
	char out[2048];
	int r;

	h_backd_start(&b, "shm", ptmx_only, NULL);
	r = h_run_client(&b, "/dev/ptmx", "ptmx_shm_client", NULL, out, sizeof(out), 20);
	CHECK(h_log_contains(&b, "over shm rings"));
	h_backd_stop(&b);
	test_log("%s", out);
	CHECK_EQ(r, 0);
	CHECK(strstr(out, "winsize 33 99\n"));
	CHECK(strstr(out, "shm-maps 1\n"));
	CHECK(strstr(out, "poll-empty 0\n"));
	CHECK(strstr(out, "poll-data 1 POLLIN\n"));
	CHECK(strstr(out, "read 7 hello\r\n")); /* the pty's ONLCR */
	CHECK(strstr(out, "slave-read 5 ping\n"));
}

/* The daemon needs no shm: listener: a shm: client moves to rings on any unix socket. */
TEST(shm_client_on_unix_listener)
{
	struct backd b = {0};
	char out[2048];
	int r;

	h_backd_start(&b, NULL, ptmx_only, NULL);
	/* "unix:PATH" becomes "shm:PATH" for the client */
	memmove(b.uri + 4, b.uri + 5, strlen(b.uri + 5) + 1);
	memcpy(b.uri, "shm:", 4);
	r = h_run_client(&b, "/dev/ptmx", "ptmx_shm_client", NULL, out, sizeof(out), 20);
	CHECK(h_log_contains(&b, "over shm rings"));
	h_backd_stop(&b);
	CHECK_EQ(r, 0);
	CHECK(strstr(out, "read 7 hello\r\n"));
}

TEST_TIMEOUT(many_threads_in_flight_over_shm, 120)
{
	struct backd b = {0};
	char out[2048];
	int r;

	h_backd_start(&b, "shm", ptmx_only, NULL);
	r = h_run_client(&b, "/dev/ptmx", "threads_shm_client", NULL, out, sizeof(out), 100);
	h_backd_stop(&b);
	test_log("%s", out);
	CHECK_EQ(r, 0);
	CHECK(strstr(out, "errors 0 child 0"));
}

TEST(fork_and_exec_over_shm)
{
	struct backd b = {0};
	char out[2048];
	int r;

	h_backd_start(&b, "shm", ptmx_only, NULL);
	r = h_run_client(&b, "/dev/ptmx", "forkexec_shm_client", NULL, out, sizeof(out), 20);
	CHECK(h_log_contains(&b, "attached to session, over shm rings"));
	h_backd_stop(&b);
	test_log("%s", out);
	CHECK_EQ(r, 0);
	CHECK(strstr(out, "child status 0"));
}

/* A READ and a WRITE of 1 MiB through 64 KiB rings: frames in pieces, both ways. */
TEST(frames_larger_than_the_ring)
{
	struct backd b = {0};
	const char *ex[2] = {NULL, NULL};
	const char *args[2] = {NULL, NULL};
	char out[1024], file[192];
	int fd, r;

	h_backd_start(&b, "shm", ptmx_only, NULL);
	h_backd_stop(&b); /* only for a private directory name */
	snprintf(file, sizeof(file), "/tmp/vdri-shm-big-%d", (int)getpid());
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK_OK(ftruncate(fd, 2 << 20));
	close(fd);
	ex[0] = file;
	args[0] = file;
	h_backd_start(&b, "shm", ex, NULL);
	setenv("VDRI_SHM_RING", "64K", 1);
	r = h_run_client(&b, file, "bigio_shm_client", args, out, sizeof(out), 30);
	unsetenv("VDRI_SHM_RING");
	h_backd_stop(&b);
	unlink(file);
	test_log("%s", out);
	CHECK_EQ(r, 0);
	CHECK(strstr(out, "write 1048576\n"));
	CHECK(strstr(out, "read 1048576 same\n"));
}

/* Every thread of pid is stopped (SIGSTOP is delivered to each in its own time). */
static int all_stopped(pid_t pid)
{
	char dir[64];
	struct dirent *e;
	int ok = 1;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		char path[384], st[512], *p;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/stat", dir, e->d_name);
		f = fopen(path, "re");
		if (!f || !fgets(st, sizeof(st), f) || !(p = strrchr(st, ')')) || p[2] != 'T')
			ok = 0;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return d && ok;
}

TEST(worker_killed_midrequest_gives_eio)
{
	struct backd b = {0};
	struct h_proc p;
	char line[256];
	pid_t w[4];
	double t0, waited, cpu;

	h_backd_start(&b, "shm", ptmx_only, NULL);
	h_client_start(&b, "/dev/ptmx", "midrequest_shm_client", NULL, &p);
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "READY");
	CHECK_EQ(h_backd_workers(&b, w, 4), 1);
	kill(w[0], SIGSTOP);
	for (int i = 0; i < 500 && !all_stopped(w[0]); i++)
		usleep(2000);
	CHECK(all_stopped(w[0]));
	CHECK(write(p.in, "go\n", 3) == 3);
	usleep(300000); /* the request is in the ring; the client waits for it */
	kill(w[0], SIGKILL);
	t0 = now_ms();
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 5), 0);
	test_log("EIO %.0f ms after the kill", now_ms() - t0);
	CHECK_STREQ(line, "ioctl -1 Input/output error");
	CHECK(now_ms() - t0 < 2000);
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 5), 0);
	test_log("%s", line);
	CHECK_EQ(sscanf(line, "waited %lf ms, cpu %lf ms", &waited, &cpu), 2);
	/* it waited 300 ms and more, and did not spin all that time */
	CHECK(waited >= 250);
	CHECK(cpu < waited / 3);
	CHECK_EQ(h_proc_wait(&p, 10), 0);
	CHECK(log_soon(&b, "killed by signal 9"));
	h_backd_stop(&b);
}

/* ---- a hostile raw client ------------------------------------------------------------ */

/* HELLO asking for shm, SHM_SETUP with a fresh region, and the reply.  Returns the socket. */
static int raw_shm_connect(struct backd *b, struct vshm **s)
{
	struct wire_hello hl = {.magic = WIRE_MAGIC,
				.version_min = WIRE_VERSION,
				.version_max = WIRE_VERSION,
				.features = WIRE_FEAT_SHM,
				.name_len = 3};
	uint8_t m[WIRE_HDR_SIZE + sizeof(hl) + 3], buf[256];
	const struct wire_hdr *h = (const void *)buf;
	const struct wire_hello_reply *rep = (const void *)(buf + WIRE_HDR_SIZE + 8);
	struct wire_hdr hh;
	ssize_t got = 0, n;
	int fd = h_connect_raw(b);

	wire_hdr_init(&hh, WIRE_OP_HELLO, 0, 1, 0, sizeof(hl) + 3);
	memcpy(m, &hh, sizeof(hh));
	memcpy(m + WIRE_HDR_SIZE, &hl, sizeof(hl));
	memcpy(m + WIRE_HDR_SIZE + sizeof(hl), "raw", 3);
	CHECK_EQ(write(fd, m, sizeof(m)), (ssize_t)sizeof(m));
	CHECK_EQ(vshm_create(s, &vshm_memfd, VSHM_RING_MIN, fd), 0);
	CHECK_EQ(vshm_offer(*s, fd, 1), 0);
	while (got < (ssize_t)WIRE_HDR_SIZE || got < (ssize_t)h->len) {
		n = read(fd, buf + got, sizeof(buf) - (size_t)got);
		CHECK(n > 0);
		got += n;
	}
	CHECK_EQ(((const struct wire_reply *)(h + 1))->result, 0);
	CHECK(rep->features & WIRE_FEAT_SHM);
	return fd;
}

/* One PING through the rings. */
static void raw_ping(struct vshm *s, struct fio_rx *rx, uint32_t id)
{
	const struct wire_hdr *h;
	struct wire_hdr q;
	int r;

	wire_hdr_init(&q, WIRE_OP_PING, 0, id, 0, 0);
	CHECK_EQ(vshm_send(s, &q, NULL, 0), 0);
	while ((r = vshm_recv(s, rx, &h)) == -EAGAIN)
		CHECK_EQ(vshm_wait(s), 1);
	CHECK_EQ(r, 1);
	CHECK_EQ(h->id, id);
	CHECK(h->flags & WIRE_F_REPLY);
}

static int closed_by_peer(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	char c;

	return poll(&p, 1, 5000) == 1 && read(fd, &c, 1) <= 0;
}

/* Corrupt the request ring in one of two ways; only that connection goes. */
static void corrupt_one(int how, const char *reason)
{
	struct backd b = {0};
	struct vshm *s;
	struct fio_rx rx;
	struct h_proc p;
	char line[256];
	int fd;

	h_backd_start(&b, "shm", ptmx_only, NULL);
	/* another guest, connected before and working after */
	h_client_start(&b, "/dev/ptmx", "idle_shm_client", NULL, &p);
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "READY");
	fd = raw_shm_connect(&b, &s);
	CHECK_EQ(fio_rx_init(&rx, 0, 0), 0);
	raw_ping(s, &rx, 1);
	raw_ping(s, &rx, 2);
	if (how == 0) {
		struct vshm_page *pg = s->reg.base;

		pg->req.prod = 0xdeadbeefu; /* far past the ring */
	} else {
		struct wire_hdr bad;

		wire_hdr_init(&bad, WIRE_OP_PING, 0, 3, 0, 0);
		bad.op = 0xff; /* not an operation */
		vring_write(&s->tx, &bad, sizeof(bad));
		vring_publish(&s->tx);
	}
	vshm_memfd.ring(&s->reg, VSHM_BELL_REQ_DATA);
	CHECK(closed_by_peer(fd));
	if (!log_soon(&b, reason))
		FAILF("no '%s' in the daemon's log", reason);
	CHECK(write(p.in, "go\n", 3) == 3);
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "after-idle ok");
	CHECK_EQ(h_proc_wait(&p, 10), 0);
	vshm_destroy(s);
	fio_rx_fini(&rx);
	close(fd);
	h_backd_stop(&b);
}

TEST(corrupted_counter_closes_only_that_connection)
{
	corrupt_one(
	    0, "connection closed: shm ring: producer counter moved backwards or past the ring");
}

TEST(corrupted_frame_closes_only_that_connection)
{
	corrupt_one(1, "connection closed: unknown operation");
}

/* SHM_SETUP with a region the guest could shrink: refused, logged, closed. */
TEST(unsealed_region_refused)
{
	struct backd b = {0};
	struct {
		struct wire_hdr h;
		struct wire_hello hl;
	} m = {0};
	uint8_t buf[256];
	struct vshm *s;
	int fd, mfd;

	h_backd_start(&b, "shm", ptmx_only, NULL);
	fd = h_connect_raw(&b);
	wire_hdr_init(&m.h, WIRE_OP_HELLO, 0, 1, 0, sizeof(m.hl));
	m.hl = (struct wire_hello){.magic = WIRE_MAGIC,
				   .version_min = WIRE_VERSION,
				   .version_max = WIRE_VERSION,
				   .features = WIRE_FEAT_SHM};
	CHECK_EQ(write(fd, &m, sizeof(m)), (ssize_t)sizeof(m));
	CHECK_EQ(vshm_create(&s, &vshm_memfd, VSHM_RING_MIN, fd), 0);
	/* swap in an unsealed memfd of the right size */
	mfd = memfd_create("unsealed", MFD_CLOEXEC);
	CHECK_OK(ftruncate(mfd, (off_t)s->reg.size));
	dup2(mfd, s->reg.fd);
	close(mfd);
	CHECK_EQ(vshm_offer(s, fd, 1), 0);
	CHECK(read(fd, buf, sizeof(buf)) >= (ssize_t)(WIRE_HDR_SIZE + 8));
	CHECK(((const struct wire_reply *)(buf + WIRE_HDR_SIZE))->result < 0);
	CHECK(closed_by_peer(fd));
	CHECK(log_soon(&b, "not sealed against shrinking"));
	vshm_destroy(s);
	close(fd);
	h_backd_stop(&b);
}

/* CPU time (ns) of every thread of the daemon's processes. */
static unsigned long long backd_cpu_ns(const struct backd *b)
{
	pid_t pids[9];
	int n = h_backd_workers(b, pids, 8);
	unsigned long long sum = 0;

	pids[n++] = b->pid;
	for (int i = 0; i < n; i++) {
		char dir[64];
		DIR *d;
		struct dirent *e;

		snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pids[i]);
		d = opendir(dir);
		while (d && (e = readdir(d))) {
			char path[384];
			unsigned long long ns = 0;
			FILE *f;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/schedstat", dir, e->d_name);
			f = fopen(path, "re");
			if (f && fscanf(f, "%llu", &ns) == 1)
				sum += ns;
			if (f)
				fclose(f);
		}
		if (d)
			closedir(d);
	}
	return sum;
}

/* A connected guest that does nothing costs the backend (next to) no CPU. */
TEST(idle_connection_costs_no_cpu)
{
	struct backd b = {0};
	struct h_proc p;
	char line[256];
	unsigned long long c0, c1;

	h_backd_start(&b, "shm", ptmx_only, NULL);
	h_client_start(&b, "/dev/ptmx", "idle_shm_client", NULL, &p);
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "READY");
	usleep(200000); /* past every spin */
	c0 = backd_cpu_ns(&b);
	usleep(1000000);
	c1 = backd_cpu_ns(&b);
	test_log("backend CPU while the guest idles: %.2f ms in 1 s", (c1 - c0) / 1e6);
	CHECK(c1 - c0 < 20 * 1000 * 1000ull);
	CHECK(write(p.in, "go\n", 3) == 3);
	CHECK_EQ(h_proc_line(&p, line, sizeof(line), 10), 0);
	CHECK_STREQ(line, "after-idle ok");
	CHECK_EQ(h_proc_wait(&p, 10), 0);
	h_backd_stop(&b);
}
