/* SPDX-License-Identifier: MIT */
/* harness.c - start a real vdri-backd, run clients under the preload library. */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "runner.h"
#include "vdri/wire.h"

static char build_dir[PATH_MAX];

const char *h_build_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (build_dir[0])
		return build_dir;
	/* build/VARIANT/tests/<tier>/<binary> */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		FAILF("readlink /proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	snprintf(build_dir, sizeof(build_dir), "%s", dirname(dirname(dirname(exe))));
	return build_dir;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_backd_start(struct backd *b, const char *uri, const char *const *exports,
		   const char *const *extra)
{
	char exe[PATH_MAX], ready[128];
	const char *argv[64];
	int argc = 0;
	int64_t deadline;

	snprintf(b->dir, sizeof(b->dir), "/tmp/vdri-t-XXXXXX");
	if (!mkdtemp(b->dir))
		FAILF("mkdtemp: %s", strerror(errno));
	if (uri && strchr(uri, ':'))
		snprintf(b->uri, sizeof(b->uri), "%s", uri);
	else /* NULL, or only a scheme ("shm"): a socket in the temp dir */
		snprintf(b->uri, sizeof(b->uri), "%s:%s/sock", uri ? uri : "unix", b->dir);
	snprintf(b->log, sizeof(b->log), "%s/log", b->dir);
	snprintf(ready, sizeof(ready), "%s/ready", b->dir);
	snprintf(exe, sizeof(exe), "%s/bin/vdri-backd", h_build_dir());
	if (getenv("VDRI_BACKD_WRAPPER")) {
		static char wrap[512];
		char *save = NULL;

		snprintf(wrap, sizeof(wrap), "%s", getenv("VDRI_BACKD_WRAPPER"));
		for (char *w = strtok_r(wrap, " ", &save); w && argc < 10;
		     w = strtok_r(NULL, " ", &save))
			argv[argc++] = w;
	}
	if (b->netns[0]) {
		argv[argc++] = "ip";
		argv[argc++] = "netns";
		argv[argc++] = "exec";
		argv[argc++] = b->netns;
	}
	argv[argc++] = exe;
	argv[argc++] = "-v";
	argv[argc++] = "-l";
	argv[argc++] = b->uri;
	argv[argc++] = "--ready-file";
	argv[argc++] = ready;
	for (int i = 0; exports && exports[i] && argc < 50; i++) {
		argv[argc++] = "-e";
		argv[argc++] = exports[i];
	}
	for (int i = 0; extra && extra[i] && argc < 62; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	b->pid = fork();
	if (b->pid < 0)
		FAILF("fork: %s", strerror(errno));
	if (b->pid == 0) {
		int fd = open(b->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 2);
		dup2(fd, 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	deadline = now_ms() + 30000;
	while (access(ready, F_OK) != 0) {
		int st;

		if (waitpid(b->pid, &st, WNOHANG) == b->pid) {
			char cmd[256];

			snprintf(cmd, sizeof(cmd), "cat %s >&2", b->log);
			if (system(cmd) < 0)
				perror("system");
			b->pid = 0;
			FAILF("vdri-backd exited during start-up");
		}
		if (now_ms() > deadline)
			FAILF("vdri-backd not ready within 30 s");
		usleep(5000);
	}
}

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(dir);
}

static int reap(pid_t pid, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int st = 0;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(2000);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void h_backd_stop(struct backd *b)
{
	int bad, bad_daemon = 0;

	if (b->pid > 0) {
		kill(b->pid, SIGTERM);
		if (reap(b->pid, 10000) == 99)
			bad_daemon = 1;
		b->pid = 0;
	}
	/* Under a memory checker, a process with errors exits with 99. */
	bad = bad_daemon ||
	      (getenv("VDRI_BACKD_WRAPPER") && h_log_contains(b, "exited with status 99"));
	if (bad || getenv("VDRI_KEEP_LOGS")) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "cat %s >&2", b->log);
		if (system(cmd) < 0)
			perror("system");
	}
	rm_dir(b->dir);
	if (bad)
		FAILF("a vdri-backd worker reported memory errors (log above)");
}

void h_backd_kill(struct backd *b)
{
	if (b->pid > 0) {
		kill(b->pid, SIGKILL);
		reap(b->pid, 5000);
		b->pid = 0;
	}
}

int h_backd_workers(const struct backd *b, pid_t *out, int max)
{
	char path[128], buf[4096];
	int n = 0, fd;
	ssize_t len;
	pid_t root = b->pid;

	/* Under "ip netns exec" the daemon is the exec'd process itself. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", root, root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	for (char *s = strtok(buf, " \n"); s && n < max; s = strtok(NULL, " \n"))
		out[n++] = (pid_t)atoi(s);
	return n;
}

int h_log_contains(const struct backd *b, const char *needle)
{
	FILE *f = fopen(b->log, "re");
	char line[2048];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* ---- clients ------------------------------------------------------------------ */

static void child_env(const struct backd *b, const char *paths, int foreign)
{
	char pre[PATH_MAX * 2];
	const char *asan = getenv("VDRI_ASAN_PRELOAD");

	if (!b) {
		unsetenv("LD_PRELOAD");
		return;
	}
	snprintf(pre, sizeof(pre), "%s%s%s/lib/libvdri-front.so", asan ? asan : "", asan ? " " : "",
		 h_build_dir());
	setenv("LD_PRELOAD", pre, 1);
	setenv("VDRI_ADDR", b->uri, 1);
	setenv("VDRI_PATHS", paths, 1);
	setenv("VDRI_NAME", "testguest", 1);
	setenv("VDRI_LOG", "1", 1);
	if (foreign)
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
}

static pid_t spawn(const struct backd *b, const char *paths, const char *const *argv, int foreign,
		   int *in, int *out)
{
	int pi[2], po[2];
	pid_t pid;

	if (pipe2(pi, O_CLOEXEC) || pipe2(po, O_CLOEXEC))
		FAILF("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		FAILF("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(pi[0], 0);
		dup2(po[1], 1);
		dup2(po[1], 2);
		child_env(b, paths, foreign);
		if (foreign)
			execvp(argv[0], (char *const *)argv);
		else
			execv("/proc/self/exe", (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pi[0]);
	close(po[1]);
	*in = pi[1];
	*out = po[0];
	return pid;
}

static int collect(pid_t pid, int in, int out, char *buf, size_t len, int timeout_s)
{
	int64_t deadline = now_ms() + timeout_s * 1000;
	size_t got = 0;
	int st;

	close(in);
	for (;;) {
		struct pollfd p = {out, POLLIN, 0};
		int left = (int)(deadline - now_ms());
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		n = read(out, buf + got, len - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			break;
	}
	buf[got] = '\0';
	close(out);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char **client_argv(const char *name, const char *const *args, const char **v)
{
	int n = 0;

	v[n++] = "self";
	v[n++] = "--client";
	v[n++] = name;
	for (int i = 0; args && args[i] && n < 30; i++)
		v[n++] = args[i];
	v[n] = NULL;
	return v;
}

int h_run_client(const struct backd *b, const char *paths, const char *name,
		 const char *const *args, char *out, size_t outlen, int timeout_s)
{
	const char *v[32];
	int in, o;
	pid_t pid = spawn(b, paths, client_argv(name, args, v), 0, &in, &o);

	return collect(pid, in, o, out, outlen, timeout_s);
}

int h_run_program(const struct backd *b, const char *paths, const char *const *argv, char *out,
		  size_t outlen, int timeout_s)
{
	int in, o;
	pid_t pid = spawn(b, paths, argv, 1, &in, &o);

	return collect(pid, in, o, out, outlen, timeout_s);
}

void h_client_start(const struct backd *b, const char *paths, const char *name,
		    const char *const *args, struct h_proc *p)
{
	const char *v[32];

	p->pid = spawn(b, paths, client_argv(name, args, v), 0, &p->in, &p->out);
}

static int proc_line_raw(struct h_proc *p, char *line, size_t len, int timeout_s);

/* The next line that is not a frontend diagnostic ("vdri-front[pid]: ..."). */
int h_proc_line(struct h_proc *p, char *line, size_t len, int timeout_s)
{
	int r;

	while ((r = proc_line_raw(p, line, len, timeout_s)) == 0 &&
	       strncmp(line, "vdri-front[", 11) == 0)
		;
	return r;
}

static int proc_line_raw(struct h_proc *p, char *line, size_t len, int timeout_s)
{
	int64_t deadline = now_ms() + timeout_s * 1000;
	size_t got = 0;

	while (got < len - 1) {
		struct pollfd pf = {p->out, POLLIN, 0};
		int left = (int)(deadline - now_ms());

		if (left <= 0 || poll(&pf, 1, left) <= 0 || read(p->out, line + got, 1) != 1)
			break;
		if (line[got] == '\n') {
			line[got] = '\0';
			return 0;
		}
		got++;
	}
	line[got] = '\0';
	return -1;
}

int h_proc_wait(struct h_proc *p, int timeout_s)
{
	int64_t deadline = now_ms() + timeout_s * 1000;
	int st;

	close(p->in);
	close(p->out);
	while (waitpid(p->pid, &st, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			return -1;
		}
		usleep(2000);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- raw protocol ------------------------------------------------------------------ */

int h_connect_raw(const struct backd *b)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	const char *path = strchr(b->uri, ':') + 1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strncmp(b->uri, "unix:", 5) != 0 && strncmp(b->uri, "shm:", 4) != 0)
		FAILF("raw connections need a unix: or shm: backend");
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		FAILF("connect %s: %s", b->uri, strerror(errno));
	return fd;
}

int h_raw_hello(int fd)
{
	uint8_t m[WIRE_HDR_SIZE + sizeof(struct wire_hello) + 3] = {0}, buf[256];
	struct wire_hello hl = {.magic = WIRE_MAGIC,
				.version_min = WIRE_VERSION,
				.version_max = WIRE_VERSION,
				.name_len = 3};
	struct wire_hdr hh, *h = (struct wire_hdr *)buf;
	ssize_t n, got = 0;

	wire_hdr_init(&hh, WIRE_OP_HELLO, 0, 1, 0, sizeof(hl) + 3);
	memcpy(m, &hh, sizeof(hh));
	memcpy(m + WIRE_HDR_SIZE, &hl, sizeof(hl));
	memcpy(m + WIRE_HDR_SIZE + sizeof(hl), "raw", 3);
	if (write(fd, m, sizeof(m)) != (ssize_t)sizeof(m))
		return -errno;
	while (got < (ssize_t)sizeof(*h) || got < (ssize_t)h->len) {
		n = read(fd, buf + got, sizeof(buf) - (size_t)got);
		if (n <= 0)
			return -EIO;
		got += n;
	}
	return (int)((struct wire_reply *)(h + 1))->result;
}
