/* SPDX-License-Identifier: MIT */
/*
 * sysview.h - the guest's view of the driver VM's DRM devices in sysfs and
 * /dev/dri (the frontend side of drm-back/sysinfo.h).
 *
 * The manifest from the backend is materialized as a real directory tree
 * under a private root (mkdtemp under $TMPDIR or /tmp): directories, symlinks
 * and files mirror /sys, plus <root>/dev/dri/<node> placeholders so that
 * readdir("/dev/dri") lists the remote nodes.  The path interposers then
 * redirect the covered paths into the tree and the kernel resolves symlinks
 * and ".." exactly as it would in /sys.
 *
 * Covered paths: "/dev/dri" itself (not the nodes: those are forwarded),
 * "/sys/class/drm" and below, "/sys/dev/char/226:*" and below, and the
 * mirrored device directories (each directory holding a mirrored file, with
 * everything below it) and mirrored links such as /sys/bus/pci/devices/<dev>.
 * A guest directory with the same name as a mirrored one is hidden while the
 * view is installed.
 *
 * The process that installs the tree removes it at exit.  A forked child
 * builds its own copy on first use, so it does not depend on its parent
 * living on.  All functions are thread-safe.
 */
#ifndef VDRI_SYSVIEW_H
#define VDRI_SYSVIEW_H

#include <stddef.h>

#define SYSVIEW_MANIFEST_MAX (4u << 20)

/* Validate and materialize a manifest.  0, or -errno: -EINVAL for a
 * malformed or hostile manifest (nothing is installed then), -EBUSY if this
 * process already has a view. */
int sysview_install(const char *manifest, size_t len);

/*
 * path, or buf holding <root><path> when path is covered by the view.  When
 * no view is installed and path is one that only a DRM client asks for
 * ("/dev/dri", "/sys/class/drm...", "/sys/dev/char/226:..."), the loader set
 * with sysview_set_loader() is called first, once per process.
 * path may be NULL (returned as is).  A result that would not fit in buf
 * leaves path unmapped.
 */
const char *sysview_map(const char *path, char *buf, size_t bufsize);

/* Strip the private root from a path the kernel resolved inside the tree
 * (realpath, readlink of a rewritten absolute link), in place. */
char *sysview_unmap(char *path);

/* The private root, or NULL when no view is installed. */
const char *sysview_root(void);

/* Called at most once per process when a DRM client first touches a
 * covered path before any view exists: it may fetch the manifest and call
 * sysview_install().  Other threads asking for a mapping meanwhile wait for
 * it; the loader's own path calls are not mapped.  It must not call
 * sysview_set_loader(). */
void sysview_set_loader(void (*load)(void));

/* Remove this process's tree and forget the view (tests; not thread-safe
 * against concurrent sysview_map callers). */
void sysview_reset(void);

#endif
