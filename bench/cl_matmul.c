/* SPDX-License-Identifier: MIT */
/*
 * cl_matmul.c - single-precision matrix multiply through OpenCL, run
 * natively and under libvdri-front.so (bench/opencl-job-part.sh does both
 * in one boot).  Links the ICD loader (ocl-icd), so it runs on whatever
 * platform /etc/OpenCL/vendors (or $OCL_ICD_VENDORS) provides.
 *   cl_matmul [-p PLATFORM] [-d DEVICE] [-s N,N,...] [-r REPS] [-l]
 * -l lists every device, one per line ("-" for a platform without one):
 *   P D platform | device | type | driver-version
 * Otherwise, on the chosen device (default: the first platform that has
 * device -d, device 0), for each size N (default 64,128,256,512): a naive
 * kernel and a tiled one (TS x TS tiles of A and B in local memory) each
 * run once untimed (pocl, for one, compiles at the first launch), then
 * REPS times (default 5) on the same random NxN matrices.  The result is
 * checked against a CPU reference (double accumulation): the normwise
 * relative error max|C - R| / max|R| must stay below 1e-3.  Output:
 *   device PLATFORM | DEVICE
 *   matmul KERNEL N median_ms best_ms gflops      (gflops = 2N^3 / median)
 * Times come from event profiling (CL_PROFILING_COMMAND_START..END), or
 * from the wall clock around enqueue + clFinish where the device has none
 * or its times are not believable (a note on stderr says so).  TS is 16,
 * or less where the device's work-group or local-memory limits say so.
 * Exit: 0 ok; 1 wrong result or an OpenCL error (the call and the error's
 * name on stderr); 2 no platform or device ("no OpenCL device: REASON" on
 * stdout, e.g. "clGetPlatformIDs: -1001 (CL_PLATFORM_NOT_FOUND_KHR)" when
 * the ICD loader finds no ICD); 64 bad usage.
 */
#define CL_TARGET_OPENCL_VERSION 120

#if defined(__has_include) && !defined(__CPPCHECK__) /* cppcheck cannot evaluate it */
#if !__has_include(<CL/cl.h>)
#error "bench/cl_matmul.c needs the OpenCL headers and loader: apt-get install ocl-icd-opencl-dev"
#endif
#endif
#include <CL/cl.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_util.h"

#define MAX_SIZES 32
#define MAX_N 4096 /* the CPU reference is O(N^3) */
#define MAX_REPS 10000
#define MAX_TS 16
#define TOLERANCE 1e-3
#define EXIT_NODEV 2
#define EXIT_USAGE 64

/* Numbers, not the macros: names beyond CL 1.2 are not in every header. */
static const struct {
	cl_int code;
	const char *name;
} cl_errors[] = {
    {0, "CL_SUCCESS"},
    {-1, "CL_DEVICE_NOT_FOUND"},
    {-2, "CL_DEVICE_NOT_AVAILABLE"},
    {-3, "CL_COMPILER_NOT_AVAILABLE"},
    {-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE"},
    {-5, "CL_OUT_OF_RESOURCES"},
    {-6, "CL_OUT_OF_HOST_MEMORY"},
    {-7, "CL_PROFILING_INFO_NOT_AVAILABLE"},
    {-8, "CL_MEM_COPY_OVERLAP"},
    {-9, "CL_IMAGE_FORMAT_MISMATCH"},
    {-10, "CL_IMAGE_FORMAT_NOT_SUPPORTED"},
    {-11, "CL_BUILD_PROGRAM_FAILURE"},
    {-12, "CL_MAP_FAILURE"},
    {-13, "CL_MISALIGNED_SUB_BUFFER_OFFSET"},
    {-14, "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST"},
    {-15, "CL_COMPILE_PROGRAM_FAILURE"},
    {-16, "CL_LINKER_NOT_AVAILABLE"},
    {-17, "CL_LINK_PROGRAM_FAILURE"},
    {-18, "CL_DEVICE_PARTITION_FAILED"},
    {-19, "CL_KERNEL_ARG_INFO_NOT_AVAILABLE"},
    {-30, "CL_INVALID_VALUE"},
    {-31, "CL_INVALID_DEVICE_TYPE"},
    {-32, "CL_INVALID_PLATFORM"},
    {-33, "CL_INVALID_DEVICE"},
    {-34, "CL_INVALID_CONTEXT"},
    {-35, "CL_INVALID_QUEUE_PROPERTIES"},
    {-36, "CL_INVALID_COMMAND_QUEUE"},
    {-37, "CL_INVALID_HOST_PTR"},
    {-38, "CL_INVALID_MEM_OBJECT"},
    {-39, "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR"},
    {-40, "CL_INVALID_IMAGE_SIZE"},
    {-41, "CL_INVALID_SAMPLER"},
    {-42, "CL_INVALID_BINARY"},
    {-43, "CL_INVALID_BUILD_OPTIONS"},
    {-44, "CL_INVALID_PROGRAM"},
    {-45, "CL_INVALID_PROGRAM_EXECUTABLE"},
    {-46, "CL_INVALID_KERNEL_NAME"},
    {-47, "CL_INVALID_KERNEL_DEFINITION"},
    {-48, "CL_INVALID_KERNEL"},
    {-49, "CL_INVALID_ARG_INDEX"},
    {-50, "CL_INVALID_ARG_VALUE"},
    {-51, "CL_INVALID_ARG_SIZE"},
    {-52, "CL_INVALID_KERNEL_ARGS"},
    {-53, "CL_INVALID_WORK_DIMENSION"},
    {-54, "CL_INVALID_WORK_GROUP_SIZE"},
    {-55, "CL_INVALID_WORK_ITEM_SIZE"},
    {-56, "CL_INVALID_GLOBAL_OFFSET"},
    {-57, "CL_INVALID_EVENT_WAIT_LIST"},
    {-58, "CL_INVALID_EVENT"},
    {-59, "CL_INVALID_OPERATION"},
    {-60, "CL_INVALID_GL_OBJECT"},
    {-61, "CL_INVALID_BUFFER_SIZE"},
    {-62, "CL_INVALID_MIP_LEVEL"},
    {-63, "CL_INVALID_GLOBAL_WORK_SIZE"},
    {-64, "CL_INVALID_PROPERTY"},
    {-65, "CL_INVALID_IMAGE_DESCRIPTOR"},
    {-66, "CL_INVALID_COMPILER_OPTIONS"},
    {-67, "CL_INVALID_LINKER_OPTIONS"},
    {-68, "CL_INVALID_DEVICE_PARTITION_COUNT"},
    {-69, "CL_INVALID_PIPE_SIZE"},
    {-70, "CL_INVALID_DEVICE_QUEUE"},
    {-71, "CL_INVALID_SPEC_ID"},
    {-72, "CL_MAX_SIZE_RESTRICTION_EXCEEDED"},
    {-1000, "CL_INVALID_GL_SHAREGROUP_REFERENCE_KHR"},
    {-1001, "CL_PLATFORM_NOT_FOUND_KHR"},
    {-1002, "CL_INVALID_D3D10_DEVICE_KHR"},
    {-1003, "CL_INVALID_D3D10_RESOURCE_KHR"},
    {-1004, "CL_D3D10_RESOURCE_ALREADY_ACQUIRED_KHR"},
    {-1005, "CL_D3D10_RESOURCE_NOT_ACQUIRED_KHR"},
    {-1006, "CL_INVALID_D3D11_DEVICE_KHR"},
    {-1007, "CL_INVALID_D3D11_RESOURCE_KHR"},
    {-1008, "CL_D3D11_RESOURCE_ALREADY_ACQUIRED_KHR"},
    {-1009, "CL_D3D11_RESOURCE_NOT_ACQUIRED_KHR"},
    {-1010, "CL_INVALID_DX9_MEDIA_ADAPTER_KHR"},
    {-1011, "CL_INVALID_DX9_MEDIA_SURFACE_KHR"},
    {-1012, "CL_DX9_MEDIA_SURFACE_ALREADY_ACQUIRED_KHR"},
    {-1013, "CL_DX9_MEDIA_SURFACE_NOT_ACQUIRED_KHR"},
    {-1057, "CL_DEVICE_PARTITION_FAILED_EXT"},
    {-1058, "CL_INVALID_PARTITION_COUNT_EXT"},
    {-1059, "CL_INVALID_PARTITION_NAME_EXT"},
    {-1092, "CL_EGL_RESOURCE_NOT_ACQUIRED_KHR"},
    {-1093, "CL_INVALID_EGL_OBJECT_KHR"},
    {-1094, "CL_INVALID_ACCELERATOR_INTEL"},
    {-1095, "CL_INVALID_ACCELERATOR_TYPE_INTEL"},
    {-1096, "CL_INVALID_ACCELERATOR_DESCRIPTOR_INTEL"},
    {-1097, "CL_ACCELERATOR_TYPE_NOT_SUPPORTED_INTEL"},
    {-1098, "CL_INVALID_VA_API_MEDIA_ADAPTER_INTEL"},
    {-1099, "CL_INVALID_VA_API_MEDIA_SURFACE_INTEL"},
    {-1121, "CL_CONTEXT_TERMINATED_KHR"},
    {-1138, "CL_INVALID_COMMAND_BUFFER_KHR"},
    {-1139, "CL_INVALID_SYNC_POINT_WAIT_LIST_KHR"},
    {-1140, "CL_INCOMPATIBLE_COMMAND_QUEUE_KHR"},
    {-1141, "CL_INVALID_MUTABLE_COMMAND_KHR"},
    {-1142, "CL_INVALID_SEMAPHORE_KHR"},
};

static const char kernel_src[] =
    "__kernel void matmul_naive(const int n, __global const float *a,\n"
    "			   __global const float *b, __global float *c)\n"
    "{\n"
    "	int col = get_global_id(0), row = get_global_id(1);\n"
    "	float acc = 0.0f;\n"
    "\n"
    "	if (row >= n || col >= n)\n"
    "		return;\n"
    "	for (int k = 0; k < n; k++)\n"
    "		acc += a[row * n + k] * b[k * n + col];\n"
    "	c[row * n + col] = acc;\n"
    "}\n"
    "\n"
    "/* The global size is n rounded up to TS: edge tiles load zeros. */\n"
    "__kernel void matmul_tiled(const int n, __global const float *a,\n"
    "			   __global const float *b, __global float *c)\n"
    "{\n"
    "	__local float ta[TS][TS], tb[TS][TS];\n"
    "	int lx = get_local_id(0), ly = get_local_id(1);\n"
    "	int col = get_group_id(0) * TS + lx, row = get_group_id(1) * TS + ly;\n"
    "	float acc = 0.0f;\n"
    "\n"
    "	for (int t = 0; t < n; t += TS) {\n"
    "		ta[ly][lx] = row < n && t + lx < n ? a[row * n + t + lx] : 0.0f;\n"
    "		tb[ly][lx] = col < n && t + ly < n ? b[(t + ly) * n + col] : 0.0f;\n"
    "		barrier(CLK_LOCAL_MEM_FENCE);\n"
    "		for (int k = 0; k < TS; k++)\n"
    "			acc += ta[ly][k] * tb[k][lx];\n"
    "		barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	}\n"
    "	if (row < n && col < n)\n"
    "		c[row * n + col] = acc;\n"
    "}\n";

enum kern { K_NAIVE, K_TILED, K_COUNT };
static const char *const kern_names[K_COUNT] = {"naive", "tiled"};
static const char *const kern_funcs[K_COUNT] = {"matmul_naive", "matmul_tiled"};

struct opts {
	int plat, dev; /* -1: not given */
	int sizes[MAX_SIZES], nsizes;
	int reps, list;
};

/* One device's context, queue and built kernels. */
struct run {
	cl_device_id dev;
	cl_context ctx;
	cl_command_queue q;
	cl_program prog;
	cl_kernel k[K_COUNT];
	size_t ts;     /* tile edge the program was built with */
	int profiling; /* the queue records believable event times */
	int warned;    /* said once that it times with the wall clock */
};

/* Host matrices and their device copies for one size. */
struct mats {
	int n;
	size_t bytes;
	float *a, *b, *c, *nan;
	double *ref;
	cl_mem da, db, dc;
};

static const char *cl_err_name(cl_int e)
{
	for (size_t i = 0; i < sizeof(cl_errors) / sizeof(cl_errors[0]); i++)
		if (cl_errors[i].code == e)
			return cl_errors[i].name;
	return "unknown OpenCL error";
}

/* Nonzero (after saying which call failed and why) when e is an error. */
static int cl_fail(cl_int e, const char *call)
{
	if (e == CL_SUCCESS)
		return 0;
	fprintf(stderr, "cl_matmul: %s: %d (%s)\n", call, e, cl_err_name(e));
	return 1;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* An info string (malloc'd, trailing blanks cut), or NULL after the error. */
static char *plat_str(cl_platform_id p, cl_platform_info what, const char *call)
{
	size_t n = 0;
	char *s;

	if (cl_fail(clGetPlatformInfo(p, what, 0, NULL, &n), call))
		return NULL;
	s = calloc(1, n + 1);
	if (!s || cl_fail(clGetPlatformInfo(p, what, n, s, NULL), call)) {
		free(s);
		return NULL;
	}
	rtrim(s);
	return s;
}

static char *dev_str(cl_device_id d, cl_device_info what, const char *call)
{
	size_t n = 0;
	char *s;

	if (cl_fail(clGetDeviceInfo(d, what, 0, NULL, &n), call))
		return NULL;
	s = calloc(1, n + 1);
	if (!s || cl_fail(clGetDeviceInfo(d, what, n, s, NULL), call)) {
		free(s);
		return NULL;
	}
	rtrim(s);
	return s;
}

static const char *type_str(cl_device_type t, char *buf, size_t len)
{
	static const struct {
		cl_device_type bit;
		const char *name;
	} types[] = {{CL_DEVICE_TYPE_CPU, "CPU"},
		     {CL_DEVICE_TYPE_GPU, "GPU"},
		     {CL_DEVICE_TYPE_ACCELERATOR, "ACCELERATOR"},
		     {CL_DEVICE_TYPE_CUSTOM, "CUSTOM"},
		     {CL_DEVICE_TYPE_DEFAULT, "DEFAULT"}};
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((t & types[i].bit) && pos < len)
			pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", pos ? "+" : "",
						types[i].name);
	return buf[0] ? buf : "UNKNOWN";
}

/*
 * The platforms (malloc'd array), or EXIT_NODEV with the reason in why.
 * ocl-icd answers CL_PLATFORM_NOT_FOUND_KHR when it finds no ICD at all.
 */
static int get_platforms(cl_platform_id **out, cl_uint *n, char *why, size_t len)
{
	cl_int e = clGetPlatformIDs(0, NULL, n);

	*out = NULL;
	if (e == CL_SUCCESS && *n == 0)
		return snprintf(why, len, "clGetPlatformIDs: no platform"), EXIT_NODEV;
	if (e != CL_SUCCESS)
		return snprintf(why, len, "clGetPlatformIDs: %d (%s)", e, cl_err_name(e)),
		       EXIT_NODEV;
	*out = calloc(*n, sizeof(**out));
	if (!*out)
		return fprintf(stderr, "cl_matmul: out of memory\n"), 1;
	e = clGetPlatformIDs(*n, *out, n);
	if (e != CL_SUCCESS) {
		snprintf(why, len, "clGetPlatformIDs: %d (%s)", e, cl_err_name(e));
		free(*out);
		*out = NULL;
		return EXIT_NODEV;
	}
	return 0;
}

/* A platform's devices (malloc'd, NULL when none); a failure counts as none. */
static cl_device_id *get_devices(cl_platform_id p, cl_uint *n)
{
	cl_device_id *d;
	cl_int e = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, NULL, n);

	if (e == CL_DEVICE_NOT_FOUND || (e == CL_SUCCESS && *n == 0)) {
		*n = 0;
		return NULL;
	}
	if (cl_fail(e, "clGetDeviceIDs")) {
		*n = 0;
		return NULL;
	}
	d = calloc(*n, sizeof(*d));
	if (!d || cl_fail(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, *n, d, n), "clGetDeviceIDs")) {
		free(d);
		*n = 0;
		return NULL;
	}
	return d;
}

static void list_device(cl_uint pi, cl_uint di, const char *pname, cl_device_id d)
{
	char *name = dev_str(d, CL_DEVICE_NAME, "clGetDeviceInfo(CL_DEVICE_NAME)");
	char *drv = dev_str(d, CL_DRIVER_VERSION, "clGetDeviceInfo(CL_DRIVER_VERSION)");
	cl_device_type t = 0;
	char tb[64];

	cl_fail(clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof(t), &t, NULL),
		"clGetDeviceInfo(CL_DEVICE_TYPE)");
	printf("%u %u %s | %s | %s | %s\n", pi, di, pname, name ? name : "?",
	       type_str(t, tb, sizeof(tb)), drv ? drv : "?");
	free(name);
	free(drv);
}

/* -l: every platform's devices; EXIT_NODEV (why) when there is none at all. */
static int list_all(const cl_platform_id *plats, cl_uint np, char *why, size_t len)
{
	cl_uint total = 0;

	for (cl_uint p = 0; p < np; p++) {
		char *pname =
		    plat_str(plats[p], CL_PLATFORM_NAME, "clGetPlatformInfo(CL_PLATFORM_NAME)");
		cl_uint nd;
		cl_device_id *devs = get_devices(plats[p], &nd);

		if (!nd)
			printf("%u - %s | - | - | -\n", p, pname ? pname : "?");
		for (cl_uint d = 0; d < nd; d++)
			list_device(p, d, pname ? pname : "?", devs[d]);
		total += nd;
		free(devs);
		free(pname);
	}
	if (!total)
		return snprintf(why, len, "%u platform%s, none with a device", np,
				np == 1 ? "" : "s"),
		       EXIT_NODEV;
	return 0;
}

/*
 * The device asked for: platform o->plat (default: the first with a device
 * numbered o->dev), device o->dev (default 0).  EXIT_NODEV with why.
 */
static int pick_device(const cl_platform_id *plats, cl_uint np, const struct opts *o, cl_uint *pi,
		       cl_device_id *out, char *why, size_t len)
{
	cl_uint di = o->dev < 0 ? 0 : (cl_uint)o->dev;

	if (o->plat >= 0 && (cl_uint)o->plat >= np)
		return snprintf(why, len, "platform %d asked for, %u found", o->plat, np),
		       EXIT_NODEV;
	for (cl_uint p = o->plat < 0 ? 0 : (cl_uint)o->plat; p < np; p++) {
		cl_uint nd;
		cl_device_id *devs = get_devices(plats[p], &nd);

		if (di < nd) {
			*pi = p;
			*out = devs[di];
			free(devs);
			return 0;
		}
		free(devs);
		if (o->plat >= 0)
			return snprintf(why, len,
					"platform %d has %u device%s, device %u asked for", o->plat,
					nd, nd == 1 ? "" : "s", di),
			       EXIT_NODEV;
	}
	return snprintf(why, len, "%u platform%s, none with device %u", np, np == 1 ? "" : "s", di),
	       EXIT_NODEV;
}

/* The largest tile edge (a power of two up to MAX_TS) the device allows; 0 on error. */
static size_t tile_for(cl_device_id d)
{
	size_t wg = 1, items[16] = {1, 1, 1}; /* 3 dimensions in practice */
	cl_ulong local = 0;
	size_t ts = MAX_TS;

	if (cl_fail(clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof(wg), &wg, NULL),
		    "clGetDeviceInfo(CL_DEVICE_MAX_WORK_GROUP_SIZE)") ||
	    cl_fail(clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof(items), items, NULL),
		    "clGetDeviceInfo(CL_DEVICE_MAX_WORK_ITEM_SIZES)") ||
	    cl_fail(clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof(local), &local, NULL),
		    "clGetDeviceInfo(CL_DEVICE_LOCAL_MEM_SIZE)"))
		return 0;
	while (ts > 1 && (ts * ts > wg || ts > items[0] || ts > items[1] ||
			  2 * ts * ts * sizeof(float) > local))
		ts /= 2;
	return ts;
}

static void print_build_log(const struct run *r)
{
	size_t n = 0;
	char *log;

	if (clGetProgramBuildInfo(r->prog, r->dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &n) ||
	    !(log = calloc(1, n + 1)))
		return;
	if (!clGetProgramBuildInfo(r->prog, r->dev, CL_PROGRAM_BUILD_LOG, n, log, NULL))
		fprintf(stderr, "cl_matmul: build log:\n%s\n", log);
	free(log);
}

static void release_program(struct run *r)
{
	for (int k = 0; k < K_COUNT; k++) {
		if (r->k[k])
			clReleaseKernel(r->k[k]);
		r->k[k] = NULL;
	}
	if (r->prog)
		clReleaseProgram(r->prog);
	r->prog = NULL;
}

/* Build both kernels with tile edge ts; 0, or 1 after the error. */
static int build_program(struct run *r, size_t ts)
{
	const char *src = kernel_src;
	char opts[32];
	cl_int e;

	snprintf(opts, sizeof(opts), "-DTS=%zu", ts);
	r->ts = ts;
	r->prog = clCreateProgramWithSource(r->ctx, 1, &src, NULL, &e);
	if (cl_fail(e, "clCreateProgramWithSource"))
		return 1;
	e = clBuildProgram(r->prog, 1, &r->dev, opts, NULL, NULL);
	if (e == CL_BUILD_PROGRAM_FAILURE)
		print_build_log(r);
	if (cl_fail(e, "clBuildProgram"))
		return 1;
	for (int k = 0; k < K_COUNT; k++) {
		r->k[k] = clCreateKernel(r->prog, kern_funcs[k], &e);
		if (cl_fail(e, "clCreateKernel"))
			return 1;
	}
	return 0;
}

/* Build with the largest tile the tiled kernel can really be launched with. */
static int build_kernels(struct run *r)
{
	size_t ts = tile_for(r->dev), wg = 0;

	if (!ts)
		return 1;
	for (;;) {
		if (build_program(r, ts))
			return 1;
		if (cl_fail(clGetKernelWorkGroupInfo(r->k[K_TILED], r->dev,
						     CL_KERNEL_WORK_GROUP_SIZE, sizeof(wg), &wg,
						     NULL),
			    "clGetKernelWorkGroupInfo(CL_KERNEL_WORK_GROUP_SIZE)"))
			return 1;
		if (ts * ts <= wg || ts == 1)
			return 0;
		release_program(r);
		ts /= 2;
	}
}

static int run_init(struct run *r, cl_platform_id p, cl_device_id d)
{
	cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
	cl_command_queue_properties qp = 0;
	cl_int e;

	*r = (struct run){.dev = d};
	r->ctx = clCreateContext(props, 1, &d, NULL, NULL, &e);
	if (cl_fail(e, "clCreateContext"))
		return 1;
	if (cl_fail(clGetDeviceInfo(d, CL_DEVICE_QUEUE_PROPERTIES, sizeof(qp), &qp, NULL),
		    "clGetDeviceInfo(CL_DEVICE_QUEUE_PROPERTIES)"))
		return 1;
	r->profiling = !!(qp & CL_QUEUE_PROFILING_ENABLE);
	r->q = clCreateCommandQueue(r->ctx, d, r->profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &e);
	if (e == CL_INVALID_QUEUE_PROPERTIES && r->profiling) {
		r->profiling = 0;
		r->q = clCreateCommandQueue(r->ctx, d, 0, &e);
	}
	if (cl_fail(e, "clCreateCommandQueue"))
		return 1;
	return build_kernels(r);
}

/* Safe on a partly initialised run. */
static void run_fini(struct run *r)
{
	release_program(r);
	if (r->q)
		clReleaseCommandQueue(r->q);
	if (r->ctx)
		clReleaseContext(r->ctx);
	r->q = NULL;
	r->ctx = NULL;
}

static float rnd(uint32_t *s)
{
	/* xorshift32: the same matrices on every device and every run */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return (float)(*s >> 8) / (float)(1u << 23) - 1.0f;
}

/* R = A B in double, i-k-j order so the inner loop walks rows. */
static void cpu_matmul(struct mats *m)
{
	size_t n = (size_t)m->n;

	memset(m->ref, 0, n * n * sizeof(double));
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < n; k++) {
			double aik = m->a[i * n + k];
			const float *brow = m->b + k * n;
			double *row = m->ref + i * n;

			for (size_t j = 0; j < n; j++)
				row[j] += aik * brow[j];
		}
}

static void mats_fini(struct mats *m)
{
	if (m->da)
		clReleaseMemObject(m->da);
	if (m->db)
		clReleaseMemObject(m->db);
	if (m->dc)
		clReleaseMemObject(m->dc);
	free(m->a);
	free(m->b);
	free(m->c);
	free(m->nan);
	free(m->ref);
	*m = (struct mats){0};
}

static int mats_init(struct mats *m, const struct run *r, int n)
{
	size_t cnt = (size_t)n * (size_t)n; /* n <= MAX_N: no overflow */
	uint32_t seed = 0x9e3779b9u ^ (uint32_t)n;
	cl_int e;

	*m = (struct mats){.n = n, .bytes = cnt * sizeof(float)};
	m->a = malloc(m->bytes);
	m->b = malloc(m->bytes);
	m->c = malloc(m->bytes);
	m->nan = malloc(m->bytes);
	m->ref = malloc(cnt * sizeof(double));
	if (!m->a || !m->b || !m->c || !m->nan || !m->ref)
		return fprintf(stderr, "cl_matmul: out of memory for N=%d\n", n), 1;
	for (size_t i = 0; i < cnt; i++) {
		m->a[i] = rnd(&seed);
		m->b[i] = rnd(&seed);
		m->nan[i] = NAN;
	}
	cpu_matmul(m);
	m->da = clCreateBuffer(r->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, m->bytes, m->a, &e);
	if (cl_fail(e, "clCreateBuffer(A)"))
		return 1;
	m->db = clCreateBuffer(r->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, m->bytes, m->b, &e);
	if (cl_fail(e, "clCreateBuffer(B)"))
		return 1;
	m->dc = clCreateBuffer(r->ctx, CL_MEM_WRITE_ONLY, m->bytes, NULL, &e);
	return cl_fail(e, "clCreateBuffer(C)");
}

static int set_args(cl_kernel k, const struct mats *m)
{
	cl_int n = m->n;

	return cl_fail(clSetKernelArg(k, 0, sizeof(n), &n), "clSetKernelArg(n)") ||
	       cl_fail(clSetKernelArg(k, 1, sizeof(cl_mem), &m->da), "clSetKernelArg(a)") ||
	       cl_fail(clSetKernelArg(k, 2, sizeof(cl_mem), &m->db), "clSetKernelArg(b)") ||
	       cl_fail(clSetKernelArg(k, 3, sizeof(cl_mem), &m->dc), "clSetKernelArg(c)");
}

/*
 * The kernel's own time from its event, or -1.  A time outside [100 ns,
 * the wall clock around it + 10%] is not believed: rusticl in Mesa 22.3
 * answers START 2, END 3.
 */
static double event_ms(cl_event ev, double wall_ms)
{
	cl_ulong t0 = 0, t1 = 0;
	double ms;

	if (clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof(t0), &t0, NULL) ||
	    clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof(t1), &t1, NULL) || t1 < t0)
		return -1;
	ms = (double)(t1 - t0) / 1e6;
	return ms >= 1e-4 && ms <= wall_ms * 1.1 ? ms : -1;
}

/* One launch, waited for; *ms its time (ms NULL: an untimed warm-up). */
static int launch(struct run *r, enum kern k, int n, double *ms)
{
	size_t g[2], l[2] = {r->ts, r->ts};
	cl_event ev = NULL;
	double w0 = now_us(), wall, evt;
	cl_int e;

	g[0] = g[1] = k == K_TILED ? ((size_t)n + r->ts - 1) / r->ts * r->ts : (size_t)n;
	e = clEnqueueNDRangeKernel(r->q, r->k[k], 2, NULL, g, k == K_TILED ? l : NULL, 0, NULL,
				   &ev);
	if (cl_fail(e, "clEnqueueNDRangeKernel"))
		return 1;
	e = clFinish(r->q);
	wall = (now_us() - w0) / 1e3;
	if (cl_fail(e, "clFinish") || !ms)
		goto out;
	evt = r->profiling ? event_ms(ev, wall) : -1;
	*ms = evt >= 0 ? evt : wall;
	if (evt < 0 && !r->warned++)
		fprintf(stderr, "cl_matmul: %s: timing with the wall clock around clFinish\n",
			r->profiling ? "event profiling times not plausible"
				     : "no event profiling");
	/* once found wrong, not mixed with wall-clock times again */
	r->profiling = evt >= 0;
out:
	clReleaseEvent(ev);
	return e != CL_SUCCESS;
}

/* Normwise relative error of the device's C; NaN (never written) fails. */
static double rel_error(const struct mats *m)
{
	size_t cnt = (size_t)m->n * (size_t)m->n;
	double maxdiff = 0, maxref = 0;

	for (size_t i = 0; i < cnt; i++) {
		double d = fabs((double)m->c[i] - m->ref[i]);

		if (!(d <= maxdiff))
			maxdiff = d;
		if (fabs(m->ref[i]) > maxref)
			maxref = fabs(m->ref[i]);
	}
	return maxref > 0 ? maxdiff / maxref : maxdiff;
}

static int bench_kernel(struct run *r, enum kern k, struct mats *m, int reps)
{
	double *t = calloc((size_t)reps, sizeof(double)), err, med, gflops;
	int rc = 1;

	if (!t)
		return fprintf(stderr, "cl_matmul: out of memory\n"), 1;
	/* C starts as NaN so a kernel that writes nothing cannot pass */
	if (cl_fail(clEnqueueWriteBuffer(r->q, m->dc, CL_TRUE, 0, m->bytes, m->nan, 0, NULL, NULL),
		    "clEnqueueWriteBuffer(C)") ||
	    set_args(r->k[k], m) || launch(r, k, m->n, NULL))
		goto out;
	for (int i = 0; i < reps; i++)
		if (launch(r, k, m->n, &t[i]))
			goto out;
	if (cl_fail(clEnqueueReadBuffer(r->q, m->dc, CL_TRUE, 0, m->bytes, m->c, 0, NULL, NULL),
		    "clEnqueueReadBuffer(C)"))
		goto out;
	err = rel_error(m);
	if (!(err < TOLERANCE)) {
		fprintf(stderr, "cl_matmul: matmul %s %d: max relative error %g (limit %g)\n",
			kern_names[k], m->n, err, TOLERANCE);
		goto out;
	}
	qsort(t, (size_t)reps, sizeof(double), cmp_double);
	med = reps % 2 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
	gflops = med > 0 ? 2.0 * m->n * m->n * (double)m->n / (med * 1e6) : 0;
	printf("matmul %s %d %.4f %.4f %.3f\n", kern_names[k], m->n, med, t[0], gflops);
	fflush(stdout);
	rc = 0;
out:
	free(t);
	return rc;
}

static int bench_size(struct run *r, int n, int reps)
{
	struct mats m;
	int rc = mats_init(&m, r, n);

	for (int k = 0; k < K_COUNT && !rc; k++)
		rc = bench_kernel(r, (enum kern)k, &m, reps);
	mats_fini(&m);
	return rc;
}

static int bench_device(cl_platform_id p, cl_device_id d, const struct opts *o)
{
	char *pname = plat_str(p, CL_PLATFORM_NAME, "clGetPlatformInfo(CL_PLATFORM_NAME)");
	char *dname = dev_str(d, CL_DEVICE_NAME, "clGetDeviceInfo(CL_DEVICE_NAME)");
	struct run r;
	int rc = 1;

	if (!pname || !dname)
		goto out;
	printf("device %s | %s\n", pname, dname);
	fflush(stdout);
	rc = run_init(&r, p, d);
	for (int i = 0; i < o->nsizes && !rc; i++)
		rc = bench_size(&r, o->sizes[i], o->reps);
	run_fini(&r);
out:
	free(pname);
	free(dname);
	return rc;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: cl_matmul [-p PLATFORM] [-d DEVICE] [-s N,N,...] [-r REPS] [-l]\n"
		"  sizes 1..%d (default 64,128,256,512), reps 1..%d (default 5)\n",
		MAX_N, MAX_REPS);
	return EXIT_USAGE;
}

/* A whole decimal number in [lo, hi], or -1. */
static long num(const char *s, long lo, long hi, char **end)
{
	long v;

	errno = 0;
	v = strtol(s, end, 10);
	if (errno || *end == s || v < lo || v > hi)
		return -1;
	return v;
}

static int parse_sizes(struct opts *o, const char *s)
{
	char *end;

	o->nsizes = 0;
	for (;;) {
		long v = num(s, 1, MAX_N, &end);

		if (v < 0 || o->nsizes == MAX_SIZES || (*end && *end != ','))
			return -1;
		o->sizes[o->nsizes++] = (int)v;
		if (!*end)
			return 0;
		s = end + 1;
	}
}

static int parse_opts(struct opts *o, int argc, char **argv)
{
	static const int defsizes[] = {64, 128, 256, 512};
	char *end;
	int c;

	*o = (struct opts){.plat = -1, .dev = -1, .reps = 5, .nsizes = 4};
	memcpy(o->sizes, defsizes, sizeof(defsizes));
	while ((c = getopt(argc, argv, "p:d:s:r:l")) != -1) {
		long v = 0;

		if (c == 'p' || c == 'd' || c == 'r')
			v = num(optarg, c == 'r' ? 1 : 0, c == 'r' ? MAX_REPS : 1 << 20, &end);
		if (v < 0 || ((c == 'p' || c == 'd' || c == 'r') && *end))
			return -1;
		switch (c) {
		case 'p':
			o->plat = (int)v;
			break;
		case 'd':
			o->dev = (int)v;
			break;
		case 'r':
			o->reps = (int)v;
			break;
		case 's':
			if (parse_sizes(o, optarg))
				return -1;
			break;
		case 'l':
			o->list = 1;
			break;
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	cl_platform_id *plats = NULL;
	cl_device_id dev;
	cl_uint np = 0, pi = 0;
	char why[256];
	struct opts o;
	int rc;

	if (parse_opts(&o, argc, argv))
		return usage();
	rc = get_platforms(&plats, &np, why, sizeof(why));
	if (rc == 0 && o.list)
		rc = list_all(plats, np, why, sizeof(why));
	else if (rc == 0) {
		rc = pick_device(plats, np, &o, &pi, &dev, why, sizeof(why));
		if (rc == 0)
			rc = bench_device(plats[pi], dev, &o);
	}
	if (rc == EXIT_NODEV)
		printf("no OpenCL device: %s\n", why);
	free(plats);
	return rc;
}
