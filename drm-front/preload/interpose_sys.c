/* SPDX-License-Identifier: MIT */
/*
 * interpose_sys.c - the path functions that device discovery uses and that
 * interpose.c does not cover: each maps its path into the sysfs mirror
 * (sysview.c) and calls the next definition.  glibc's fopen, opendir and
 * realpath open and resolve through internal calls, not through the
 * interposed open/stat, hence these.  Without an installed view every one
 * of them is the libc function unchanged.
 *
 * libdrm 2.4.114 as Debian builds it (_FORTIFY_SOURCE) imports fopen64,
 * opendir, readlink, realpath and __realpath_chk; Mesa reads sysfs through
 * open (os_read_file).  Results that name a path inside the mirror
 * (realpath, an absolute link target) are turned back into /sys paths.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drm-front/preload/front.h"
#include "drm-front/preload/sysview.h"

/* glibc declares these only under _FORTIFY_SOURCE. */
char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);
ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len, size_t buflen);

/* The next definitions, resolved once with dlsym(RTLD_NEXT). */
static struct {
	DIR *(*opendir)(const char *);
	FILE *(*fopen)(const char *, const char *);
	ssize_t (*readlink)(const char *, char *, size_t);
	ssize_t (*readlinkat)(int, const char *, char *, size_t);
	char *(*realpath)(const char *, char *);
	char *(*realpath_chk)(const char *, char *, size_t);
	ssize_t (*readlink_chk)(const char *, char *, size_t, size_t);
	ssize_t (*readlinkat_chk)(int, const char *, char *, size_t, size_t);
} sreal;
static pthread_once_t sreal_once = PTHREAD_ONCE_INIT;

static void resolve_sys(void)
{
#define R(field, name) sreal.field = (__typeof__(sreal.field))dlsym(RTLD_NEXT, name)
	R(opendir, "opendir");
	R(fopen, "fopen");
	R(readlink, "readlink");
	R(readlinkat, "readlinkat");
	R(realpath, "realpath");
	R(realpath_chk, "__realpath_chk");
	R(readlink_chk, "__readlink_chk");
	R(readlinkat_chk, "__readlinkat_chk");
#undef R
}

#define SREAL(name) (pthread_once(&sreal_once, resolve_sys), sreal.name)

/* ---- opendir, fopen ----------------------------------------------------------------- */

FRONT_EXPORT DIR *opendir(const char *path)
{
	char buf[PATH_MAX];

	return SREAL(opendir)(sysview_map(path, buf, sizeof(buf)));
}

/* The mirror is read-only, as the device attributes are to an unprivileged
 * guest; root would otherwise write into the copy without effect. */
static int writes(const char *mode)
{
	return mode && strpbrk(mode, "wa+") != NULL;
}

FRONT_EXPORT FILE *fopen(const char *path, const char *mode)
{
	char buf[PATH_MAX];
	const char *p = sysview_map(path, buf, sizeof(buf));

	if (p != path && writes(mode)) {
		errno = EACCES;
		return NULL;
	}
	return SREAL(fopen)(p, mode);
}

/* On LP64, fopen64 is fopen. */
FRONT_EXPORT FILE *fopen64(const char *path, const char *mode) __attribute__((alias("fopen")));

/* ---- readlink ----------------------------------------------------------------------- */

/* readlink of a mapped path: the target, with the root taken off an
 * absolute one, cut to n bytes as readlink(2) does. */
static ssize_t readlink_mapped(int dirfd, const char *mapped, char *buf, size_t n)
{
	char t[PATH_MAX];
	ssize_t r = SREAL(readlinkat)(dirfd, mapped, t, sizeof(t) - 1);
	size_t len;

	if (r < 0)
		return r;
	t[r] = '\0';
	len = strlen(sysview_unmap(t));
	if (len > n)
		len = n;
	memcpy(buf, t, len);
	return (ssize_t)len;
}

FRONT_EXPORT ssize_t readlink(const char *path, char *buf, size_t n)
{
	char m[PATH_MAX];
	const char *p = sysview_map(path, m, sizeof(m));

	if (p == path)
		return SREAL(readlink)(path, buf, n);
	return readlink_mapped(AT_FDCWD, p, buf, n);
}

/* An absolute path ignores dirfd, so any dirfd is fine. */
FRONT_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t n)
{
	char m[PATH_MAX];
	const char *p = sysview_map(path, m, sizeof(m));

	if (p == path)
		return SREAL(readlinkat)(dirfd, path, buf, n);
	return readlink_mapped(dirfd, p, buf, n);
}

FRONT_EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen)
{
	if (len > buflen) /* let libc report the overflow */
		return SREAL(readlink_chk)(path, buf, len, buflen);
	return readlink(path, buf, len);
}

FRONT_EXPORT ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len,
				      size_t buflen)
{
	if (len > buflen)
		return SREAL(readlinkat_chk)(dirfd, path, buf, len, buflen);
	return readlinkat(dirfd, path, buf, len);
}

/* ---- realpath ----------------------------------------------------------------------- */

/* Resolve inside the mirror, then report the /sys path the driver VM would. */
static char *realpath_sys(const char *path, char *resolved)
{
	char m[PATH_MAX], *r;
	const char *p = sysview_map(path, m, sizeof(m));
	size_t len;

	if (p == path)
		return SREAL(realpath)(path, resolved);
	r = SREAL(realpath)(p, NULL);
	if (!r || !resolved)
		return r ? sysview_unmap(r) : NULL;
	len = strlen(sysview_unmap(r));
	if (len >= PATH_MAX) {
		free(r);
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(resolved, r, len + 1);
	free(r);
	return resolved;
}

FRONT_EXPORT char *realpath(const char *path, char *resolved)
{
	return realpath_sys(path, resolved);
}

FRONT_EXPORT char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	if (resolvedlen < PATH_MAX) /* let libc report the overflow */
		return SREAL(realpath_chk)(path, resolved, resolvedlen);
	return realpath_sys(path, resolved);
}

/* glibc's canonicalize_file_name calls its internal realpath. */
FRONT_EXPORT char *canonicalize_file_name(const char *path)
{
	return realpath_sys(path, NULL);
}
