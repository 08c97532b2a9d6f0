/* SPDX-License-Identifier: MIT */
/*
 * policy.c - export globs and the ioctl verdict (descriptor, flat or
 * refused), daemon-wide and for one guest.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "isolation/guest.h"
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

int iso_path_canonical(const char *path)
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
	if (!iso_path_canonical(path)) {
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

static int cmd_listed(const uint32_t *list, int n, uint32_t cmd)
{
	for (int i = 0; i < n; i++)
		if (list[i] == cmd)
			return 1;
	return 0;
}

static enum iso_verdict deny(int e, const char *reason, int *err, const char **why)
{
	*err = e;
	*why = reason;
	return ISO_DENY;
}

enum iso_verdict iso_guest_ioctl_verdict(const struct iso_policy *p, const struct iso_guest *g,
					 const struct m_ioctl *d, uint32_t cmd, int display_file,
					 int *err, const char **why)
{
	int allowed = g && cmd_listed(g->allow, g->nallow, cmd);

	*err = 0;
	*why = NULL;
	if (g && cmd_listed(g->deny, g->ndeny, cmd))
		return deny(EACCES, "denied for this guest", err, why);
	if (d && (d->flags & M_F_DISPLAY) && !allowed) {
		if (g && g->role == ISO_ROLE_RENDER)
			return deny(EACCES, "display ioctl, guest role render", err, why);
		if (!display_file)
			return deny(EACCES,
				    "display ioctl on a file that is not this guest's display", err,
				    why);
	}
	if (d)
		return ISO_DESC;
	if (allowed || p->flat_ioctl)
		return ISO_FLAT;
	return deny(ENOTTY, "no descriptor, flat forwarding denied", err, why);
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
