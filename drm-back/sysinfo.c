/* SPDX-License-Identifier: MIT */
/*
 * sysinfo.c - collect the sysfs manifest (sysinfo.h) for a set of DRM nodes.
 *
 * What is collected is what libdrm 2.4.114 (xf86drm.c) and Mesa 22.3
 * (src/loader/loader.c) read while discovering devices, so that the guest
 * sees the same answers through the mirror:
 *   /sys/class/drm/<node>      link: its target names the card directory
 *   /sys/dev/char/M:m          link: every libdrm lookup starts here
 *   card directory             uevent (DEVNAME: drmGetDeviceNameFromFd2), dev,
 *                              links subsystem and device ("/sys/dev/char/M:m/device")
 *   drm/ (the card's parent)   its listing: drmGetMinorNameForFD opendir()s it,
 *                              drmNodeIsDRM stat()s it
 *   device directory           attributes (uevent, vendor, device, ...), links
 *                              subsystem (drmParseSubsystemType) and driver
 *   the device's parent        the same, when the device is on virtio (libdrm
 *                              then reads "device/../subsystem" and strips
 *                              "/virtio*" from realpath("device")) or is a USB
 *                              interface (drm_usb_dev_path)
 *   link targets               the directories subsystem/driver point at, and
 *                              /sys/bus/<bus>/devices/<dev>, so that realpath()
 *                              resolves in the mirror as it does here
 * Anything odd (a name with a control character, a file over the cap, a link
 * leaving /sys) is left out rather than sent.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drm-back/sysinfo.h"

/* Attribute files of a device directory that libdrm or Mesa read. */
static const char *const dev_attrs[] = {
    "uevent",	"vendor", "device", "subsystem_vendor", "subsystem_device",
    "revision", "class",  "config", "modalias",
};

#define LISTING_MAX 256 /* entries of one drm/ directory */

struct collect {
	char root[PATH_MAX]; /* canonical sysroot; "" for the real one */
	size_t rootlen;
	char *buf; /* the manifest */
	size_t len, cap;
	char **seen; /* paths already emitted */
	size_t nseen, capseen;
};

/* Helpers return <0 for errors that end the collection (output too large,
 * no memory), 1 for "absent or odd: left out", 0 for emitted. */
#define SKIP 1

/* Printable and free of the record separators (tab, newline). */
static int safe_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int put(struct collect *c, const void *p, size_t n)
{
	if (n > SYSINFO_MANIFEST_MAX - c->len)
		return -E2BIG;
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *b;

		while (cap < c->len + n)
			cap *= 2;
		b = realloc(c->buf, cap);
		if (!b)
			return -ENOMEM;
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	return 0;
}

static int put_str(struct collect *c, const char *s)
{
	return put(c, s, strlen(s));
}

/* <sysroot><path> */
static int full_path(const struct collect *c, const char *path, char *out)
{
	int n = snprintf(out, PATH_MAX, "%s%s", c->root, path);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static void parent_of(const char *path, char *out)
{
	char *slash;

	snprintf(out, PATH_MAX, "%s", path);
	slash = strrchr(out, '/');
	if (slash && slash != out)
		*slash = '\0';
}

/* 1 if path was emitted before, else remembers it and returns 0. */
static int seen_before(struct collect *c, const char *path)
{
	for (size_t i = 0; i < c->nseen; i++)
		if (strcmp(c->seen[i], path) == 0)
			return 1;
	if (c->nseen == c->capseen) {
		size_t cap = c->capseen ? c->capseen * 2 : 64;
		char **v = realloc(c->seen, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->seen = v;
		c->capseen = cap;
	}
	c->seen[c->nseen] = strdup(path);
	if (!c->seen[c->nseen])
		return -ENOMEM;
	c->nseen++;
	return 0;
}

/* D records for path and every ancestor up from /sys, each once. */
static int emit_dir(struct collect *c, const char *path)
{
	char pre[PATH_MAX];
	size_t n = strlen(path);
	int r;

	if (n >= PATH_MAX || strncmp(path, "/sys", 4) != 0 || (path[4] && path[4] != '/') ||
	    !safe_text(path))
		return SKIP;
	for (size_t i = 4; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		memcpy(pre, path, i);
		pre[i] = '\0';
		r = seen_before(c, pre);
		if (r < 0)
			return r;
		if (r == 0 &&
		    ((r = put_str(c, "D ")) || (r = put_str(c, pre)) || (r = put_str(c, "\n"))))
			return r;
	}
	return 0;
}

static int emit_parent(struct collect *c, const char *path)
{
	char parent[PATH_MAX];

	parent_of(path, parent);
	return emit_dir(c, parent);
}

/* The link at path, its target exactly as readlink() returns it. */
static int emit_link(struct collect *c, const char *path)
{
	char full[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	int r;

	if (full_path(c, path, full) || !safe_text(path))
		return SKIP;
	if ((r = seen_before(c, path)) != 0) /* shared by two nodes: once */
		return r < 0 ? r : 0;
	n = readlink(full, target, sizeof(target) - 1);
	if (n <= 0)
		return SKIP;
	target[n] = '\0';
	if (!safe_text(target))
		return SKIP;
	if ((r = emit_parent(c, path)) < 0 || (r = put_str(c, "L ")) || (r = put_str(c, path)) ||
	    (r = put_str(c, "\t")) || (r = put_str(c, target)) || (r = put_str(c, "\n")))
		return r;
	return 0;
}

/* Up to max bytes of a regular file; -1 if it is not one or unreadable. */
static ssize_t read_file(const char *full, char *data, size_t max)
{
	struct stat st;
	size_t got = 0;
	ssize_t n = 0;
	int fd = open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	while (got < max && (n = read(fd, data + got, max - got)) > 0)
		got += (size_t)n;
	close(fd);
	return n < 0 ? -1 : (ssize_t)got;
}

/* The file at path; over cap bytes it is cut (truncate) or left out. */
static int emit_file(struct collect *c, const char *path, size_t cap, int truncate)
{
	char full[PATH_MAX], data[SYSINFO_FILE_MAX + 1], head[32];
	ssize_t n;
	int r;

	if (full_path(c, path, full) || !safe_text(path))
		return SKIP;
	if ((r = seen_before(c, path)) != 0)
		return r < 0 ? r : 0;
	n = read_file(full, data, cap + 1);
	if (n < 0 || ((size_t)n > cap && !truncate))
		return SKIP;
	if ((size_t)n > cap)
		n = (ssize_t)cap;
	snprintf(head, sizeof(head), "\t%zd\n", n);
	if ((r = emit_parent(c, path)) < 0 || (r = put_str(c, "F ")) || (r = put_str(c, path)) ||
	    (r = put_str(c, head)) || (r = put(c, data, (size_t)n)) || (r = put_str(c, "\n")))
		return r;
	return 0;
}

/* realpath() of a sysfs path, as a path in the sysroot's /sys. */
static int resolve(const struct collect *c, const char *path, char *out)
{
	char full[PATH_MAX], canon[PATH_MAX];
	const char *rest;

	if (full_path(c, path, full) || !realpath(full, canon))
		return SKIP;
	if (strncmp(canon, c->root, c->rootlen) != 0)
		return SKIP;
	rest = canon + c->rootlen;
	if (strncmp(rest, "/sys/", 5) != 0 || !safe_text(rest))
		return SKIP;
	snprintf(out, PATH_MAX, "%s", rest);
	return 0;
}

/* The directory a link resolves to, so that realpath() through it works. */
static int emit_link_and_target(struct collect *c, const char *path)
{
	char target[PATH_MAX];
	int r = emit_link(c, path);

	if (r != 0 || resolve(c, path, target))
		return r;
	return emit_dir(c, target);
}

static int join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? SKIP : 0;
}

/* /sys/bus/<bus>/devices/<dev> for a device whose subsystem is a bus. */
static int emit_bus_link(struct collect *c, const char *dev)
{
	char link[PATH_MAX], bus[PATH_MAX], path[PATH_MAX];

	if (join(link, dev, "subsystem") || resolve(c, link, bus) ||
	    strncmp(bus, "/sys/bus/", 9) != 0)
		return SKIP;
	if (snprintf(path, PATH_MAX, "%s/devices/%s", bus, strrchr(dev, '/') + 1) >= PATH_MAX)
		return SKIP;
	return emit_link(c, path);
}

static int emit_device(struct collect *c, const char *dev)
{
	char path[PATH_MAX];
	int r;

	if ((r = emit_dir(c, dev)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(dev_attrs) / sizeof(dev_attrs[0]); i++) {
		int config = strcmp(dev_attrs[i], "config") == 0;

		if (join(path, dev, dev_attrs[i]) == 0 &&
		    (r = emit_file(c, path, config ? SYSINFO_CONFIG_MAX : SYSINFO_FILE_MAX,
				   config)) < 0)
			return r;
	}
	if ((join(path, dev, "subsystem") == 0 && (r = emit_link_and_target(c, path)) < 0) ||
	    (join(path, dev, "driver") == 0 && (r = emit_link_and_target(c, path)) < 0) ||
	    (r = emit_bus_link(c, dev)) < 0)
		return r;
	return 0;
}

/* libdrm looks at the parent of a virtio device (the PCI function) and of a
 * USB interface (the USB device). */
static int wants_parent(const struct collect *c, const char *dev)
{
	char path[PATH_MAX], full[PATH_MAX], data[SYSINFO_FILE_MAX + 1];
	const char *name;
	ssize_t n;

	if (join(path, dev, "subsystem") == 0 && full_path(c, path, full) == 0 &&
	    (n = readlink(full, data, sizeof(data) - 1)) > 0) {
		data[n] = '\0';
		name = strrchr(data, '/');
		if (name && strcmp(name, "/virtio") == 0)
			return 1;
	}
	if (join(path, dev, "uevent") || full_path(c, path, full) ||
	    (n = read_file(full, data, SYSINFO_FILE_MAX)) < 0)
		return 0;
	data[n] = '\0';
	return strncmp(data, "DEVTYPE=usb_interface\n", 22) == 0 ||
	       strstr(data, "\nDEVTYPE=usb_interface\n") != NULL;
}

/* The sibling nodes in the card's drm/ directory. */
static int emit_listing(struct collect *c, const char *dir)
{
	char full[PATH_MAX], path[PATH_MAX];
	struct dirent *e;
	int r = 0, count = 0;
	DIR *d;

	if (full_path(c, dir, full) || !(d = opendir(full)))
		return SKIP;
	while (r >= 0 && count < LISTING_MAX && (e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    join(path, dir, e->d_name) || join(full, c->root, path + 1))
			continue;
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			r = emit_dir(c, path);
			count++;
		}
	}
	closedir(d);
	return r < 0 ? r : 0;
}

static int read_devnum(const struct collect *c, const char *card, unsigned *maj, unsigned *min)
{
	char path[PATH_MAX], full[PATH_MAX], data[64];
	ssize_t n;

	if (join(path, card, "dev") || full_path(c, path, full) ||
	    (n = read_file(full, data, sizeof(data) - 1)) < 0)
		return -ENOENT;
	data[n] = '\0';
	if (sscanf(data, "%u:%u", maj, min) != 2 || *maj > 4095 || *min > 0xfffff)
		return -EINVAL;
	return 0;
}

/* The card directory, its links and the /sys/dev/char link to it. */
static int emit_card(struct collect *c, const char *card, unsigned maj, unsigned min)
{
	char path[PATH_MAX];
	int r;

	if ((r = emit_dir(c, card)) < 0)
		return r;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u", maj, min);
	if ((r = emit_link(c, path)) < 0)
		return r;
	if ((join(path, card, "uevent") == 0 &&
	     (r = emit_file(c, path, SYSINFO_FILE_MAX, 0)) < 0) ||
	    (join(path, card, "dev") == 0 && (r = emit_file(c, path, SYSINFO_FILE_MAX, 0)) < 0) ||
	    (join(path, card, "subsystem") == 0 && (r = emit_link_and_target(c, path)) < 0) ||
	    (join(path, card, "device") == 0 && (r = emit_link(c, path)) < 0))
		return r;
	parent_of(card, path);
	return emit_listing(c, path);
}

static int node_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SYSINFO_NODE_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       n;
}

static int collect_node(struct collect *c, const char *name)
{
	char cls[PATH_MAX], card[PATH_MAX], path[PATH_MAX], dev[PATH_MAX], rec[128];
	unsigned maj, min;
	int r;

	if (!node_name_ok(name))
		return -EINVAL;
	snprintf(rec, sizeof(rec), "N %s", name); /* not a path: cannot clash */
	if ((r = seen_before(c, rec)) != 0)	  /* named twice: described once */
		return r < 0 ? r : 0;
	snprintf(cls, sizeof(cls), "/sys/class/drm/%s", name);
	if ((r = emit_link(c, cls)) != 0 || (r = resolve(c, cls, card)) != 0)
		return r < 0 ? r : -ENOENT;
	if (strncmp(card, "/sys/devices/", 13) != 0)
		return -EXDEV;
	if ((r = read_devnum(c, card, &maj, &min)) || (r = emit_card(c, card, maj, min)) < 0)
		return r;
	/* A node without a device (none known today) still gets its N record. */
	if (join(path, card, "device") == 0 && resolve(c, path, dev) == 0) {
		if ((r = emit_device(c, dev)) < 0)
			return r;
		parent_of(dev, path);
		if (wants_parent(c, dev) && strncmp(path, "/sys/devices/", 13) == 0 &&
		    (r = emit_device(c, path)) < 0)
			return r;
	}
	snprintf(rec, sizeof(rec), "N %s\t%u:%u\n", name, maj, min);
	return put_str(c, rec);
}

static int collect_init(struct collect *c, const char *sysroot)
{
	memset(c, 0, sizeof(*c));
	if (!sysroot || !sysroot[0])
		return 0;
	if (!realpath(sysroot, c->root))
		return -errno;
	if (strcmp(c->root, "/") == 0)
		c->root[0] = '\0';
	c->rootlen = strlen(c->root);
	return 0;
}

static void collect_fini(struct collect *c)
{
	for (size_t i = 0; i < c->nseen; i++)
		free(c->seen[i]);
	free(c->seen);
	free(c->buf);
}

int sysinfo_collect(const char *sysroot, const char *const *nodes, size_t nnodes, char **out,
		    size_t *outlen)
{
	struct collect c;
	int r = collect_init(&c, sysroot);

	for (size_t i = 0; r == 0 && i < nnodes; i++)
		r = collect_node(&c, nodes[i]);
	if (r == 0 && !c.buf && !(c.buf = malloc(1)))
		r = -ENOMEM;
	if (r < 0) {
		collect_fini(&c);
		return r;
	}
	*out = c.buf;
	*outlen = c.len;
	c.buf = NULL;
	collect_fini(&c);
	return 0;
}
