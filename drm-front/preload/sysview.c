/* SPDX-License-Identifier: MIT */
/*
 * sysview.c - materialize the backend's sysfs manifest (drm-back/sysinfo.h)
 * under a private root and map guest paths into it (see sysview.h).
 *
 * The manifest is hostile input.  It is parsed and checked completely before
 * anything is written, and the tree is built so that nothing can land
 * outside the root:
 *   - paths are "/sys" or start with "/sys/"; components are never empty,
 *     "." or ".."; no control characters; at most DEPTH_MAX components;
 *   - a relative link target is (../)*name(/name)*, climbing no higher than
 *     /sys from the link's directory; an absolute one is a checked /sys path
 *     and gets the root prefixed.  Since every link then resolves inside
 *     <root>/sys by itself, so does any chain of them;
 *   - the tree is walked with openat(O_NOFOLLOW) from the root, so a record
 *     can never be created through a link made by an earlier record.
 * A bad manifest installs nothing (-EINVAL).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drm-front/preload/sysview.h"

#define DEPTH_MAX 64
#define RECORDS_MAX 16384
#define FILE_MAX 4096 /* SYSINFO_FILE_MAX */
#define NODE_MAX 64   /* SYSINFO_NODE_MAX */

struct rec {
	char kind;	  /* 'D', 'L', 'F', 'N' */
	int depth;	  /* components of path: "/sys/x" has 2 */
	char *path;	  /* in the parse copy, NUL-terminated */
	char *arg;	  /* link target; node name for 'N' */
	const char *data; /* file contents */
	size_t len;
};

struct view {
	char *root; /* canonical private root */
	size_t rootlen;
	pid_t owner; /* the process that built the tree and removes it */
	char **anchors;
	size_t nanchors;
	char *manifest; /* kept for forked children */
	size_t len;
	struct view *retired; /* an inherited view this one replaced: kept reachable */
};

static struct view *cur; /* published with release, read with acquire */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void (*loader)(void);
static int load_tried;
static __thread int in_loader;

/* ---- checks ------------------------------------------------------------------------ */

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || n > NAME_MAX || (n == 1 && s[0] == '.') || (n == 2 && !memcmp(s, "..", 2)))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '/')
			return 0;
	return 1;
}

/* Components of a valid sysfs path ("/sys" has 1), or -1. */
static int sys_depth(const char *p)
{
	int depth = 0;

	if ((strcmp(p, "/sys") != 0 && strncmp(p, "/sys/", 5) != 0) || strlen(p) >= PATH_MAX)
		return -1;
	for (const char *s = p; *s;) {
		const char *e = strchrnul(s + 1, '/');

		if (!valid_name(s + 1, (size_t)(e - s - 1)) || ++depth > DEPTH_MAX)
			return -1;
		s = e;
	}
	return depth;
}

/* Relative: (../)*name(/name)*, not above /sys.  Absolute: a /sys path. */
static int valid_target(const struct rec *r)
{
	const char *t = r->arg;
	int up = 0, names = 0;

	if (t[0] == '/')
		return sys_depth(t) > 0;
	if (strlen(t) >= PATH_MAX)
		return 0;
	for (; strncmp(t, "../", 3) == 0; t += 3)
		up++;
	for (const char *s = t;; s++) {
		const char *e = strchrnul(s, '/');

		if (!valid_name(s, (size_t)(e - s)))
			return 0;
		names++;
		if (!*e)
			break;
		s = e;
	}
	/* The link's directory has depth - 1 components; /sys is depth 1. */
	return up <= r->depth - 2 && r->depth - 1 - up + names <= DEPTH_MAX;
}

static int valid_node(const char *s)
{
	size_t n = strlen(s);

	return n <= NODE_MAX && valid_name(s, n) &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* A decimal of 1..10 digits, at most max. */
static int parse_num(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return v <= max ? 0 : -1;
}

/* ---- parsing ----------------------------------------------------------------------- */

/* Split "a\tb" in place; b or NULL. */
static char *split_tab(char *s)
{
	char *tab = strchr(s, '\t');

	if (tab)
		*tab++ = '\0';
	return tab;
}

static int parse_node(struct rec *r, char *body)
{
	unsigned long maj, min;
	char *colon;

	r->arg = body;
	r->path = split_tab(body);
	if (!r->path || !valid_node(r->arg) || !(colon = strchr(r->path, ':')))
		return -1;
	if (parse_num(r->path, (size_t)(colon - r->path), 4095, &maj) ||
	    parse_num(colon + 1, strlen(colon + 1), 0xfffff, &min))
		return -1;
	return 0;
}

/* One record at *p (its header line already NUL-terminated at nl). */
static int parse_rec(struct rec *r, char **p, char *nl, const char *end)
{
	char *body = *p + 2;
	unsigned long len;

	*p = nl + 1;
	r->kind = body[-2];
	if (r->kind == 'N')
		return parse_node(r, body);
	r->path = body;
	r->arg = split_tab(body);
	if ((r->depth = sys_depth(r->path)) < 0 || (r->kind == 'D') != !r->arg)
		return -1;
	switch (r->kind) {
	case 'D':
		return 0;
	case 'L': /* links and files below /sys/<a>/<b>: the guest's /sys stays visible */
		return r->depth >= 4 && valid_target(r) ? 0 : -1;
	case 'F':
		if (r->depth < 4 || parse_num(r->arg, strlen(r->arg), FILE_MAX, &len) ||
		    len >= (size_t)(end - *p) || (*p)[len] != '\n')
			return -1;
		r->data = *p;
		r->len = len;
		*p += len + 1;
		return 0;
	}
	return -1;
}

/* Parse the whole copy (NUL-terminated at end) into a malloc'd array. */
static int parse(char *p, char *end, struct rec **out, size_t *nout)
{
	struct rec *recs = NULL;
	size_t n = 0, cap = 0;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl || nl - p < 3 || p[1] != ' ' || memchr(p, '\0', (size_t)(nl - p)) ||
		    n == RECORDS_MAX)
			goto err;
		if (n == cap) {
			struct rec *v = realloc(recs, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!v)
				goto err;
			recs = v;
		}
		*nl = '\0';
		memset(&recs[n], 0, sizeof(recs[n]));
		if (parse_rec(&recs[n++], &p, nl, end))
			goto err;
	}
	*out = recs;
	*nout = n;
	return 0;
err:
	free(recs);
	return -EINVAL;
}

/* ---- coverage ---------------------------------------------------------------------- */

static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Paths only a DRM client asks for: covered whatever the manifest says. */
static int drm_path(const char *path)
{
	return !strcmp(path, "/dev/dri") || !strcmp(path, "/dev/dri/") ||
	       under(path, "/sys/class/drm") || !strncmp(path, "/sys/dev/char/226:", 18);
}

static int covers(const struct view *v, const char *path)
{
	if (drm_path(path))
		return 1;
	if (strncmp(path, "/sys/", 5) != 0)
		return 0;
	for (size_t i = 0; i < v->nanchors; i++)
		if (under(path, v->anchors[i]))
			return 1;
	return 0;
}

static int add_anchor(struct view *v, const char *path, size_t n)
{
	char **a;

	for (size_t i = 0; i < v->nanchors; i++)
		if (strlen(v->anchors[i]) == n && !strncmp(v->anchors[i], path, n))
			return 0;
	if (!(a = realloc(v->anchors, (v->nanchors + 1) * sizeof(*a))))
		return -ENOMEM;
	v->anchors = a;
	if (!(a[v->nanchors] = strndup(path, n)))
		return -ENOMEM;
	v->nanchors++;
	return 0;
}

/* Directories holding a file, then links outside them (/sys/bus/pci/devices/x). */
static int find_anchors(struct view *v, const struct rec *recs, size_t n)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++)
		if (recs[i].kind == 'F')
			r = add_anchor(v, recs[i].path,
				       (size_t)(strrchr(recs[i].path, '/') - recs[i].path));
	for (size_t i = 0; r == 0 && i < n; i++)
		if (recs[i].kind == 'L' && !covers(v, recs[i].path))
			r = add_anchor(v, recs[i].path, strlen(recs[i].path));
	return r;
}

/* ---- the tree ---------------------------------------------------------------------- */

/* The directory holding path's last component, created as needed, never
 * through a link; *name is that component (path is cut in place).  Modes
 * are set explicitly: the tree must be usable whatever the umask. */
static int walk_parent(int rootfd, char *path, const char **name)
{
	int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), e = errno;
	char *s = path + 1, *slash;

	while (fd >= 0 && (slash = strchr(s, '/'))) {
		int next = -1, made;

		*slash = '\0';
		made = mkdirat(fd, s, 0755) == 0;
		if (made || errno == EEXIST)
			next = openat(fd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		e = errno;
		if (next >= 0 && made)
			fchmod(next, 0755);
		close(fd);
		fd = next;
		s = slash + 1;
	}
	*name = s;
	return fd < 0 ? -e : fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int make_entry(int dfd, const char *name, const struct rec *r, const struct view *v)
{
	char target[PATH_MAX];
	struct stat st;
	int fd, e;

	switch (r->kind) {
	case 'D':
		if (mkdirat(dfd, name, 0755) && errno != EEXIST)
			return -1;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode)) {
			errno = EEXIST; /* a link or file of that name came first */
			return -1;
		}
		return fchmodat(dfd, name, 0755, 0);
	case 'L':
		if (snprintf(target, sizeof(target), "%s%s", r->arg[0] == '/' ? v->root : "",
			     r->arg) >= (int)sizeof(target)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		return symlinkat(target, dfd, name);
	default: /* 'F' and the 'N' placeholders */
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
		if (fd < 0)
			return -1;
		e = fchmod(fd, 0444) || write_all(fd, r->data, r->len) ? -1 : 0;
		close(fd);
		return e;
	}
}

static int materialize(int rootfd, const struct rec *r, const struct view *v)
{
	char path[PATH_MAX];
	const char *name;
	int dfd, e;

	snprintf(path, sizeof(path), r->kind == 'N' ? "/dev/dri/%s" : "%s",
		 r->kind == 'N' ? r->arg : r->path);
	if ((dfd = walk_parent(rootfd, path, &name)) < 0)
		e = dfd;
	else
		e = make_entry(dfd, name, r, v) ? -errno : 0;
	if (dfd >= 0)
		close(dfd);
	/* A duplicate or a record below a link is the manifest's fault. */
	return e == -EEXIST || e == -ELOOP || e == -ENOTDIR ? -EINVAL : e;
}

static void remove_at(int dfd, int depth)
{
	struct dirent *e;
	DIR *d = fdopendir(dfd);

	if (!d) {
		close(dfd);
		return;
	}
	while ((e = readdir(d))) {
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0 && depth < DEPTH_MAX + 4) {
			remove_at(sub, depth + 1);
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
		} else {
			if (sub >= 0)
				close(sub);
			unlinkat(dirfd(d), e->d_name, 0);
		}
	}
	closedir(d);
}

static void remove_tree(const char *root)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		remove_at(fd, 0);
	rmdir(root);
}

/*
 * Trees whose process is gone (it exec'd, or was killed before its exit
 * handler ran) are removed by the next process that builds one.  Their
 * names carry the owner's pid; only trees of this user are considered.
 */
static void remove_stale(const char *tmp)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(tmp);
	long pid;

	while (d && (de = readdir(d))) {
		if (sscanf(de->d_name, "vdri-sys.%ld.", &pid) != 1 || pid <= 0 ||
		    !kill((pid_t)pid, 0) || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmp, de->d_name);
		if (!lstat(path, &st) && S_ISDIR(st.st_mode) && st.st_uid == getuid())
			remove_tree(path);
	}
	if (d)
		closedir(d);
}

static int make_root(struct view *v)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX], canon[PATH_MAX];

	if (!tmp || tmp[0] != '/' || strlen(tmp) > 256)
		tmp = "/tmp";
	remove_stale(tmp);
	snprintf(tmpl, sizeof(tmpl), "%s/vdri-sys.%ld.XXXXXX", tmp, (long)getpid());
	if (!mkdtemp(tmpl))
		return -errno;
	/* The kernel reports resolved paths: keep the root in that form. */
	if (chmod(tmpl, 0700) || !realpath(tmpl, canon) || !(v->root = strdup(canon))) {
		int e = errno;

		rmdir(tmpl);
		return -e;
	}
	v->rootlen = strlen(v->root);
	return 0;
}

/* ---- views ------------------------------------------------------------------------- */

static void free_view(struct view *v)
{
	while (v) {
		struct view *next = v->retired;

		for (size_t i = 0; i < v->nanchors; i++)
			free(v->anchors[i]);
		free(v->anchors);
		free(v->root);
		free(v->manifest);
		free(v);
		v = next;
	}
}

static int build_tree(struct view *v, const struct rec *recs, size_t n)
{
	int rootfd, r = make_root(v);

	if (r)
		return r;
	rootfd = open(v->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		r = -errno;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = materialize(rootfd, &recs[i], v);
	if (rootfd >= 0)
		close(rootfd);
	if (r)
		remove_tree(v->root);
	return r;
}

/* Check a manifest and build its tree into a new view. */
static int build_view(const char *manifest, size_t len, struct view **out)
{
	struct view *v = calloc(1, sizeof(*v));
	char *work = malloc(len + 1);
	struct rec *recs = NULL;
	size_t n = 0;
	int r = -ENOMEM;

	if (!v || !work || !(v->manifest = malloc(len + 1)))
		goto out;
	memcpy(v->manifest, manifest, len);
	memcpy(work, manifest, len);
	work[len] = '\0';
	v->len = len;
	v->owner = getpid();
	if ((r = parse(work, work + len, &recs, &n)) || (r = find_anchors(v, recs, n)) ||
	    (r = build_tree(v, recs, n)))
		goto out;
	*out = v;
	v = NULL;
out:
	free(recs);
	free(work);
	free_view(v);
	return r;
}

static struct view *current(void)
{
	return __atomic_load_n(&cur, __ATOMIC_ACQUIRE);
}

static void at_exit(void)
{
	struct view *v = current();

	if (v && v->owner == getpid())
		remove_tree(v->root);
}

/* A thread of the parent may have held a lock at fork. */
static void child_after_fork(void)
{
	pthread_mutex_init(&lock, NULL);
	pthread_mutex_init(&load_lock, NULL);
}

static void init_once(void)
{
	atexit(at_exit);
	pthread_atfork(NULL, NULL, child_after_fork);
}

int sysview_install(const char *manifest, size_t len)
{
	struct view *v = NULL, *old;
	int r;

	if (!manifest || len > SYSVIEW_MANIFEST_MAX)
		return -EINVAL;
	pthread_once(&once, init_once);
	pthread_mutex_lock(&lock);
	old = current();
	if (old && old->owner == getpid())
		r = -EBUSY;
	else if ((r = build_view(manifest, len, &v)) == 0) {
		v->retired = old;
		__atomic_store_n(&cur, v, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&lock);
	return r;
}

/* In a forked child, the first use builds the child's own tree. */
static const struct view *own_view(const struct view *v)
{
	struct view *nv;

	if (v->owner == getpid())
		return v;
	pthread_mutex_lock(&lock);
	nv = current();
	if (!nv)
		nv = (struct view *)v; /* reset meanwhile (tests) */
	else if (nv->owner != getpid()) {
		struct view *built;

		if (build_view(nv->manifest, nv->len, &built) == 0) {
			built->retired = nv;
			__atomic_store_n(&cur, built, __ATOMIC_RELEASE);
			nv = built;
		}
	}
	pthread_mutex_unlock(&lock);
	return nv;
}

static void maybe_load(void)
{
	pthread_mutex_lock(&load_lock);
	if (!load_tried && loader) {
		load_tried = 1;
		in_loader = 1;
		loader();
		in_loader = 0;
	}
	pthread_mutex_unlock(&load_lock);
}

const char *sysview_map(const char *path, char *buf, size_t bufsize)
{
	const struct view *v;
	int n;

	if (!path || path[0] != '/' || in_loader)
		return path;
	if (!(v = current())) {
		if (!__atomic_load_n(&loader, __ATOMIC_ACQUIRE) || !drm_path(path))
			return path;
		maybe_load();
		if (!(v = current()))
			return path;
	}
	if (!covers(v, path))
		return path;
	v = own_view(v);
	n = snprintf(buf, bufsize, "%s%s", v->root, path);
	return n < 0 || (size_t)n >= bufsize ? path : buf;
}

char *sysview_unmap(char *path)
{
	const struct view *v = current();
	size_t n;

	if (!v || !path || strncmp(path, v->root, v->rootlen) != 0)
		return path;
	n = v->rootlen;
	if (path[n] == '\0')
		strcpy(path, "/");
	else if (path[n] == '/')
		memmove(path, path + n, strlen(path + n) + 1);
	return path;
}

const char *sysview_root(void)
{
	const struct view *v = current();

	return v ? v->root : NULL;
}

void sysview_set_loader(void (*load)(void))
{
	pthread_once(&once, init_once);
	pthread_mutex_lock(&load_lock);
	__atomic_store_n(&loader, load, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&load_lock);
}

void sysview_reset(void)
{
	struct view *v = current();

	if (v && v->owner == getpid())
		remove_tree(v->root);
	__atomic_store_n(&cur, NULL, __ATOMIC_RELEASE);
	free_view(v);
	load_tried = 0;
}
