/* SPDX-License-Identifier: MIT */
/*
 * config.c - the frontend's settings, from the environment:
 *   VDRI_ADDR        backend address (default unix:/run/vdri.sock)
 *   VDRI_PATHS       ':'-separated globs of forwarded paths (default /dev/dri/[a-z]*)
 *   VDRI_NAME        guest identity sent in HELLO (default: the host name)
 *   VDRI_LOG         1: diagnostics on stderr
 *   VDRI_TIMEOUT_MS  connect timeout (default 3000)
 */
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
	snprintf(fcfg.addr_uri, sizeof(fcfg.addr_uri), "%s",
		 addr && *addr ? addr : "unix:/run/vdri.sock");
	if (vt_parse(fcfg.addr_uri, &fcfg.addr, err, sizeof(err))) {
		fcfg.log = 1;
		front_log("VDRI_ADDR: %s; forwarding disabled", err);
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
