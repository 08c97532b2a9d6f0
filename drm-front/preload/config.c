/* SPDX-License-Identifier: MIT */
/*
 * config.c - the frontend's settings, from the environment:
 *   VDRI_ADDR        backend address (default unix:/run/vdri.sock)
 *   VDRI_PATHS       ':'-separated globs of forwarded paths (default /dev/dri/[a-z]*)
 *   VDRI_NAME        guest identity sent in HELLO (default: the host name)
 *   VDRI_TOKEN       shared secret sent in HELLO (up to 256 bytes); the daemon
 *                    picks the guest's policy by it
 *   VDRI_TOKEN_FILE  the same, read from a file (one trailing newline, LF or
 *                    CR LF, stripped); VDRI_TOKEN wins when both are set
 *   VDRI_LOG         1: diagnostics on stderr
 *   VDRI_TIMEOUT_MS  connect timeout (default 3000)
 *   VDRI_SHM_RING    shm: bytes per ring, a power of two from 64K to 64M
 *                    (suffix K or M; default 1M)
 *   VDRI_SHM_SPIN_US shm: most µs to busy-poll for a reply before sleeping
 *                    (0..10000, default 200; 0: sleep at once)
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drm-front/preload/front.h"

struct front_config fcfg;

void front_log(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (!fcfg.log)
		return;
	va_start(ap, fmt);
	n = snprintf(msg, sizeof(msg), "vdri-front[%d]: ", (int)getpid());
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	strncat(msg, "\n", sizeof(msg) - strlen(msg) - 1);
	if (real.write)
		real.write(2, msg, strlen(msg));
}

static int set_token(const void *t, size_t n, const char *what, char *err, size_t errlen)
{
	if (n > sizeof(fcfg.token)) {
		snprintf(err, errlen, "%s: longer than %zu bytes", what, sizeof(fcfg.token));
		return -E2BIG;
	}
	memcpy(fcfg.token, t, n);
	fcfg.token_len = (uint16_t)n;
	return 0;
}

/* Up to len bytes of a file; the count or -errno. */
static ssize_t read_file(const char *path, uint8_t *buf, size_t len)
{
	int fd = real.open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), e = 0;
	size_t n = 0;

	if (fd < 0)
		return -errno;
	while (n < len) {
		ssize_t k = real.read(fd, buf + n, len - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			e = errno;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	real.close(fd);
	return e ? -e : (ssize_t)n;
}

/*
 * The token from VDRI_TOKEN or VDRI_TOKEN_FILE, as the daemon's token-file
 * reads it (one trailing LF or CR LF stripped).  0, or -errno with what went
 * wrong in err: forwarding is then disabled rather than connecting as
 * someone else.
 */
static int load_token(char *err, size_t errlen)
{
	const char *tok = getenv("VDRI_TOKEN"), *file = getenv("VDRI_TOKEN_FILE");
	uint8_t buf[sizeof(fcfg.token) + 3];
	ssize_t n;
	int r;

	fcfg.token_len = 0;
	if (tok && *tok)
		return set_token(tok, strlen(tok), "VDRI_TOKEN", err, errlen);
	if (!file || !*file)
		return 0;
	n = read_file(file, buf, sizeof(buf));
	if (n < 0) {
		snprintf(err, errlen, "VDRI_TOKEN_FILE %s: %s", file, strerror((int)-n));
		r = (int)n;
	} else {
		if (n && buf[n - 1] == '\n' && --n && buf[n - 1] == '\r')
			n--;
		r = set_token(buf, (size_t)n, file, err, errlen);
	}
	explicit_bzero(buf, sizeof(buf)); /* the secret stays in fcfg only */
	return r;
}

/* A size with an optional K or M suffix; def when unset or bad. */
static uint32_t env_size(const char *name, uint32_t def, uint32_t max)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return def;
	n = strtoull(v, &end, 10);
	if (*end == 'K' || *end == 'k')
		n <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		n <<= 20, end++;
	if (*end || n > max) {
		front_log("%s=%s: not a number up to %u; using %u", name, v, max, def);
		return def;
	}
	return (uint32_t)n;
}

void front_config_load(void)
{
	const char *addr = getenv("VDRI_ADDR"), *paths = getenv("VDRI_PATHS");
	const char *name = getenv("VDRI_NAME"), *log = getenv("VDRI_LOG");
	const char *tmo = getenv("VDRI_TIMEOUT_MS");
	char err[256], *copy, *save = NULL;

	fcfg.log = log && *log && strcmp(log, "0");
	fcfg.timeout_ms = tmo ? atoi(tmo) : 3000;
	if (fcfg.timeout_ms <= 0)
		fcfg.timeout_ms = 3000;
	fcfg.shm_ring = env_size("VDRI_SHM_RING", VSHM_RING_DEFAULT, VSHM_RING_MAX);
	fcfg.shm_spin_us = env_size("VDRI_SHM_SPIN_US", VSHM_SPIN_DEFAULT_US, VSHM_SPIN_MAX_US);
	snprintf(fcfg.addr_uri, sizeof(fcfg.addr_uri), "%s",
		 addr && *addr ? addr : "unix:/run/vdri.sock");
	if (vt_parse(fcfg.addr_uri, &fcfg.addr, err, sizeof(err))) {
		fcfg.log = 1;
		front_log("VDRI_ADDR: %s; forwarding disabled", err);
		fcfg.nglobs = 0;
		return;
	}
	if (load_token(err, sizeof(err))) {
		fcfg.log = 1;
		front_log("%s; forwarding disabled", err);
		fcfg.nglobs = 0;
		return;
	}
	if (name && *name)
		snprintf(fcfg.name, sizeof(fcfg.name), "%s", name);
	else if (gethostname(fcfg.name, sizeof(fcfg.name) - 1))
		strcpy(fcfg.name, "guest");
	copy = strdup(paths && *paths ? paths : "/dev/dri/[a-z]*");
	for (char *g = copy ? strtok_r(copy, ":", &save) : NULL; g && fcfg.nglobs < FRONT_MAX_GLOBS;
	     g = strtok_r(NULL, ":", &save))
		if (g[0] == '/')
			fcfg.globs[fcfg.nglobs++] = strdup(g);
	free(copy);
}

int front_path_matches(const char *path)
{
	for (int i = 0; i < fcfg.nglobs; i++)
		if (fcfg.globs[i] && fnmatch(fcfg.globs[i], path, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}
