/* SPDX-License-Identifier: MIT */
/*
 * drmdev.c - the driver behind a forwarded DRM file: asked once, through
 * the file itself (DRM_IOCTL_VERSION, forwarded with the core table), when
 * the file is opened or restored after exec.  The backend asks its real
 * file the same question, so both sides use the same driver table.
 */
#include <stdlib.h>
#include <string.h>

#include <drm.h>

#include "drm-front/preload/front.h"
#include "drm-front/preload/sysview.h"

void drmdev_probe(int fd)
{
	char name[64] = "";
	struct drm_version v = {.name_len = sizeof(name) - 1, .name = name};
	struct rfile *f = rfile_get(fd);

	if (!f)
		return;
	if (f->cls && f->cls->drivers && fop_ioctl(f, DRM_IOCTL_VERSION, &v) == 0 &&
	    v.name_len < sizeof(name)) {
		name[v.name_len] = '\0';
		f->drv = vdri_class_driver(f->cls, name);
	}
	rfile_put(f);
}

/*
 * The driver VM's sysfs view, fetched on the first DRM discovery path a
 * program looks at (sysview.c calls this once).  Without a backend there
 * is simply no view: the program sees no DRM devices, as natively.
 */
static void sysview_load(void)
{
	struct fconn *c = conn_get_current();
	struct wire_hdr *rep = NULL;
	const void *body;
	uint32_t len;
	int64_t r;

	if (!c)
		return;
	r = conn_call(c, WIRE_OP_SYSINFO, 0, NULL, 0, &rep);
	if (r >= 0) {
		body = reply_body(rep, &len);
		r = sysview_install(body, len);
		if (r)
			front_log("sysfs view of the driver VM rejected: %s", strerror((int)-r));
	}
	free(rep);
	conn_put(c);
}

void drmdev_init(void)
{
	sysview_set_loader(sysview_load);
}
