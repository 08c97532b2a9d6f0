/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sysview.c - arbitrary SYSINFO manifests (sent by the backend, so
 * hostile to the guest) against the frontend's parser and tree builder:
 * nothing may be written outside the private root, and every path the
 * mapping hands out must lie inside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../drm-front/preload/sysview.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const probes[] = {"/dev/dri", "/sys/class/drm/card0",
					     "/sys/dev/char/226:0/device", "/sys/devices/x",
					     "/etc/passwd"};
	char buf[4096];
	const char *root, *m;

	if (size > (1u << 16))
		return 0;
	if (sysview_install((const char *)data, size) == 0) {
		root = sysview_root();
		for (size_t i = 0; root && i < sizeof(probes) / sizeof(probes[0]); i++) {
			m = sysview_map(probes[i], buf, sizeof(buf));
			if (m != probes[i] && strncmp(m, root, strlen(root)))
				abort(); /* mapped outside the private root */
		}
	}
	sysview_reset();
	return 0;
}
