/* SPDX-License-Identifier: MIT */
/* runner.c - forks each registered test, enforces time limits, checks fd leaks. */
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

extern const struct test_case __start_vdri_tests[];
extern const struct test_case __stop_vdri_tests[];
/* Weak: binaries without clients have no such section. */
extern const struct test_client __start_vdri_clients[] __attribute__((weak));
extern const struct test_client __stop_vdri_clients[] __attribute__((weak));

static int run_client(int argc, char **argv)
{
	for (const struct test_client *c = __start_vdri_clients; c && c < __stop_vdri_clients; c++)
		if (strcmp(c->name, argv[2]) == 0)
			return c->fn(argc - 3, argv + 3);
	fprintf(stderr, "no client named %s\n", argv[2]);
	return 127;
}

#define EXIT_SKIP 77

static const char *current;
static int allow_fd_leak;

void test_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	_exit(1);
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  skip: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	_exit(EXIT_SKIP);
}

void test_log(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s: ", current ? current : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

void test_allow_fd_leak(void)
{
	allow_fd_leak = 1;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static void run_child(const struct test_case *t)
{
	int before, after;

	current = t->name;
	before = count_fds();
	alarm((unsigned)t->timeout_s);
	t->fn();
	alarm(0);
	after = count_fds();
	if (!allow_fd_leak && after > before) {
		fprintf(stderr, "  %d file descriptor(s) leaked\n", after - before);
		_exit(2);
	}
	_exit(0);
}

static int run_one(const struct test_case *t, int *skipped)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 0;
	}
	if (pid == 0)
		run_child(t);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP) {
		printf("SKIP %s\n", t->name);
		*skipped = 1;
		return 1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("PASS %s\n", t->name);
		return 1;
	}
	if (WIFSIGNALED(status))
		printf("FAIL %s: %s%s\n", t->name, strsignal(WTERMSIG(status)),
		       WTERMSIG(status) == SIGALRM ? " (time limit)" : "");
	else
		printf("FAIL %s: exit %d\n", t->name, WEXITSTATUS(status));
	return 0;
}

int main(int argc, char **argv)
{
	const struct test_case *t;
	int pass = 0, fail = 0, skip = 0;

	if (argc > 2 && strcmp(argv[1], "--client") == 0)
		return run_client(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	for (t = __start_vdri_tests; t < __stop_vdri_tests; t++) {
		int sk = 0;

		if (argc > 1 && strcmp(argv[1], "--list") == 0) {
			printf("%s\n", t->name);
			continue;
		}
		if (argc > 1 && strcmp(argv[1], t->name) != 0)
			continue;
		if (run_one(t, &sk))
			sk ? skip++ : pass++;
		else
			fail++;
	}
	if (argc > 1 && strcmp(argv[1], "--list") == 0)
		return 0;
	printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
	return fail ? 1 : 0;
}
