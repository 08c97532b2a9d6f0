/* SPDX-License-Identifier: MIT */
/* policy.c - export globs and the ioctl verdict (descriptor, flat or refused). */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "isolation/policy.h"

int iso_policy_add_export(struct iso_policy *p, const char *glob)
{
	if (!glob || glob[0] != '/')
		return -EINVAL;
	if (p->nexports >= ISO_MAX_EXPORTS)
		return -ENOSPC;
	p->exports[p->nexports] = strdup(glob);
	if (!p->exports[p->nexports])
		return -ENOMEM;
	p->nexports++;
	return 0;
}

void iso_policy_fini(struct iso_policy *p)
{
	for (int i = 0; i < p->nexports; i++)
		free(p->exports[i]);
	p->nexports = 0;
}

/* Canonical: absolute, no empty, "." or ".." components, no trailing '/'. */
static int path_canonical(const char *path)
{
	const char *c = path;

	if (path[0] != '/' || path[1] == '\0')
		return 0;
	while (*c == '/') {
		const char *end = strchr(c + 1, '/');
		size_t n = end ? (size_t)(end - c - 1) : strlen(c + 1);

		if (n == 0 || (n == 1 && c[1] == '.') || (n == 2 && c[1] == '.' && c[2] == '.'))
			return 0;
		if (!end)
			return 1;
		c = end;
	}
	return 1;
}

int iso_may_open(const struct iso_policy *p, const char *path, const char **why)
{
	if (!path_canonical(path)) {
		*why = "path is not absolute and canonical";
		return -EINVAL;
	}
	for (int i = 0; i < p->nexports; i++)
		if (fnmatch(p->exports[i], path, FNM_PATHNAME) == 0)
			return 0;
	*why = "path is not exported";
	return -EACCES;
}

enum iso_verdict iso_ioctl_verdict(const struct iso_policy *p, const struct m_ioctl *d,
				   uint32_t cmd)
{
	(void)cmd;
	if (d)
		return ISO_DESC;
	return p->flat_ioctl ? ISO_FLAT : ISO_DENY;
}

const char *iso_verdict_name(enum iso_verdict v)
{
	switch (v) {
	case ISO_DESC:
		return "descriptor";
	case ISO_FLAT:
		return "flat";
	default:
		return "refused";
	}
}
