/* SPDX-License-Identifier: MIT */
/*
 * runner.h - the test runner every test binary links (tests/lib/runner.c).
 *
 * TEST(name) { ... } registers a test.  The runner forks each test, gives it
 * a time limit, checks that it leaves no file descriptor open that it did
 * not have at the start, and prints one line per test:
 *   PASS name | FAIL name: reason | SKIP name: reason
 * and at the end "N passed, N failed, N skipped".
 * Run one test: ./binary name; list them: ./binary --list.
 */
#ifndef VDRI_TEST_RUNNER_H
#define VDRI_TEST_RUNNER_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	int timeout_s;
};

#define TEST_TIMEOUT(tname, secs)                                                                  \
	static void tname(void);                                                                   \
	static const struct test_case test_case_##tname                                            \
	    __attribute__((used, section("vdri_tests"), aligned(8))) = {#tname, tname, secs};      \
	static void tname(void)
#define TEST(tname) TEST_TIMEOUT(tname, 30)

/*
 * CLIENT(name) { ... return status; } is a program run by a test in a child
 * process (typically under LD_PRELOAD): the test re-executes its own binary
 * with "--client name args...".  argc/argv are the args after the name.
 */
struct test_client {
	const char *name;
	int (*fn)(int argc, char **argv);
};
#define CLIENT(cname)                                                                              \
	static int cname(int argc, char **argv);                                                   \
	static const struct test_client test_client_##cname                                        \
	    __attribute__((used, section("vdri_clients"), aligned(8))) = {#cname, cname};          \
	static int cname(int argc, char **argv)

/* Fail the running test with a message (never returns). */
void test_fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
/* Skip the running test (never returns). */
void test_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Informational line in the test's output. */
void test_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ignore fds opened by the test but owned by something long-lived it started. */
void test_allow_fd_leak(void);

#define FAILF(...) test_fail_at(__FILE__, __LINE__, __VA_ARGS__)
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAILF("check failed: %s", #cond);                                          \
	} while (0)
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		if (_a != _b)                                                                      \
			FAILF("%s == %s: %lld != %lld", #a, #b, _a, _b);                           \
	} while (0)
#define CHECK_ERRNO(expr, err)                                                                     \
	do {                                                                                       \
		errno = 0;                                                                         \
		long long _r = (long long)(expr);                                                  \
		if (_r != -1 || errno != (err))                                                    \
			FAILF("%s: want -1/%s, got %lld/%s", #expr, strerror(err), _r,             \
			      strerror(errno));                                                    \
	} while (0)
#define CHECK_OK(expr)                                                                             \
	do {                                                                                       \
		errno = 0;                                                                         \
		long long _r = (long long)(expr);                                                  \
		if (_r < 0)                                                                        \
			FAILF("%s failed: %lld (%s)", #expr, _r, strerror(errno));                 \
	} while (0)
#define CHECK_STREQ(a, b)                                                                          \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (strcmp(_a, _b) != 0)                                                           \
			FAILF("%s == %s: \"%s\" != \"%s\"", #a, #b, _a, _b);                       \
	} while (0)

#endif
