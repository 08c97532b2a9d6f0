/* SPDX-License-Identifier: MIT */
/*
 * config.c - vdri-backd configuration: one directive per line, '#' comments.
 *
 *   listen URI            (repeatable) unix:/run/vdri.sock, tcp:0.0.0.0:7000, ...
 *   export GLOB           (repeatable) device paths guests may open, e.g. "/dev/dri/render*"
 *   flat-ioctl allow|deny forward ioctls that have no descriptor (top level only)
 *   threads N             worker threads per session (1..64)
 *   max-frame BYTES       largest frame (suffix K or M), 64K..256M
 *   max-inflight N        requests in flight per connection (1..4096)
 *   shm-spin-us N         most µs a worker busy-polls a shm connection's request
 *                         ring before sleeping (0..10000, default 200; 0: never)
 *   log stderr|syslog|both
 *   ready-file PATH       written once every listener is up
 *   status unix:PATH      where "vdri status" connects
 *   sandbox on|off        sandboxed workers (default on)
 *   user NAME             workers drop to this user
 *
 * and guest blocks (isolation/guest.h; only in a file, not on the command
 * line):
 *   guest NAME
 *     token SECRET | uid N | ...   one directive per line, iso_guest_directive
 *   end
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drm-back/backd.h"

void backd_config_init(struct backd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->threads = 4;
	c->max_frame = WIRE_FRAME_DEFAULT_LIMIT;
	c->max_inflight = 256;
	c->shm_spin_us = VSHM_SPIN_DEFAULT_US;
	c->use_stderr = 1;
	c->sandbox = 1;
}

/* Guests are plain data; the strings below are the only memory c owns. */
void backd_config_fini(struct backd_config *c)
{
	iso_policy_fini(&c->policy);
	free((char *)c->ready_file);
	free((char *)c->config_path);
	free((char *)c->user);
	c->ready_file = c->config_path = c->user = NULL;
	c->nguests = 0;
}

static int set_string(const char **slot, const char *val)
{
	char *copy = strdup(val);

	if (!copy)
		return -ENOMEM;
	free((char *)*slot);
	*slot = copy;
	return 0;
}

static int parse_num(const char *s, unsigned long long lo, unsigned long long hi,
		     unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	if (*end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* status, sandbox, user: stored here, used by backd.c and worker.c. */
/*
 * Capabilities a device class needs in the worker (e.g. NET_ADMIN for
 * /dev/net/tun); every other one is dropped (isolation/sandbox.h).
 */
static int keep_capability(struct backd_config *c, const char *val, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		int bit;
	} caps[] = {{"DAC_OVERRIDE", 1}, {"NET_ADMIN", 12},    {"NET_RAW", 13},
		    {"IPC_LOCK", 14},	 {"SYS_RAWIO", 17},    {"SYS_ADMIN", 21},
		    {"SYS_NICE", 23},	 {"SYS_RESOURCE", 24}, {"MKNOD", 27}};
	const char *n = strncmp(val, "CAP_", 4) ? val : val + 4;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (!strcmp(n, caps[i].name)) {
			c->keep_caps |= 1ull << caps[i].bit;
			return 0;
		}
	snprintf(err, errlen,
		 "keep-capability: '%s' is not one of DAC_OVERRIDE, NET_ADMIN, NET_RAW, IPC_LOCK, "
		 "SYS_RAWIO, SYS_ADMIN, SYS_NICE, SYS_RESOURCE, MKNOD",
		 val);
	return -EINVAL;
}

static int more_directive(struct backd_config *c, const char *key, const char *val, char *err,
			  size_t errlen)
{
	struct vt_addr a;

	if (!strcmp(key, "status")) {
		if (vt_parse(val, &a, err, errlen))
			return -EINVAL;
		if (a.kind != VT_UNIX && a.kind != VT_TCP) {
			snprintf(err, errlen, "status must be a unix: or tcp: address, not '%s'",
				 val);
			return -EINVAL;
		}
		c->status = a;
		c->has_status = 1;
		return 0;
	}
	if (!strcmp(key, "sandbox")) {
		if (strcmp(val, "on") && strcmp(val, "off")) {
			snprintf(err, errlen, "sandbox must be on or off, not '%s'", val);
			return -EINVAL;
		}
		c->sandbox = !strcmp(val, "on");
		return 0;
	}
	if (!strcmp(key, "user")) {
		if (!getpwnam(val)) {
			snprintf(err, errlen, "user '%s': no such user", val);
			return -EINVAL;
		}
		return set_string(&c->user, val);
	}
	if (!strcmp(key, "keep-capability"))
		return keep_capability(c, val, err, errlen);
	if (!strcmp(key, "guest") || !strcmp(key, "end")) {
		snprintf(err, errlen, "'%s': guest blocks are read only from a configuration file",
			 key);
		return -EINVAL;
	}
	snprintf(err, errlen, "unknown directive '%s'", key);
	return -EINVAL;
}

int backd_config_directive(struct backd_config *c, const char *key, const char *val, char *err,
			   size_t errlen)
{
	unsigned long long n;

	if (!val || !*val) {
		snprintf(err, errlen, "'%s' needs a value", key);
		return -EINVAL;
	}
	if (!strcmp(key, "listen")) {
		if (c->nlisten >= BACKD_MAX_LISTEN) {
			snprintf(err, errlen, "too many listen lines (max %d)", BACKD_MAX_LISTEN);
			return -EINVAL;
		}
		return vt_parse(val, &c->listen[c->nlisten++], err, errlen);
	}
	if (!strcmp(key, "export")) {
		int r = iso_policy_add_export(&c->policy, val);

		if (r)
			snprintf(err, errlen, "export '%s': %s", val,
				 r == -EINVAL ? "not an absolute path" : "too many exports");
		return r;
	}
	if (!strcmp(key, "flat-ioctl")) {
		if (strcmp(val, "allow") && strcmp(val, "deny")) {
			snprintf(err, errlen, "flat-ioctl must be allow or deny, not '%s'", val);
			return -EINVAL;
		}
		c->policy.flat_ioctl = !strcmp(val, "allow");
		return 0;
	}
	if (!strcmp(key, "threads") || !strcmp(key, "max-frame") || !strcmp(key, "max-inflight")) {
		int is_t = key[0] == 't', is_f = !strcmp(key, "max-frame");

		if (parse_num(val, is_f ? WIRE_FRAME_MIN_LIMIT : 1,
			      is_t   ? 64
			      : is_f ? WIRE_FRAME_MAX_LIMIT
				     : 4096,
			      &n)) {
			snprintf(err, errlen, "%s: '%s' is not a number in range", key, val);
			return -EINVAL;
		}
		if (is_t)
			c->threads = (int)n;
		else if (is_f)
			c->max_frame = (uint32_t)n;
		else
			c->max_inflight = (uint32_t)n;
		return 0;
	}
	if (!strcmp(key, "shm-spin-us")) {
		if (parse_num(val, 0, VSHM_SPIN_MAX_US, &n)) {
			snprintf(err, errlen, "%s: '%s' is not a number from 0 to %u", key, val,
				 VSHM_SPIN_MAX_US);
			return -EINVAL;
		}
		c->shm_spin_us = (uint32_t)n;
		return 0;
	}
	if (!strcmp(key, "log")) {
		c->use_stderr = !strcmp(val, "stderr") || !strcmp(val, "both");
		c->use_syslog = !strcmp(val, "syslog") || !strcmp(val, "both");
		if (!c->use_stderr && !c->use_syslog) {
			snprintf(err, errlen, "log must be stderr, syslog or both, not '%s'", val);
			c->use_stderr = 1;
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "ready-file"))
		return set_string(&c->ready_file, val);
	return more_directive(c, key, val, err, errlen);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* "guest NAME" opens a block, "end" checks and keeps it; lines between are the guest's. */
static int file_line(struct backd_config *c, struct iso_guest **cur, int lineno, const char *key,
		     const char *val, char *msg, size_t len)
{
	struct iso_guest *g = *cur;

	if (!strcmp(key, "guest")) {
		if (g) {
			snprintf(msg, len,
				 "'guest' inside guest '%s' (line %d): close it with 'end'",
				 g->name, g->line);
			return -EINVAL;
		}
		if (c->nguests >= ISO_MAX_GUESTS) {
			snprintf(msg, len, "too many guests (max %d)", ISO_MAX_GUESTS);
			return -EINVAL;
		}
		g = &c->guests[c->nguests];
		iso_guest_init(g, val, lineno);
		if (iso_guest_name_check(val, msg, len) ||
		    iso_guest_clash(c->guests, c->nguests, g, msg, len))
			return -EINVAL;
		*cur = g;
		return 0;
	}
	if (!strcmp(key, "end")) {
		if (!g || *val) {
			snprintf(msg, len, g ? "'end' takes no value" : "'end' without 'guest'");
			return -EINVAL;
		}
		if (iso_guest_finish(g, &c->policy, msg, len) ||
		    iso_guest_clash(c->guests, c->nguests, g, msg, len))
			return -EINVAL;
		c->nguests++;
		*cur = NULL;
		return 0;
	}
	if (g)
		return iso_guest_directive(g, key, val, msg, len);
	return backd_config_directive(c, key, val, msg, len);
}

/* Comment and white space off; 0 for an empty line, else 1 with key and val. */
static int split_line(char *line, char **key, char **val)
{
	char *s = strchr(line, '#');

	if (s)
		*s = '\0';
	s = trim(line);
	if (!*s)
		return 0;
	*key = s;
	*val = s + strcspn(s, " \t");
	if (**val)
		*(*val)++ = '\0';
	*val = trim(*val);
	return 1;
}

int backd_config_load(struct backd_config *c, const char *path, char *err, size_t errlen)
{
	char line[1024], msg[512];
	struct iso_guest *cur = NULL;
	FILE *f = fopen(path, "re");
	int lineno = 0, r = 0;

	if (!f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	while (fgets(line, sizeof(line), f)) {
		char *key, *val;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			r = -EINVAL;
			break;
		}
		if (!split_line(line, &key, &val))
			continue;
		r = file_line(c, &cur, lineno, key, val, msg, sizeof(msg));
		if (r) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
			break;
		}
	}
	fclose(f);
	if (!r && cur) {
		snprintf(err, errlen, "%s:%d: guest '%s' has no 'end'", path, cur->line, cur->name);
		r = -EINVAL;
	}
	if (!r)
		r = set_string(&c->config_path, path);
	return r;
}
