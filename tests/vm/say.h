/* SPDX-License-Identifier: MIT */
/*
 * say.h - output of the driver-VM test programs (isotest, rawguest): one
 * line per step, flushed at once (the scripts read them while the program
 * runs); FAIL lines counted; errno values by name.
 */
#ifndef VDRI_TESTS_VM_SAY_H
#define VDRI_TESTS_VM_SAY_H

#include <stdio.h>
#include <string.h>

static int failures;

#define SAY(...) (printf(__VA_ARGS__), putchar('\n'), fflush(stdout))
#define FAIL(...) (failures++, printf("FAIL "), SAY(__VA_ARGS__))

static inline const char *ename(int e)
{
	static char buf[16];
	const char *n = strerrorname_np(e);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

#endif
