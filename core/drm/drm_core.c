/* SPDX-License-Identifier: MIT */
/*
 * drm_core.c - DRM core ioctls (every DRM file): version and caps,
 * authentication and master, GEM names, PRIME, and the syncobj family.
 * UAPI: libdrm-dev's drm.h (2.4.114; the same layouts as the 6.1 kernel).
 *
 * Shapes the numbers do not say:
 *  - VERSION and GET_UNIQUE: strings written at pointers whose buffer
 *    sizes are size_t length fields (the kernel writes the real lengths
 *    back; a call with short buffers is a query, as natively);
 *  - PRIME and syncobj handle<->fd: fd fields (new forwarded files out,
 *    the guest's forwarded fds in);
 *  - syncobj waits: handle (and point) arrays, and an absolute
 *    CLOCK_MONOTONIC deadline, which travels relative (M_TIME): the
 *    driver VM's clock is not the guest's;
 *  - syncobj QUERY writes the points array.
 * Left out: the pre-KMS "legacy" ioctls (maps, buffers, contexts, AGP,
 * scatter-gather, draw, DMA, lock; drivers of the 2000s; the kernel
 * refuses them for modern drivers anyway), GET_CLIENT/GET_STATS/IRQ_BUSID
 * (legacy), SET_UNIQUE (refused by modern kernels).  SYNCOBJ_EVENTFD is
 * not in these headers (kernel 6.6+); it takes an eventfd of the caller,
 * which is not a device file and cannot be forwarded as one.
 * Coherence: syncobj waits make device writes visible (M_F_REFRESH).
 * Display: master and authentication (M_F_DISPLAY) are refused to a
 * render-only guest (isolation/guest.h).
 */
#include "drm_class.h"

/* clang-format off */
static const struct m_field version_fields[] = {
	M_ARRAY_F(struct drm_version, name, name_len, 1, DRM_MAX_NAME, M_OUT),
	M_ARRAY_F(struct drm_version, date, date_len, 1, DRM_MAX_NAME, M_OUT),
	M_ARRAY_F(struct drm_version, desc, desc_len, 1, DRM_MAX_NAME, M_OUT),
	M_END_F,
};

static const struct m_field unique_fields[] = {
	M_ARRAY_F(struct drm_unique, unique, unique_len, 1, DRM_MAX_NAME, M_OUT),
	M_END_F,
};

static const struct m_field prime_to_fd_fields[] = {
	M_FD_F(struct drm_prime_handle, fd, M_OUT),
	M_END_F,
};

static const struct m_field prime_from_fd_fields[] = {
	M_FD_F(struct drm_prime_handle, fd, M_IN),
	M_END_F,
};

static const struct m_field syncobj_to_fd_fields[] = {
	M_FD_F(struct drm_syncobj_handle, fd, M_OUT),
	M_END_F,
};

static const struct m_field syncobj_from_fd_fields[] = {
	M_FD_F(struct drm_syncobj_handle, fd, M_IN),
	M_END_F,
};

static const struct m_field syncobj_wait_fields[] = {
	M_ARRAY_F(struct drm_syncobj_wait, handles, count_handles, sizeof(uint32_t),
		  DRM_MAX_OBJS, M_IN),
	M_TIME_F(struct drm_syncobj_wait, timeout_nsec),
	M_END_F,
};

static const struct m_field syncobj_timeline_wait_fields[] = {
	M_ARRAY_F(struct drm_syncobj_timeline_wait, handles, count_handles, sizeof(uint32_t),
		  DRM_MAX_OBJS, M_IN),
	M_ARRAY_F(struct drm_syncobj_timeline_wait, points, count_handles, sizeof(uint64_t),
		  DRM_MAX_OBJS, M_IN),
	M_TIME_F(struct drm_syncobj_timeline_wait, timeout_nsec),
	M_END_F,
};

static const struct m_field syncobj_array_fields[] = {
	M_ARRAY_F(struct drm_syncobj_array, handles, count_handles, sizeof(uint32_t),
		  DRM_MAX_OBJS, M_IN),
	M_END_F,
};

static const struct m_field syncobj_timeline_signal_fields[] = {
	M_ARRAY_F(struct drm_syncobj_timeline_array, handles, count_handles, sizeof(uint32_t),
		  DRM_MAX_OBJS, M_IN),
	M_ARRAY_F(struct drm_syncobj_timeline_array, points, count_handles, sizeof(uint64_t),
		  DRM_MAX_OBJS, M_IN),
	M_END_F,
};

static const struct m_field syncobj_query_fields[] = {
	M_ARRAY_F(struct drm_syncobj_timeline_array, handles, count_handles, sizeof(uint32_t),
		  DRM_MAX_OBJS, M_IN),
	M_ARRAY_F(struct drm_syncobj_timeline_array, points, count_handles, sizeof(uint64_t),
		  DRM_MAX_OBJS, M_OUT),
	M_END_F,
};

#define WAIT_FLAGS (M_F_MAY_BLOCK | M_F_REFRESH)

static const struct m_ioctl core_ioctls[] = {
	DRM_IOC(DRM_IOCTL_VERSION, struct drm_version, 0, version_fields),
	DRM_IOC(DRM_IOCTL_GET_UNIQUE, struct drm_unique, 0, unique_fields),
	DRM_IOC(DRM_IOCTL_GET_MAGIC, struct drm_auth, 0, NULL),
	DRM_IOC(DRM_IOCTL_SET_VERSION, struct drm_set_version, 0, NULL),
	DRM_IOC(DRM_IOCTL_GEM_CLOSE, struct drm_gem_close, 0, NULL),
	DRM_IOC(DRM_IOCTL_GEM_FLINK, struct drm_gem_flink, 0, NULL),
	DRM_IOC(DRM_IOCTL_GEM_OPEN, struct drm_gem_open, 0, NULL),
	DRM_IOC(DRM_IOCTL_GET_CAP, struct drm_get_cap, 0, NULL),
	DRM_IOC(DRM_IOCTL_SET_CLIENT_CAP, struct drm_set_client_cap, 0, NULL),
	DRM_IOC(DRM_IOCTL_AUTH_MAGIC, struct drm_auth, M_F_DISPLAY, NULL),
	DRM_NOARG(DRM_IOCTL_SET_MASTER, M_F_DISPLAY),
	DRM_NOARG(DRM_IOCTL_DROP_MASTER, M_F_DISPLAY),
	DRM_IOC(DRM_IOCTL_PRIME_HANDLE_TO_FD, struct drm_prime_handle, 0, prime_to_fd_fields),
	DRM_IOC(DRM_IOCTL_PRIME_FD_TO_HANDLE, struct drm_prime_handle, 0, prime_from_fd_fields),
	DRM_IOC(DRM_IOCTL_SYNCOBJ_CREATE, struct drm_syncobj_create, 0, NULL),
	DRM_IOC(DRM_IOCTL_SYNCOBJ_DESTROY, struct drm_syncobj_destroy, 0, NULL),
	DRM_IOC(DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, struct drm_syncobj_handle, 0, syncobj_to_fd_fields),
	DRM_IOC(DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, struct drm_syncobj_handle, 0,
		syncobj_from_fd_fields),
	DRM_IOC(DRM_IOCTL_SYNCOBJ_WAIT, struct drm_syncobj_wait, WAIT_FLAGS, syncobj_wait_fields),
	DRM_IOC(DRM_IOCTL_SYNCOBJ_RESET, struct drm_syncobj_array, 0, syncobj_array_fields),
	DRM_IOC(DRM_IOCTL_SYNCOBJ_SIGNAL, struct drm_syncobj_array, 0, syncobj_array_fields),
	DRM_IOC(DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, struct drm_syncobj_timeline_wait, WAIT_FLAGS,
		syncobj_timeline_wait_fields),
	DRM_IOC(DRM_IOCTL_SYNCOBJ_QUERY, struct drm_syncobj_timeline_array, 0,
		syncobj_query_fields),
	DRM_IOC(DRM_IOCTL_SYNCOBJ_TRANSFER, struct drm_syncobj_transfer, 0, NULL),
	DRM_IOC(DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, struct drm_syncobj_timeline_array, 0,
		syncobj_timeline_signal_fields),
};
/* clang-format on */

const struct m_table vdri_drm_core_table = {"drm-core", core_ioctls, CT_COUNT(core_ioctls)};
