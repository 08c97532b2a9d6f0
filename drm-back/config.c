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
 *   log stderr|syslog|both
 *   ready-file PATH       written once every listener is up
 */
#include <ctype.h>
#include <errno.h>
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
	c->use_stderr = 1;
}

void backd_config_fini(struct backd_config *c)
{
	iso_policy_fini(&c->policy);
	free((char *)c->ready_file);
	c->ready_file = NULL;
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
	if (!strcmp(key, "ready-file")) {
		free((char *)c->ready_file);
		c->ready_file = strdup(val);
		return c->ready_file ? 0 : -ENOMEM;
	}
	snprintf(err, errlen, "unknown directive '%s'", key);
	return -EINVAL;
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

int backd_config_load(struct backd_config *c, const char *path, char *err, size_t errlen)
{
	char line[1024], msg[512];
	FILE *f = fopen(path, "re");
	int lineno = 0, r = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s, *key, *val;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			r = -EINVAL;
			break;
		}
		if ((s = strchr(line, '#')))
			*s = '\0';
		s = trim(line);
		if (!*s)
			continue;
		key = s;
		val = s + strcspn(s, " \t");
		if (*val)
			*val++ = '\0';
		val = trim(val);
		r = backd_config_directive(c, key, val, msg, sizeof(msg));
		if (r) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
			break;
		}
	}
	fclose(f);
	return r;
}
