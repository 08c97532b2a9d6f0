/* SPDX-License-Identifier: MIT */
/* drm_res_private.h - the rule format shared by drm_res.c and drm_res_rules.c. */
#ifndef VDRI_ISO_DRM_RES_PRIVATE_H
#define VDRI_ISO_DRM_RES_PRIVATE_H

#include "isolation/drm_res.h"

#define RES_NONE 0xffffu
#define RES_SIZE_MAX (1ull << 62) /* estimates saturate here */

enum res_kind {
	R_CREATE, /* h_out: new handle; estimate; size_out: exact u64 size; v_out: u64 map offset */
	R_CLOSE,  /* h_in: handle released */
	R_EXPORT, /* h_in: handle; the call makes a dma-buf file */
	R_IMPORT, /* v_in: dma-buf fd; h_out: handle */
	R_FLINK,  /* h_in: handle; v_out: u32 GEM name */
	R_OPEN_NAME, /* v_in: u32 GEM name; h_out: handle */
	R_MAP,	     /* h_in: handle; v_out: u64 mmap offset */
	R_FB_ADD,    /* h_in: nh u32 handles (0 = none); v_out: u32 framebuffer id */
	R_FB_RM,     /* v_in: u32 framebuffer id */
};

struct iso_res_rule {
	const char *driver; /* NULL: every DRM driver */
	uint32_t cmd;
	uint8_t kind; /* enum res_kind */
	uint16_t h_in;
	uint8_t nh_in;
	uint16_t h_out;
	uint16_t v_in;
	uint16_t v_out;
	uint16_t size_out;
	uint64_t (*estimate)(const void *arg, int *dom);
	int (*applies)(const void *arg); /* NULL: always */
};

extern const struct iso_res_rule iso_res_rules[];
extern const unsigned iso_res_nrules;

#endif
