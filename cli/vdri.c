/* SPDX-License-Identifier: MIT */
/*
 * vdri.c - the vdri command line.
 *
 *   vdri status [-s URI]         what the driver-VM daemon serves: per guest
 *                                its sessions, open files, memory used per
 *                                domain against its partition, ioctl counts
 *                                and refusals (drm-back "status" directive)
 *   vdri bench [ARGS...]         the benchmark suite (bench/suite.sh of the
 *                                source tree this binary was built in, or
 *                                $VDRI_ROOT/bench/suite.sh): ARGS go to it
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdri/transport.h"

#define STATUS_DEFAULT "unix:/run/vdri-status.sock"

static int usage(FILE *f)
{
	fprintf(f,
		"usage: vdri status [-s unix:PATH|tcp:HOST:PORT]   (default %s, or $VDRI_STATUS)\n"
		"       vdri bench [--quick] [--parts LIST] [--out DIR] [--no-readme]   "
		"(vdri bench --help)\n",
		STATUS_DEFAULT);
	return f == stdout ? 0 : 2;
}

static int cmd_status(int argc, char **argv)
{
	const char *uri = getenv("VDRI_STATUS") ? getenv("VDRI_STATUS") : STATUS_DEFAULT;
	struct vt_addr a;
	char err[256], buf[65536];
	ssize_t n;
	int fd, o;

	while ((o = getopt(argc, argv, "s:h")) != -1) {
		if (o == 's')
			uri = optarg;
		else
			return usage(o == 'h' ? stdout : stderr);
	}
	if (optind != argc)
		return usage(stderr);
	if (vt_parse(uri, &a, err, sizeof(err))) {
		fprintf(stderr, "vdri status: %s\n", err);
		return 2;
	}
	if (a.kind != VT_UNIX && a.kind != VT_TCP) {
		fprintf(stderr, "vdri status: %s: the status address is unix: or tcp:\n", uri);
		return 2;
	}
	fd = vt_connect(&a, 2000);
	if (fd < 0) {
		fprintf(stderr, "vdri status: %s: %s (is vdri-backd running with 'status %s'?)\n",
			uri, strerror(-fd), uri);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	close(fd);
	if (n < 0) {
		fprintf(stderr, "vdri status: read: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * The suite is a script of the source tree: $VDRI_ROOT, else the tree this
 * binary sits in (BUILD/bin/vdri -> BUILD/../..).
 */
static int cmd_bench(int argc, char **argv)
{
	char exe[PATH_MAX], script[PATH_MAX + 32];
	const char *root = getenv("VDRI_ROOT");
	ssize_t n;
	char **args;

	if (root && *root) {
		snprintf(script, sizeof(script), "%s/bench/suite.sh", root);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0) {
			fprintf(stderr, "vdri bench: cannot find this program: %s\n",
				strerror(errno));
			return 1;
		}
		exe[n] = 0;
		for (int up = 0; up < 4; up++) { /* ROOT/build/release/bin/vdri -> ROOT */
			char *slash = strrchr(exe, '/');

			if (slash)
				*slash = 0;
		}
		snprintf(script, sizeof(script), "%s/bench/suite.sh", exe);
	}
	if (access(script, X_OK)) {
		fprintf(stderr, "vdri bench: %s: %s (set VDRI_ROOT to the vdri source tree)\n",
			script, strerror(errno));
		return 1;
	}
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args)
		return 1;
	args[0] = script;
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	execv(script, args);
	fprintf(stderr, "vdri bench: %s: %s\n", script, strerror(errno));
	free(args);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "bench"))
		return cmd_bench(argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(stdout);
	fprintf(stderr, "vdri: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
