/* SPDX-License-Identifier: MIT */
/*
 * dmabuf.c - ioctls of the files DRM hands out: dma-bufs (PRIME exports)
 * and sync_files (out-fences, syncobj exports).  UAPI: linux-libc-dev's
 * linux/dma-buf.h and linux/sync_file.h (6.1).  They belong to the class
 * of the DRM file whose ioctl created them (core/classes.h).
 *
 * DMA_BUF_IOCTL_SYNC brackets CPU access to a mapped dma-buf: it is both
 * coherence points (START makes device writes visible, END publishes the
 * guest's), which is what the flags would select one of; doing both is
 * always correct.
 * Left out: DMA_BUF_SET_NAME (arg is a pointer to a string of unknown
 * length up to 32 bytes; copying 32 bytes could fault where the kernel's
 * strncpy_from_user would not; a debugging aid).
 * sync_fence_info timestamps are the driver VM's CLOCK_MONOTONIC.
 */
#ifdef __KERNEL__ /* the kernel's <linux/...> are its internal headers */
#include <uapi/linux/dma-buf.h>
#include <uapi/linux/sync_file.h>
#else
#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#endif

#include "drm_class.h"

#define MAX_FENCES 4096u

/* clang-format off */
static const struct m_field export_sync_fields[] = {
	M_FD_F(struct dma_buf_export_sync_file, fd, M_OUT),
	M_END_F,
};

static const struct m_field import_sync_fields[] = {
	M_FD_F(struct dma_buf_import_sync_file, fd, M_IN),
	M_END_F,
};

static const struct m_field merge_fields[] = {
	M_FD_F(struct sync_merge_data, fd2, M_IN),
	M_FD_F(struct sync_merge_data, fence, M_OUT),
	M_END_F,
};

static const struct m_field file_info_fields[] = {
	M_ARRAY_F(struct sync_file_info, sync_fence_info, num_fences, sizeof(struct sync_fence_info),
		  MAX_FENCES, M_OUT),
	M_END_F,
};

static const struct m_ioctl dmabuf_ioctls[] = {
	DRM_IOC(DMA_BUF_IOCTL_SYNC, struct dma_buf_sync, M_F_PUBLISH | M_F_REFRESH, NULL),
	DRM_IOC(DMA_BUF_IOCTL_EXPORT_SYNC_FILE, struct dma_buf_export_sync_file, 0,
		export_sync_fields),
	DRM_IOC(DMA_BUF_IOCTL_IMPORT_SYNC_FILE, struct dma_buf_import_sync_file, 0,
		import_sync_fields),
	DRM_IOC(SYNC_IOC_MERGE, struct sync_merge_data, 0, merge_fields),
	DRM_IOC(SYNC_IOC_FILE_INFO, struct sync_file_info, 0, file_info_fields),
};
/* clang-format on */

const struct m_table vdri_drm_dmabuf_table = {"dma-buf", dmabuf_ioctls, CT_COUNT(dmabuf_ioctls)};
