/* SPDX-License-Identifier: MIT */
/* bench_util.h - time and sorting helpers shared by the benchmark programs. */
#ifndef VDRI_BENCH_UTIL_H
#define VDRI_BENCH_UTIL_H

#include <time.h>

static inline double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* qsort comparator for doubles */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif
