/* SPDX-License-Identifier: MIT */
/*
 * test_sandbox.c - the worker sandbox for real: each case applies it in a
 * forked child (the test process itself stays unsandboxed) and the parent
 * checks how the child ended: a killed call must end it by SIGSYS, a refused
 * one fail with EPERM, and what a worker needs must still work.
 *
 * Under valgrind (it answers some calls itself, so the filter's answers
 * cannot be seen) or with VDRI_SANDBOX_SKIP_SECCOMP=1 the cases that need
 * the filter are skipped; the limits, capabilities and user cases still run.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "isolation/sandbox.h"
#include "runner.h"

#if defined(__SANITIZE_ADDRESS__)
#define T_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#endif

#define CAP_CHOWN_BIT (1ull << 0)
#define CAP_NET_ADMIN_BIT (1ull << 12)
#define CAP_SYS_ADMIN_BIT (1ull << 21)

static int filter_skipped(void)
{
	const char *v = getenv("VDRI_SANDBOX_SKIP_SECCOMP");

	return v && strcmp(v, "1") == 0;
}

/* valgrind preloads its own library into the program it runs */
static int on_valgrind(void)
{
	const char *v = getenv("LD_PRELOAD");

	return v && strstr(v, "vgpreload");
}

static void need_filter(void)
{
	if (filter_skipped())
		test_skip("VDRI_SANDBOX_SKIP_SECCOMP=1: no filter to test");
	/* it answers some calls itself (bpf, unknown numbers): the filter never sees them */
	if (on_valgrind())
		test_skip("under valgrind");
}

static void need_root(void)
{
	if (geteuid() != 0)
		test_skip("capabilities and users need root");
}

/* The sandbox most cases use: the filter (unless skipped) and 64 files. */
static struct iso_sandbox base(void)
{
	return (struct iso_sandbox){.seccomp = !filter_skipped(), .max_files = 64};
}

/* Apply sb in this (child) process or fail. */
static void enter(const struct iso_sandbox *sb)
{
	char err[256];
	int r = iso_sandbox_apply(sb, err, sizeof(err));

	if (r)
		FAILF("iso_sandbox_apply: %d (%s)", r, err);
	if (err[0])
		test_log("note: %s", err);
}

/*
 * Run fn(arg) in a child whose output goes through a pipe (so its standard
 * error is never a regular file) to ours; kill it after 20 s.  Returns its
 * wait status.
 */
static int in_child(void (*fn)(void *), void *arg)
{
	int p[2], st;
	pid_t pid;
	char buf[512];
	time_t deadline = time(NULL) + 20;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	fflush(stderr);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pf = {p[0], POLLIN, 0};
		ssize_t n;

		if (time(NULL) > deadline || poll(&pf, 1, 1000) < 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (!pf.revents)
			continue;
		n = read(p[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		if (write(STDERR_FILENO, buf, (size_t)n) < 0)
			break;
	}
	close(p[0]);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	return st;
}

static void check_exit0(int st)
{
	if (WIFSIGNALED(st))
		FAILF("child killed by %s", strsignal(WTERMSIG(st)));
	if (WEXITSTATUS(st) == 77)
		test_skip("(the child skipped)");
	if (WEXITSTATUS(st))
		FAILF("child failed: exit %d", WEXITSTATUS(st));
}

static void check_sigsys(int st, const char *what)
{
	if (!WIFSIGNALED(st))
		FAILF("%s: child exited %d, want death by SIGSYS", what, WEXITSTATUS(st));
	if (WTERMSIG(st) != SIGSYS)
		FAILF("%s: child killed by %s, want SIGSYS", what, strsignal(WTERMSIG(st)));
}

/* A "Name:\tvalue" line of /proc/self/status, as a number (base 16 for Cap*). */
static unsigned long long status_field(const char *name)
{
	char buf[4096], key[64], *s;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK(n > 0);
	buf[n] = '\0';
	snprintf(key, sizeof(key), "\n%s:\t", name);
	s = strstr(buf, key);
	if (!s)
		FAILF("no %s in /proc/self/status", name);
	return strtoull(s + strlen(key), NULL, strncmp(name, "Cap", 3) == 0 ? 16 : 10);
}

/* ---- the policy as data ------------------------------------------------------ */

TEST(policy_tables)
{
	unsigned nallow = 0, nkill = 0, nerrno = 0, want_allow, want_kill, want_errno;

	CHECK_EQ(iso_sandbox_action(SYS_execve), ISO_SC_KILL);
	CHECK_EQ(iso_sandbox_action(SYS_socket), ISO_SC_KILL);
	CHECK_EQ(iso_sandbox_action(SYS_ptrace), ISO_SC_KILL);
	CHECK_EQ(iso_sandbox_action(SYS_read), ISO_SC_ALLOW);
	CHECK_EQ(iso_sandbox_action(SYS_ioctl), ISO_SC_ALLOW);
	CHECK_EQ(iso_sandbox_action(SYS_clone), ISO_SC_ALLOW); /* with CLONE_THREAD */
	CHECK_EQ(iso_sandbox_action(SYS_clone3), ISO_SC_ERRNO);
	CHECK_EQ(iso_sandbox_action(SYS_getcwd), ISO_SC_ERRNO);
	CHECK_EQ(iso_sandbox_action(100000), ISO_SC_ERRNO);
	CHECK_EQ(iso_sandbox_action(-1), ISO_SC_ERRNO);
	/* a number in both tables, or twice in one, would make these counts differ */
	CHECK_EQ(sscanf(iso_sandbox_describe(), "%u allowed, %u kill, %u ENOSYS", &want_allow,
			&want_kill, &want_errno),
		 3);
	for (long nr = 0; nr < 1024; nr++) {
		enum iso_sc_action a = iso_sandbox_action(nr);

		nallow += a == ISO_SC_ALLOW;
		nkill += a == ISO_SC_KILL;
		nerrno += a == ISO_SC_ERRNO;
	}
	test_log("%s", iso_sandbox_describe());
	CHECK_EQ(nallow, want_allow);
	CHECK_EQ(nkill, want_kill);
	CHECK_EQ(nerrno, 1024 - want_allow - want_kill);
	CHECK(want_errno >= 1);
}

/* ---- the filter ---------------------------------------------------------------- */

static void status_body(void *arg)
{
	struct iso_sandbox sb = base();

	enter(&sb);
	CHECK_EQ(status_field("Seccomp"), 2);
	CHECK_EQ(status_field("NoNewPrivs"), 1);
}

TEST(filter_installed)
{
	need_filter();
	check_exit0(in_child(status_body, NULL));
}

static void no_nnp_without_filter(void *arg)
{
	struct iso_sandbox sb = base();

	sb.seccomp = 0;
	enter(&sb);
	CHECK_EQ(status_field("Seccomp"), 0);
	CHECK_EQ(status_field("NoNewPrivs"), 1);
}

TEST(no_filter_still_no_new_privs)
{
	check_exit0(in_child(no_nnp_without_filter, NULL));
}

static void do_socket(void)
{
	socket(AF_UNIX, SOCK_STREAM, 0);
}

static void do_execve(void)
{
	char *const argv[] = {"true", NULL};

	execve("/bin/true", argv, NULL);
}

static void do_raw_fork(void)
{
	/* a fork: clone without CLONE_THREAD */
	if (syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) == 0)
		_exit(0);
}

static void do_fork(void)
{
	if (fork() == 0)
		_exit(0);
}

static void do_ptrace(void)
{
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

static void do_unshare(void)
{
	unshare(CLONE_NEWNS);
}

static void do_setuid(void)
{
	syscall(SYS_setuid, 0);
}

static void do_bpf(void)
{
	syscall(SYS_bpf, 0, NULL, 0);
}

static void do_io_uring(void)
{
	syscall(SYS_io_uring_setup, 1, NULL);
}

#ifdef __x86_64__
static void do_x32(void)
{
	syscall(__X32_SYSCALL_BIT + 39); /* x32 getpid */
}
#endif

static const struct killed_case {
	const char *name;
	void (*fn)(void);
} killed_cases[] = {
    {"socket", do_socket},  {"execve", do_execve}, {"clone(SIGCHLD)", do_raw_fork},
    {"fork", do_fork},	    {"ptrace", do_ptrace}, {"unshare", do_unshare},
    {"setuid", do_setuid},  {"bpf", do_bpf},	   {"io_uring_setup", do_io_uring},
#ifdef __x86_64__
    {"x32 getpid", do_x32},
#endif
};

static void killed_body(void *arg)
{
	const struct killed_case *k = arg;
	struct iso_sandbox sb = base();

	enter(&sb);
	k->fn();
	FAILF("%s returned (errno %s)", k->name, strerror(errno));
}

TEST(killed_calls_end_the_process)
{
	need_filter();
	for (size_t i = 0; i < sizeof(killed_cases) / sizeof(killed_cases[0]); i++) {
		const struct killed_case *k = &killed_cases[i];

		check_sigsys(in_child(killed_body, (void *)k), k->name);
	}
}

static void *socket_thread(void *arg)
{
	do_socket();
	return NULL;
}

static void kill_in_thread_body(void *arg)
{
	struct iso_sandbox sb = base();
	pthread_t t;

	enter(&sb);
	CHECK_EQ(pthread_create(&t, NULL, socket_thread, NULL), 0);
	pthread_join(t, NULL);
	FAILF("the process outlived a killed call in its thread");
}

TEST(killed_call_in_a_thread_ends_the_process)
{
	need_filter();
	check_sigsys(in_child(kill_in_thread_body, NULL), "socket in a thread");
}

static void refused_body(void *arg)
{
	struct iso_sandbox sb = base();
	struct rlimit rl;
	char buf[64];
	int p[2];

	enter(&sb);
	CHECK_ERRNO(syscall(SYS_getcwd, buf, sizeof(buf)), EPERM);
	CHECK_ERRNO(syscall(SYS_uname, buf), EPERM);
	CHECK_ERRNO(syscall(1000), EPERM); /* no such call: refused all the same */
	CHECK_ERRNO(pipe2(p, 0), EPERM);
	CHECK_ERRNO(syscall(SYS_memfd_create, "x", 0), EPERM);
	CHECK_ERRNO(kill(getppid(), 0), EPERM);
	/* argument checks: the allowed uses pass, the others are refused */
	CHECK_ERRNO(syscall(SYS_tgkill, getppid(), getppid(), 0), EPERM);
	CHECK_OK(syscall(SYS_tgkill, getpid(), gettid(), 0));
	CHECK_ERRNO(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), EPERM);
	CHECK_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EPERM);
	CHECK_OK(prctl(PR_SET_NAME, "sandboxed", 0, 0, 0));
	CHECK_OK(prctl(PR_GET_NAME, buf, 0, 0, 0));
	CHECK_STREQ(buf, "sandboxed");
	CHECK_ERRNO(prlimit(getppid(), RLIMIT_NOFILE, NULL, &rl), EPERM);
	CHECK_OK(prlimit(0, RLIMIT_NOFILE, NULL, &rl));
	/* clone3 says ENOSYS, so that glibc falls back to clone */
	CHECK_ERRNO(syscall(SYS_clone3, NULL, 0), ENOSYS);
}

TEST(other_calls_fail_with_eperm)
{
	need_filter();
	check_exit0(in_child(refused_body, NULL));
}

/* ---- what a worker does still works -------------------------------------------- */

static void *count_thread(void *arg)
{
	int *n = arg;

	(*n)++;
	return arg;
}

static void threads_work(void)
{
	pthread_t t[4];
	int n[4] = {0};

	for (int i = 0; i < 4; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, count_thread, &n[i]), 0);
	for (int i = 0; i < 4; i++) {
		void *r;

		CHECK_EQ(pthread_join(t[i], &r), 0);
		CHECK(r == &n[i]);
		CHECK_EQ(n[i], 1);
	}
}

static void files_work(void)
{
	char buf[PATH_MAX];
	struct stat st;
	DIR *d;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NONBLOCK), n = 0;

	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, 1), 0);
	CHECK_EQ(write(fd, "x", 1), 1);
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_OK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK));
	close(fd);
	/* the sysfs view: stat, directory listings, links */
	CHECK_OK(stat("/proc/self/status", &st));
	CHECK_OK(lstat("/proc/self/exe", &st));
	CHECK(readlink("/proc/self/exe", buf, sizeof(buf)) > 0);
	CHECK(realpath("/proc/self/exe", buf) != NULL);
	CHECK((d = opendir("/proc/self")) != NULL);
	while (readdir(d))
		n++;
	closedir(d);
	CHECK(n > 2);
}

static void memory_works(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *big;

	CHECK(p != MAP_FAILED);
	p[0] = 1;
	CHECK_OK(madvise(p + pg, pg, MADV_DONTNEED));
	p = mremap(p, 4 * pg, 8 * pg, MREMAP_MAYMOVE);
	CHECK(p != MAP_FAILED);
	CHECK_EQ(p[0], 1);
	CHECK_OK(mprotect(p, pg, PROT_READ));
	CHECK_OK(munmap(p, 8 * pg));
	big = malloc(64 << 20); /* mmap'd by malloc */
	CHECK(big != NULL);
	memset(big, 1, 64 << 20);
	free(big);
}

static void events_work(int pipe_rd)
{
	struct epoll_event ev = {.events = EPOLLIN}, out;
	int ep = epoll_create1(EPOLL_CLOEXEC), efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t v = 1;
	int avail = 0;
	struct pollfd pf = {pipe_rd, POLLIN, 0};

	CHECK(ep >= 0 && efd >= 0);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	CHECK_EQ(write(efd, &v, sizeof(v)), sizeof(v));
	CHECK_EQ(epoll_wait(ep, &out, 1, 1000), 1);
	CHECK_EQ(read(efd, &v, sizeof(v)), sizeof(v));
	close(efd);
	close(ep);
	/* the pipe was filled before the sandbox */
	CHECK_EQ(poll(&pf, 1, 1000), 1);
	CHECK_OK(ioctl(pipe_rd, FIONREAD, &avail));
	CHECK_EQ(avail, 5);
}

/* Send our fd 'fd' over the socket pair and get it back as a new fd. */
static void fd_passing_works(const int sv[2], int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0}, byte = 'x';
	struct iovec iov = {&byte, 1};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	int got;

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	CHECK_EQ(sendmsg(sv[0], &m, MSG_NOSIGNAL), 1);
	memset(cbuf, 0, sizeof(cbuf));
	CHECK_EQ(recvmsg(sv[1], &m, MSG_CMSG_CLOEXEC), 1);
	cm = CMSG_FIRSTHDR(&m);
	CHECK(cm && cm->cmsg_type == SCM_RIGHTS);
	memcpy(&got, CMSG_DATA(cm), sizeof(int));
	CHECK(got >= 0 && got != fd);
	CHECK_OK(fcntl(got, F_GETFD));
	close(got);
	CHECK_OK(shutdown(sv[0], SHUT_RDWR));
}

static void misc_works(void)
{
	struct timespec ts = {0, 1000000};
	uint64_t r;

	CHECK_EQ(getrandom(&r, sizeof(r), 0), sizeof(r));
	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &ts));
	CHECK_OK(nanosleep(&(struct timespec){0, 1000000}, NULL));
	CHECK_OK(sched_yield());
	CHECK(getpid() > 0 && getppid() > 0);
	CHECK_OK(raise(SIGCHLD)); /* tgkill to itself; ignored by default */
}

static void allowed_body(void *arg)
{
	struct iso_sandbox sb = base();
	int sv[2], pp[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(pipe2(pp, O_CLOEXEC));
	CHECK_EQ(write(pp[1], "hello", 5), 5);
	enter(&sb);
	threads_work();
	files_work();
	memory_works();
	events_work(pp[0]);
	fd_passing_works(sv, pp[1]);
	misc_works();
}

TEST(worker_calls_still_work)
{
	need_filter();
	check_exit0(in_child(allowed_body, NULL));
}

/* ---- limits ------------------------------------------------------------------------ */

static void check_limit(int res, rlim_t want)
{
	struct rlimit rl;

	CHECK_OK(getrlimit(res, &rl));
	CHECK_EQ(rl.rlim_cur, want);
	/* valgrind refuses to change the NOFILE hard limit (the sandbox notes it) */
	if (res != RLIMIT_NOFILE || !on_valgrind())
		CHECK_EQ(rl.rlim_max, want);
}

static void limits_body(void *arg)
{
	struct iso_sandbox sb = base();
	char path[] = "/tmp/vdri-sandbox-XXXXXX";
	int fd = mkstemp(path), n = 0, last = -1;

	CHECK(fd >= 0);
	unlink(path);
	sb.max_memory = 1ull << 30;
	enter(&sb);
	check_limit(RLIMIT_NOFILE, 64);
	check_limit(RLIMIT_CORE, 0);
	check_limit(RLIMIT_FSIZE, 0);
#ifndef T_ASAN
	check_limit(RLIMIT_DATA, 1ull << 30);
#endif
	/* a worker writes no files: EFBIG, and no SIGXFSZ that would kill it */
	CHECK_ERRNO(write(fd, "x", 1), EFBIG);
	close(fd);
	/* no more than max_files descriptors */
	for (;;) {
		int f = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (f < 0) {
			CHECK_EQ(errno, EMFILE);
			break;
		}
		last = f;
		CHECK(++n <= 64);
	}
	CHECK(last >= 60 && last < 64);
}

TEST(resource_limits)
{
	check_exit0(in_child(limits_body, NULL));
}

/* RLIMIT_FSIZE would break the daemon's log when standard error is a file. */
static void fsize_file_body(void *arg)
{
	struct iso_sandbox sb = base();
	char path[] = "/tmp/vdri-sandbox-XXXXXX", err[256];
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct rlimit before, after;

	CHECK(fd >= 0 && saved >= 0);
	unlink(path);
	CHECK_OK(getrlimit(RLIMIT_FSIZE, &before));
	dup2(fd, STDERR_FILENO);
	CHECK_EQ(iso_sandbox_apply(&sb, err, sizeof(err)), 0);
	dup2(saved, STDERR_FILENO);
	CHECK(strstr(err, "RLIMIT_FSIZE left alone") != NULL);
	CHECK_OK(getrlimit(RLIMIT_FSIZE, &after));
	CHECK_EQ(after.rlim_cur, before.rlim_cur);
	CHECK_EQ(write(fd, "x", 1), 1);
	close(fd);
	close(saved);
}

TEST(file_size_left_when_stderr_is_a_file)
{
	check_exit0(in_child(fsize_file_body, NULL));
}

/* ---- capabilities and users ------------------------------------------------------- */

struct caps_case {
	const char *user;
	int keep_sys_admin;
	uint64_t keep_caps;
};

static void caps_body(void *arg)
{
	const struct caps_case *c = arg;
	struct iso_sandbox sb = base();
	unsigned long long want = (c->keep_sys_admin ? CAP_SYS_ADMIN_BIT : 0) | c->keep_caps;
	struct passwd *pw = c->user ? getpwnam(c->user) : NULL;
	gid_t g[64], want_g[64];
	int want_n = 64;

	/* looked up first: glibc may ask nscd over a new socket */
	CHECK(!c->user || (pw && getgrouplist(c->user, pw->pw_gid, want_g, &want_n) >= 0));
	sb.user = c->user;
	sb.keep_sys_admin = c->keep_sys_admin;
	sb.keep_caps = c->keep_caps;
	enter(&sb);
	CHECK_EQ(status_field("CapEff"), want);
	CHECK_EQ(status_field("CapPrm"), want);
	CHECK_EQ(status_field("CapBnd"), want);
	CHECK_EQ(status_field("CapInh"), 0);
	CHECK_EQ(status_field("CapAmb"), 0);
	if (pw) {
		int n = getgroups(64, g);

		CHECK_EQ(getuid(), pw->pw_uid);
		CHECK_EQ(geteuid(), pw->pw_uid);
		CHECK_EQ(getgid(), pw->pw_gid);
		CHECK_EQ(getegid(), pw->pw_gid);
		CHECK_EQ(n, want_n);
		for (int i = 0; i < n; i++)
			CHECK_EQ(g[i], want_g[i]);
	}
}

static void caps_case(const char *user, int keep_sys_admin, uint64_t keep_caps)
{
	struct caps_case c = {user, keep_sys_admin, keep_caps};

	need_root();
	if (user && !getpwnam(user))
		test_skip("no user %s here", user);
	check_exit0(in_child(caps_body, &c));
}

TEST(capabilities_dropped)
{
	caps_case(NULL, 0, 0);
}

TEST(keep_sys_admin)
{
	caps_case(NULL, 1, 0);
}

TEST(keep_other_caps)
{
	caps_case(NULL, 0, CAP_NET_ADMIN_BIT | CAP_CHOWN_BIT);
}

TEST(user_nobody)
{
	caps_case("nobody", 0, 0);
}

TEST(user_nobody_keeps_sys_admin)
{
	caps_case("nobody", 1, 0);
}

TEST(user_nobody_keeps_net_admin)
{
	caps_case("nobody", 0, CAP_NET_ADMIN_BIT);
}

static void unknown_user_body(void *arg)
{
	struct iso_sandbox sb = base();
	char err[256];

	sb.user = "vdri-no-such-user";
	CHECK_EQ(iso_sandbox_apply(&sb, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "vdri-no-such-user") != NULL);
}

TEST(unknown_user_refused)
{
	check_exit0(in_child(unknown_user_body, NULL));
}

static void *idle_thread(void *arg)
{
	char c;

	return read(*(int *)arg, &c, 1) == 1 ? arg : NULL;
}

static void threads_first_body(void *arg)
{
	struct iso_sandbox sb = base();
	char err[256];
	pthread_t t;
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_EQ(pthread_create(&t, NULL, idle_thread, &p[0]), 0);
	CHECK_EQ(iso_sandbox_apply(&sb, err, sizeof(err)), -EBUSY);
	CHECK(strstr(err, "before starting threads") != NULL);
	CHECK_EQ(status_field("Seccomp"), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(pthread_join(t, NULL), 0);
}

TEST(refused_once_threads_run)
{
	check_exit0(in_child(threads_first_body, NULL));
}
