/* SPDX-License-Identifier: MIT */
/*
 * test_cl_matmul.c - bench/cl_matmul on pocl, the CPU OpenCL implementation
 * (no GPU needed): it lists the device, multiplies small matrices correctly
 * and prints well-formed result lines; with no ICD at all it exits 2 with
 * "no OpenCL device".  OCL_ICD_VENDORS names pocl's .icd file alone, so
 * other installed ICDs (Mesa's) play no part; pocl compiles into a private
 * cache that is removed afterwards.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "runner.h"

#define POCL_ICD "/etc/OpenCL/vendors/pocl.icd"
#define OUT_MAX (64 * 1024)

static char tmpdir[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void tmp_remove(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

/*
 * A private temp dir: pocl's kernel cache, and leak suppressions for an
 * ASan-built cl_matmul (pocl and LLVM leak when they compile; cl_matmul's
 * own allocations stay checked).
 */
static void tmp_setup(void)
{
	char path[128];
	FILE *f;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vdri-clmm-XXXXXX");
	if (!mkdtemp(tmpdir))
		FAILF("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/lsan.supp", tmpdir);
	f = fopen(path, "w");
	if (!f)
		FAILF("%s: %s", path, strerror(errno));
	fputs("leak:libpocl\nleak:libLLVM\nleak:libOpenCL\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "suppressions=%s/lsan.supp:print_suppressions=0", tmpdir);
	setenv("LSAN_OPTIONS", path, 1);
	snprintf(path, sizeof(path), "%s/pocl-cache", tmpdir);
	setenv("POCL_CACHE_DIR", path, 1);
}

static const char *cl_matmul(void)
{
	static char exe[4200];

	snprintf(exe, sizeof(exe), "%s/bench/cl_matmul", h_build_dir());
	if (access(exe, X_OK))
		FAILF("%s: not built (make all)", exe);
	return exe;
}

static void need_pocl(void)
{
	if (access(POCL_ICD, R_OK))
		test_skip("%s missing (pocl-opencl-icd not installed)", POCL_ICD);
	setenv("OCL_ICD_VENDORS", POCL_ICD, 1);
}

/* Run cl_matmul with args in the private temp dir's setting; its status. */
static int run(const char *const *args, char *out)
{
	const char *argv[16] = {cl_matmul()};
	int n = 1, rc;

	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	tmp_setup();
	rc = h_run_program(NULL, NULL, argv, out, OUT_MAX, 100);
	tmp_remove();
	return rc;
}

/* "matmul KERNEL N median_ms best_ms gflops", nothing more; 0 or -1. */
static int parse_result(const char *line, const char *kernel, int n)
{
	char k[16];
	int size, end = 0;
	double med, best, gflops;

	if (sscanf(line, "matmul %15s %d %lf %lf %lf%n", k, &size, &med, &best, &gflops, &end) !=
		5 ||
	    line[end] != '\0')
		return -1;
	if (strcmp(k, kernel) || size != n || best < 0 || med < best || gflops < 0)
		return -1;
	/* gflops is 2N^3 over the median (both rounded when printed) */
	if (med >= 0.01 && gflops > 0) {
		double want = 2.0 * n * n * (double)n / (med * 1e6);

		if (gflops < want * 0.98 || gflops > want * 1.02)
			return -1;
	}
	return 0;
}

TEST_TIMEOUT(matmul_on_pocl, 120)
{
	static const char *const args[] = {"-s", "16,64", "-r", "2", NULL};
	static const struct {
		const char *kernel;
		int n;
	} want[] = {{"naive", 16}, {"tiled", 16}, {"naive", 64}, {"tiled", 64}};
	static char out[OUT_MAX];
	int rc, seen = 0, device = 0;
	char *save = NULL;

	need_pocl();
	rc = run(args, out);
	if (rc != 0)
		FAILF("cl_matmul -s 16,64 -r 2 exited %d:\n%s", rc, out);
	/* stdout and stderr are merged: other lines (notes) are let through */
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "device ", 7)) {
			CHECK(!device && !seen);
			CHECK(strstr(l, "device Portable Computing Language | ") == l);
			device = 1;
		} else if (!strncmp(l, "matmul ", 7)) {
			CHECK(seen < 4);
			if (parse_result(l, want[seen].kernel, want[seen].n))
				FAILF("result line %d malformed or wrong: \"%s\"", seen + 1, l);
			seen++;
		}
	}
	CHECK(device);
	CHECK_EQ(seen, 4);
}

TEST_TIMEOUT(list_pocl, 60)
{
	static const char *const args[] = {"-l", NULL};
	static char out[OUT_MAX];
	unsigned p, d;
	int end = 0;

	need_pocl();
	CHECK_EQ(run(args, out), 0);
	/* "P D platform | device | type | driver-version" */
	CHECK(sscanf(out, "%u %u Portable Computing Language | %*[^|]| CPU | %*[^\n]%n", &p, &d,
		     &end) == 2);
	CHECK(end > 0 && p == 0 && d == 0);
}

/* An empty vendors directory: the ICD loader finds no platform at all. */
TEST(no_icd_no_device)
{
	static const char *const args[] = {"-s", "16", NULL}, *const list[] = {"-l", NULL};
	static char out[OUT_MAX], first[OUT_MAX];
	char empty[128];
	int rc, rc_list;

	snprintf(empty, sizeof(empty), "/tmp/vdri-noicd-%d", getpid());
	CHECK_OK(mkdir(empty, 0700));
	setenv("OCL_ICD_VENDORS", empty, 1);
	rc = run(args, out);
	snprintf(first, sizeof(first), "%s", out);
	rc_list = run(list, out);
	rmdir(empty);
	if (rc != 2 || !strstr(first, "no OpenCL device: clGetPlatformIDs: -1001 "
				      "(CL_PLATFORM_NOT_FOUND_KHR)"))
		FAILF("want exit 2 and no OpenCL device, got %d:\n%s", rc, first);
	if (rc_list != 2 || !strstr(out, "no OpenCL device: "))
		FAILF("-l: want exit 2 and no OpenCL device, got %d:\n%s", rc_list, out);
}

TEST(bad_usage)
{
	static const char *const zero[] = {"-s", "0", NULL}, *const junk[] = {"-r", "2x", NULL};
	static char out[OUT_MAX];

	CHECK_EQ(run(zero, out), 64);
	CHECK(strstr(out, "usage: cl_matmul"));
	CHECK_EQ(run(junk, out), 64);
}
