/* SPDX-License-Identifier: MIT */
/*
 * sandbox.c - the worker sandbox: resource limits, capabilities, user, and a
 * seccomp filter built from the tables below (classic BPF, no libseccomp).
 *
 * The tables are the policy: a call in allowed[] passes (those in
 * arg_rules[] only with the argument they name), a call in killed[] ends the
 * process, a call in errnos[] fails with that errno, and every other call
 * fails with EPERM.  They were found by tracing session workers during the
 * integration tests (strace -f) and the unit test of this file under
 * AddressSanitizer; isolation/README.md says how.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "isolation/sandbox.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__SANITIZE_ADDRESS__)
#define ISO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ISO_ASAN 1
#endif
#endif

#if defined(__x86_64__)
#define ISO_AUDIT_ARCH AUDIT_ARCH_X86_64
#define ISO_ARCH_NAME "x86_64"
#elif defined(__aarch64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ISO_AUDIT_ARCH AUDIT_ARCH_AARCH64
#define ISO_ARCH_NAME "aarch64"
#else
#define ISO_ARCH_NAME "no filter for this architecture"
#endif

/* ---- the policy ------------------------------------------------------------ */

/*
 * What a multithreaded session worker, glibc and the sanitizer runtimes
 * need, most frequent first (the filter compares in this order).
 */
/* clang-format off */
static const int allowed[] = {
    /* the request loop: locks, readiness, replies, forwarded ioctls */
    __NR_futex,
#ifdef __NR_poll
    __NR_poll, __NR_epoll_wait, /* x86_64; aarch64 has only the p-variants */
#endif
    __NR_sendmsg, __NR_ioctl, __NR_write, __NR_read, __NR_epoll_ctl, __NR_recvmsg, __NR_writev,
    __NR_ppoll, __NR_epoll_pwait,
    /* I/O on descriptors the worker already has; no new sockets */
    __NR_readv, __NR_pread64, __NR_pwrite64, __NR_recvfrom, __NR_sendto, __NR_shutdown,
    __NR_lseek, __NR_close, __NR_fcntl, __NR_dup, __NR_dup3,
    /* files opened for guests (isolation/policy.c checks the path first) and
       the sysfs view (stat, readlink, directory listings) */
    __NR_openat, __NR_newfstatat, __NR_fstat, __NR_statx, __NR_getdents64, __NR_readlinkat,
#ifdef __NR_open
    /* x86_64 glibc and sanitizer internals */
    __NR_open, __NR_stat, __NR_lstat, __NR_readlink, __NR_dup2,
#endif
    /* memory: malloc, thread stacks, guest mappings of device memory */
    __NR_mmap, __NR_munmap, __NR_mprotect, __NR_mremap, __NR_madvise, __NR_brk,
    /* events */
    __NR_epoll_create1, __NR_eventfd2,
    /* threads (clone only with CLONE_THREAD: arg_rules) */
    __NR_clone, __NR_set_robust_list, __NR_rseq, __NR_set_tid_address, __NR_sched_yield,
    __NR_sched_getaffinity, __NR_exit, __NR_exit_group, __NR_restart_syscall,
    /* time */
    __NR_clock_gettime, __NR_clock_getres, __NR_clock_nanosleep, __NR_nanosleep,
    __NR_gettimeofday,
    /* identity of this process */
    __NR_getpid, __NR_gettid, __NR_getppid, __NR_getuid, __NR_geteuid, __NR_getgid,
    __NR_getegid, __NR_getresuid, __NR_getresgid, __NR_getgroups,
    /* signals: the worker's own handlers and masks, SIGPIPE taken back by
       frame_io.c, signals to its own threads only (arg_rules) */
    __NR_rt_sigaction, __NR_rt_sigprocmask, __NR_rt_sigreturn, __NR_rt_sigpending,
    __NR_rt_sigtimedwait, __NR_sigaltstack, __NR_tgkill,
    /* fork tokens and session ids */
    __NR_getrandom,
    /* getrlimit/setrlimit of this process only (glibc, the sanitizers) */
    __NR_prlimit64,
    /* thread names and the sanitizers' queries (arg_rules) */
    __NR_prctl,
};

/*
 * Calls no worker makes unless it has been taken over: new processes and
 * programs, new sockets, privileges, namespaces, mounts, kernel modules, and
 * ways around the filter (io_uring, bpf, ptrace).  The process dies.
 */
static const int killed[] = {
    /* programs and processes (clone without CLONE_THREAD: arg_rules) */
    __NR_execve, __NR_execveat, __NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev,
    __NR_pidfd_getfd, __NR_kcmp,
#ifdef __NR_fork
    __NR_fork, __NR_vfork,
#endif
    /* new sockets: the worker only uses those it was given */
    __NR_socket, __NR_socketpair, __NR_connect, __NR_bind, __NR_listen, __NR_accept,
    __NR_accept4,
    /* privileges, after they were dropped */
    __NR_setuid, __NR_setgid, __NR_setreuid, __NR_setregid, __NR_setresuid, __NR_setresgid,
    __NR_setfsuid, __NR_setfsgid, __NR_setgroups, __NR_capset,
    /* namespaces, mounts, the root */
    __NR_unshare, __NR_setns, __NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot,
    __NR_open_tree, __NR_move_mount, __NR_fsopen, __NR_fsconfig, __NR_fsmount, __NR_fspick,
    __NR_mount_setattr, __NR_open_by_handle_at, __NR_name_to_handle_at,
    /* the kernel itself */
    __NR_init_module, __NR_finit_module, __NR_delete_module, __NR_kexec_load,
    __NR_kexec_file_load, __NR_bpf, __NR_perf_event_open, __NR_userfaultfd, __NR_keyctl,
    __NR_add_key, __NR_request_key, __NR_personality, __NR_reboot, __NR_swapon, __NR_swapoff,
    __NR_acct, __NR_settimeofday, __NR_clock_settime, __NR_clock_adjtime, __NR_adjtimex,
    __NR_sethostname, __NR_setdomainname, __NR_quotactl,
    /* io_uring runs operations the filter never sees */
    __NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
#ifdef __x86_64__
    __NR_iopl, __NR_ioperm, __NR_modify_ldt, __NR_uselib,
#endif
};
/* clang-format on */

/* Calls that fail with their own errno instead of EPERM. */
static const struct {
	int nr;
	int err;
} errnos[] = {
    /* glibc then falls back to clone, whose flags the filter can read */
    {__NR_clone3, ENOSYS},
};

enum arg_test {
	ARG_HAS_BITS, /* the argument's low 32 bits share a bit with values[0] */
	ARG_ONE_OF,   /* the argument is one of values[0..nvalues) */
	ARG_OWN_TGID, /* the argument is this process's id */
};

/* Allowed calls with a condition on one argument, else `otherwise`. */
static const struct arg_rule {
	int nr;
	unsigned arg;
	enum arg_test test;
	uint32_t values[4];
	unsigned nvalues;
	uint32_t otherwise;
} arg_rules[] = {
    /* clang-format off */
    /* threads (x86_64 and aarch64 both pass the flags first); a fork dies */
    {__NR_clone, 0, ARG_HAS_BITS, {CLONE_THREAD}, 1, SECCOMP_RET_KILL_PROCESS},
    /* thread names; PR_GET_DUMPABLE and PR_SET_VMA from the sanitizer runtimes */
    {__NR_prctl, 0, ARG_ONE_OF, {PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE, PR_SET_VMA}, 4,
     SECCOMP_RET_ERRNO | EPERM},
    /* raise(), abort() and pthread_kill(): this process's threads only */
    {__NR_tgkill, 0, ARG_OWN_TGID, {0}, 0, SECCOMP_RET_ERRNO | EPERM},
    /* this process's limits only */
    {__NR_prlimit64, 0, ARG_ONE_OF, {0}, 1, SECCOMP_RET_ERRNO | EPERM},
    /* clang-format on */
};

static int in_table(const int *t, size_t n, long nr)
{
	for (size_t i = 0; i < n; i++)
		if (t[i] == nr)
			return 1;
	return 0;
}

static const struct arg_rule *arg_rule_of(long nr)
{
	for (size_t i = 0; i < ARRAY_SIZE(arg_rules); i++)
		if (arg_rules[i].nr == nr)
			return &arg_rules[i];
	return NULL;
}

/* An argument rule's call counts as allowed even if allowed[] lacked it. */
enum iso_sc_action iso_sandbox_action(long nr)
{
	if (arg_rule_of(nr))
		return ISO_SC_ALLOW;
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
		if (errnos[i].nr == nr)
			return ISO_SC_ERRNO;
	if (in_table(allowed, ARRAY_SIZE(allowed), nr))
		return ISO_SC_ALLOW;
	if (in_table(killed, ARRAY_SIZE(killed), nr))
		return ISO_SC_KILL;
	return ISO_SC_ERRNO;
}

const char *iso_sandbox_describe(void)
{
	static char line[96];

	snprintf(line, sizeof(line), "%zu allowed, %zu kill, %zu ENOSYS, rest EPERM (%s)",
		 ARRAY_SIZE(allowed), ARRAY_SIZE(killed), ARRAY_SIZE(errnos), ISO_ARCH_NAME);
	return line;
}

/* ---- the filter -------------------------------------------------------------- */

#ifdef ISO_AUDIT_ARCH

#define MAX_INSNS 512
#define ARG_LO(i) ((uint32_t)offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)

struct prog {
	struct sock_filter f[MAX_INSNS];
	unsigned n;
};

static void emit(struct prog *p, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	if (p->n < MAX_INSNS)
		p->f[p->n] = (struct sock_filter){code, jt, jf, k};
	p->n++;
}

static void ret(struct prog *p, uint32_t action)
{
	emit(p, BPF_RET | BPF_K, action, 0, 0);
}

static void load(struct prog *p, uint32_t off)
{
	emit(p, BPF_LD | BPF_W | BPF_ABS, off, 0, 0);
}

/* if (A == nr) return action; */
static void eq_ret(struct prog *p, long nr, uint32_t action)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1);
	ret(p, action);
}

/* The body of one argument rule; every path returns.  Its length: */
static unsigned rule_len(const struct arg_rule *r)
{
	return r->test == ARG_HAS_BITS ? 4 : 5 + (r->test == ARG_OWN_TGID ? 1 : r->nvalues);
}

static void emit_rule(struct prog *p, const struct arg_rule *r, uint32_t tgid)
{
	const uint32_t *v = r->test == ARG_OWN_TGID ? &tgid : r->values;
	unsigned n = r->test == ARG_OWN_TGID ? 1 : r->nvalues;

	emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0, (uint8_t)rule_len(r));
	if (r->test == ARG_HAS_BITS) {
		load(p, ARG_LO(r->arg));
		emit(p, BPF_JMP | BPF_JSET | BPF_K, r->values[0], 0, 1);
		ret(p, SECCOMP_RET_ALLOW);
		ret(p, r->otherwise);
		return;
	}
	/* values are 32-bit and not negative: the high word must be 0 */
	load(p, ARG_HI(r->arg));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (uint8_t)(n + 1));
	load(p, ARG_LO(r->arg));
	for (unsigned i = 0; i < n; i++)
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, v[i], (uint8_t)(n - i), 0);
	ret(p, r->otherwise);
	ret(p, SECCOMP_RET_ALLOW);
}

static void build(struct prog *p, uint32_t tgid)
{
	p->n = 0;
	load(p, (uint32_t)offsetof(struct seccomp_data, arch));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, ISO_AUDIT_ARCH, 1, 0);
	ret(p, SECCOMP_RET_KILL_PROCESS);
	load(p, (uint32_t)offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
	emit(p, BPF_JMP | BPF_JSET | BPF_K, __X32_SYSCALL_BIT, 0, 1);
	ret(p, SECCOMP_RET_KILL_PROCESS);
#endif
	/* the tables are disjoint (test_sandbox checks): only speed decides the order */
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if (!arg_rule_of(allowed[i]))
			eq_ret(p, allowed[i], SECCOMP_RET_ALLOW);
	for (size_t i = 0; i < ARRAY_SIZE(arg_rules); i++)
		emit_rule(p, &arg_rules[i], tgid);
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
		eq_ret(p, errnos[i].nr, SECCOMP_RET_ERRNO | (uint32_t)errnos[i].err);
	for (size_t i = 0; i < ARRAY_SIZE(killed); i++)
		eq_ret(p, killed[i], SECCOMP_RET_KILL_PROCESS);
	ret(p, SECCOMP_RET_ERRNO | EPERM);
}

static int install_filter(char *err, size_t errlen)
{
	static struct prog p;
	struct sock_fprog fp;
	long r;

	build(&p, (uint32_t)getpid());
	if (p.n > MAX_INSNS) {
		snprintf(err, errlen, "seccomp filter: %u instructions, room for %d", p.n,
			 MAX_INSNS);
		return -E2BIG;
	}
	fp = (struct sock_fprog){(unsigned short)p.n, p.f};
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fp);
	if (r < 0 && (errno == ENOSYS || errno == EINVAL))
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0);
	if (r > 0) {
		snprintf(err, errlen, "seccomp filter: thread %ld could not take it", r);
		return -EBUSY;
	}
	if (r < 0) {
		int e = errno;

		snprintf(err, errlen, "seccomp filter: %s", strerror(e));
		return -e;
	}
	return 0;
}

#else

static int install_filter(char *err, size_t errlen)
{
	snprintf(err, errlen, "seccomp filter: %s", ISO_ARCH_NAME);
	return -EOPNOTSUPP;
}

#endif

/* ---- limits, capabilities, user ------------------------------------------------ */

/* Append a note to err ("; " between notes). */
static void note(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(char *err, size_t errlen, const char *fmt, ...)
{
	size_t used = strnlen(err, errlen);
	va_list ap;

	if (errlen < 3 || used >= errlen - 3)
		return;
	if (used)
		used += (size_t)snprintf(err + used, errlen - used, "; ");
	va_start(ap, fmt);
	vsnprintf(err + used, errlen - used, fmt, ap);
	va_end(ap);
}

static int set_limit(int res, const char *name, uint64_t v, char *err, size_t errlen)
{
	struct rlimit rl = {(rlim_t)v, (rlim_t)v};
	int e;

	if (setrlimit(res, &rl) == 0)
		return 0;
	e = errno;
	snprintf(err, errlen, "setrlimit %s %llu: %s", name, (unsigned long long)v, strerror(e));
	return -e;
}

static int is_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static int env_has(const char *var, const char *needle)
{
	const char *v = getenv(var);

	return v && strstr(v, needle);
}

/* Why RLIMIT_FSIZE 0 would break this process, or NULL. */
static const char *fsize_conflict(void)
{
	if (is_regular(STDOUT_FILENO) || is_regular(STDERR_FILENO))
		return "standard output or error is a regular file";
	if (env_has("ASAN_OPTIONS", "log_path") || env_has("UBSAN_OPTIONS", "log_path"))
		return "sanitizer reports go to files (log_path)";
	return NULL;
}

/*
 * Lowering a hard limit is always allowed, but valgrind refuses any change
 * of the NOFILE hard limit (it keeps descriptors of its own above it): then
 * the soft limit alone, with a note.
 */
static int set_files(uint32_t max, char *err, size_t errlen)
{
	struct rlimit rl = {max, max};

	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return 0;
	if (errno == EPERM && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max >= max) {
		rl.rlim_cur = max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
			note(err, errlen, "RLIMIT_NOFILE: hard limit left at %llu",
			     (unsigned long long)rl.rlim_max);
			return 0;
		}
	}
	return set_limit(RLIMIT_NOFILE, "NOFILE", max, err, errlen);
}

static int apply_limits(const struct iso_sandbox *sb, char *err, size_t errlen)
{
	const char *why;
	int r;

	if (sb->max_files && (r = set_files(sb->max_files, err, errlen)))
		return r;
#ifdef ISO_ASAN
	if (sb->max_memory)
		note(err, errlen,
		     "RLIMIT_DATA left alone: AddressSanitizer's shadow memory counts");
#else
	if (sb->max_memory && (r = set_limit(RLIMIT_DATA, "DATA", sb->max_memory, err, errlen)))
		return r;
#endif
	if ((r = set_limit(RLIMIT_CORE, "CORE", 0, err, errlen)))
		return r;
	why = fsize_conflict();
	if (why) {
		note(err, errlen, "RLIMIT_FSIZE left alone: %s", why);
		return 0;
	}
	signal(SIGXFSZ, SIG_IGN);
	return set_limit(RLIMIT_FSIZE, "FSIZE", 0, err, errlen);
}

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	return (int)syscall(SYS_capget, &h, d);
}

static int has_cap(int cap)
{
	struct __user_cap_data_struct d[2];

	return caps_get(d) == 0 && (d[cap / 32].effective & (1u << (cap % 32)));
}

static int drop_bounding(uint64_t keep, char *err, size_t errlen)
{
	if (!has_cap(CAP_SETPCAP)) {
		note(err, errlen, "bounding set left alone: no CAP_SETPCAP");
		return 0;
	}
	/* PR_CAPBSET_READ fails with EINVAL past the kernel's last capability */
	for (int c = 0; c < 64; c++) {
		int in = prctl(PR_CAPBSET_READ, c, 0, 0, 0), e;

		if (in < 0)
			break;
		if (((keep >> c) & 1) || in == 0 || prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == 0)
			continue;
		e = errno;
		snprintf(err, errlen, "dropping capability %d from the bounding set: %s", c,
			 strerror(e));
		return -e;
	}
	return 0;
}

static int set_caps(uint64_t keep, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{0, 0, 0}, {0, 0, 0}};
	int e;

	d[0].effective = d[0].permitted = (uint32_t)keep;
	d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &h, d) == 0)
		return 0;
	e = errno;
	snprintf(err, errlen, "capset (keeping %#llx): %s", (unsigned long long)keep, strerror(e));
	return -e;
}

static int set_groups_of(const struct passwd *pw, char *err, size_t errlen)
{
	gid_t small[64], *g = small;
	int n = (int)ARRAY_SIZE(small), r = 0;

	if (getgrouplist(pw->pw_name, pw->pw_gid, g, &n) < 0) {
		g = calloc((size_t)n, sizeof(*g));
		if (!g || getgrouplist(pw->pw_name, pw->pw_gid, g, &n) < 0) {
			snprintf(err, errlen, "groups of %s: %s", pw->pw_name,
				 g ? "changed while read" : strerror(ENOMEM));
			free(g);
			return g ? -EAGAIN : -ENOMEM;
		}
	}
	if (setgroups((size_t)n, g)) {
		r = -errno;
		snprintf(err, errlen, "setgroups for %s: %s", pw->pw_name, strerror(-r));
	}
	if (g != small)
		free(g);
	return r;
}

/* Become user; with keep the permitted capabilities survive the switch. */
static int switch_user(const char *user, uint64_t keep, char *err, size_t errlen)
{
	struct passwd pwbuf, *pw = NULL;
	char buf[4096];
	int r;

	r = getpwnam_r(user, &pwbuf, buf, sizeof(buf), &pw);
	if (r || !pw) {
		snprintf(err, errlen, "user %s: %s", user, r ? strerror(r) : "no such user");
		return r ? -r : -ENOENT;
	}
	if ((r = set_groups_of(pw, err, errlen)))
		return r;
	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		goto err_errno;
	if (setgid(pw->pw_gid) || setuid(pw->pw_uid))
		goto err_errno;
	if (keep)
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
err_errno:
	r = -errno;
	snprintf(err, errlen, "becoming %s (%u:%u): %s", user, (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_gid, strerror(-r));
	return r;
}

/* Capabilities are per thread: every other thread would keep them. */
static int check_single_thread(char *err, size_t errlen)
{
	struct stat st;

	/* a directory's link count is 2 + its subdirectories, one per thread */
	if (stat("/proc/self/task", &st) == 0 && st.st_nlink > 3) {
		snprintf(err, errlen, "%lu threads already run: apply before starting threads",
			 (unsigned long)st.st_nlink - 2);
		return -EBUSY;
	}
	return 0;
}

static int privileges(const struct iso_sandbox *sb, char *err, size_t errlen)
{
	uint64_t keep = sb->keep_caps | (sb->keep_sys_admin ? 1ull << CAP_SYS_ADMIN : 0);
	int r;

	if ((r = drop_bounding(keep, err, errlen)))
		return r;
	/* ambient capabilities: not supported before Linux 4.3, nothing to clear then */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		r = -errno;
		snprintf(err, errlen, "clearing ambient capabilities: %s", strerror(-r));
		return r;
	}
	if (sb->user && (r = switch_user(sb->user, keep, err, errlen)))
		return r;
	return set_caps(keep, err, errlen);
}

int iso_sandbox_apply(const struct iso_sandbox *sb, char *err, size_t errlen)
{
	const char *skip;
	char dummy[1];
	int r;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if ((r = check_single_thread(err, errlen)) || (r = apply_limits(sb, err, errlen)) ||
	    (r = privileges(sb, err, errlen)))
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		r = -errno;
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(-r));
		return r;
	}
	if (!sb->seccomp)
		return 0;
	skip = getenv("VDRI_SANDBOX_SKIP_SECCOMP");
	if (skip && strcmp(skip, "1") == 0) {
		note(err, errlen, "seccomp filter left out: VDRI_SANDBOX_SKIP_SECCOMP=1");
		return 0;
	}
	return install_filter(err, errlen);
}
