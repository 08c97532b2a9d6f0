/* SPDX-License-Identifier: MIT */
/*
 * drm_kms.c - the KMS family: resources, CRTCs, encoders, connectors,
 * properties and blobs, planes, framebuffers, flips, cursors, dumb
 * buffers, atomic commits, vblank and sequence waits, leases.
 * UAPI: libdrm-dev's drm.h and drm_mode.h (2.4.114).
 *
 * Count-then-fill calls (GETRESOURCES, GETCONNECTOR, GETPROPERTY, ...):
 * each array is as large as the guest's count says; the kernel fills it
 * only when it is large enough and writes the real count back, exactly as
 * natively, so libdrm's retry loops see what they would see natively.
 * ATOMIC: the property and value arrays are as long as the sum of the
 * per-object counts (sum_of).  Property values are plain data to the
 * engine; the two that are not (IN_FENCE_FD holds an fd, OUT_FENCE_PTR a
 * user pointer) travel with the fenced variant below (drm-front's
 * drmdev.c and drm-back's drm_atomic.c translate them).
 * Left out: ATTACHMODE/DETACHMODE (removed from the kernel: it returns
 * 0 and does nothing), legacy SETPROPERTY is kept (libdrm's
 * drmModeConnectorSetProperty uses it).
 * Event timestamps (vblank, flip, sequence) are the driver VM's clock.
 * Coherence: everything that scans out or reads a buffer the CPU may have
 * written publishes guest writes first (M_F_PUBLISH).
 * Display: everything that changes what is shown or who controls the
 * display (mode setting, flips, cursors, gamma, properties, leases) is
 * M_F_DISPLAY, refused to a render-only guest (isolation/guest.h).
 */
#include "drm_class.h"

/* clang-format off */
#define OUT_IDS(type, ptr, cnt) M_ARRAY_F(type, ptr, cnt, sizeof(uint32_t), DRM_MAX_OBJS, M_OUT)
#define IN_IDS(type, ptr, cnt) M_ARRAY_F(type, ptr, cnt, sizeof(uint32_t), DRM_MAX_OBJS, M_IN)

static const struct m_field card_res_fields[] = {
	OUT_IDS(struct drm_mode_card_res, fb_id_ptr, count_fbs),
	OUT_IDS(struct drm_mode_card_res, crtc_id_ptr, count_crtcs),
	OUT_IDS(struct drm_mode_card_res, connector_id_ptr, count_connectors),
	OUT_IDS(struct drm_mode_card_res, encoder_id_ptr, count_encoders),
	M_END_F,
};

static const struct m_field setcrtc_fields[] = {
	IN_IDS(struct drm_mode_crtc, set_connectors_ptr, count_connectors),
	M_END_F,
};

/* GETCRTC ignores set_connectors_ptr: nothing to describe */

static const struct m_field gamma_get_fields[] = {
	M_ARRAY_F(struct drm_mode_crtc_lut, red, gamma_size, sizeof(uint16_t), DRM_MAX_OBJS, M_OUT),
	M_ARRAY_F(struct drm_mode_crtc_lut, green, gamma_size, sizeof(uint16_t), DRM_MAX_OBJS, M_OUT),
	M_ARRAY_F(struct drm_mode_crtc_lut, blue, gamma_size, sizeof(uint16_t), DRM_MAX_OBJS, M_OUT),
	M_END_F,
};

static const struct m_field gamma_set_fields[] = {
	M_ARRAY_F(struct drm_mode_crtc_lut, red, gamma_size, sizeof(uint16_t), DRM_MAX_OBJS, M_IN),
	M_ARRAY_F(struct drm_mode_crtc_lut, green, gamma_size, sizeof(uint16_t), DRM_MAX_OBJS, M_IN),
	M_ARRAY_F(struct drm_mode_crtc_lut, blue, gamma_size, sizeof(uint16_t), DRM_MAX_OBJS, M_IN),
	M_END_F,
};

static const struct m_field connector_fields[] = {
	OUT_IDS(struct drm_mode_get_connector, encoders_ptr, count_encoders),
	M_ARRAY_F(struct drm_mode_get_connector, modes_ptr, count_modes,
		  sizeof(struct drm_mode_modeinfo), DRM_MAX_OBJS, M_OUT),
	OUT_IDS(struct drm_mode_get_connector, props_ptr, count_props),
	M_ARRAY_F(struct drm_mode_get_connector, prop_values_ptr, count_props, sizeof(uint64_t),
		  DRM_MAX_OBJS, M_OUT),
	M_END_F,
};

static const struct m_field property_fields[] = {
	M_ARRAY_F(struct drm_mode_get_property, values_ptr, count_values, sizeof(uint64_t),
		  DRM_MAX_OBJS, M_OUT),
	M_ARRAY_F(struct drm_mode_get_property, enum_blob_ptr, count_enum_blobs,
		  sizeof(struct drm_mode_property_enum), DRM_MAX_OBJS, M_OUT),
	M_END_F,
};

static const struct m_field get_blob_fields[] = {
	M_ARRAY_F(struct drm_mode_get_blob, data, length, 1, DRM_MAX_BLOB, M_OUT),
	M_END_F,
};

static const struct m_field create_blob_fields[] = {
	M_ARRAY_F(struct drm_mode_create_blob, data, length, 1, DRM_MAX_BLOB, M_IN),
	M_END_F,
};

static const struct m_field dirtyfb_fields[] = {
	M_ARRAY_F(struct drm_mode_fb_dirty_cmd, clips_ptr, num_clips, sizeof(struct drm_clip_rect),
		  DRM_MAX_OBJS, M_IN),
	M_END_F,
};

static const struct m_field plane_res_fields[] = {
	OUT_IDS(struct drm_mode_get_plane_res, plane_id_ptr, count_planes),
	M_END_F,
};

static const struct m_field plane_fields[] = {
	OUT_IDS(struct drm_mode_get_plane, format_type_ptr, count_format_types),
	M_END_F,
};

static const struct m_field obj_props_fields[] = {
	OUT_IDS(struct drm_mode_obj_get_properties, props_ptr, count_props),
	M_ARRAY_F(struct drm_mode_obj_get_properties, prop_values_ptr, count_props,
		  sizeof(uint64_t), DRM_MAX_OBJS, M_OUT),
	M_END_F,
};

static const struct m_field atomic_fields[] = {
	IN_IDS(struct drm_mode_atomic, objs_ptr, count_objs),
	IN_IDS(struct drm_mode_atomic, count_props_ptr, count_objs),
	M_SUM_F(struct drm_mode_atomic, props_ptr, 1, sizeof(uint32_t), DRM_MAX_OBJS, M_IN),
	M_SUM_F(struct drm_mode_atomic, prop_values_ptr, 1, sizeof(uint64_t), DRM_MAX_OBJS, M_IN),
	M_END_F,
};

static const struct m_field create_lease_fields[] = {
	IN_IDS(struct drm_mode_create_lease, object_ids, object_count),
	M_FD_F(struct drm_mode_create_lease, fd, M_OUT),
	M_END_F,
};

static const struct m_field list_lessees_fields[] = {
	OUT_IDS(struct drm_mode_list_lessees, lessees_ptr, count_lessees),
	M_END_F,
};

static const struct m_field get_lease_fields[] = {
	OUT_IDS(struct drm_mode_get_lease, objects_ptr, count_objects),
	M_END_F,
};

#define SCANOUT M_F_PUBLISH
/* Changes what is shown or who controls the display (not for render-only guests). */
#define DISPLAY M_F_DISPLAY

static const struct m_ioctl kms_ioctls[] = {
	DRM_IOC(DRM_IOCTL_WAIT_VBLANK, union drm_wait_vblank, M_F_MAY_BLOCK, NULL),
	DRM_IOC(DRM_IOCTL_MODESET_CTL, struct drm_modeset_ctl, 0, NULL),
	DRM_IOC(DRM_IOCTL_CRTC_GET_SEQUENCE, struct drm_crtc_get_sequence, 0, NULL),
	DRM_IOC(DRM_IOCTL_CRTC_QUEUE_SEQUENCE, struct drm_crtc_queue_sequence, 0, NULL),
	DRM_IOC(DRM_IOCTL_MODE_GETRESOURCES, struct drm_mode_card_res, 0, card_res_fields),
	DRM_IOC(DRM_IOCTL_MODE_GETCRTC, struct drm_mode_crtc, 0, NULL),
	DRM_IOC(DRM_IOCTL_MODE_SETCRTC, struct drm_mode_crtc, SCANOUT | DISPLAY, setcrtc_fields),
	DRM_IOC(DRM_IOCTL_MODE_CURSOR, struct drm_mode_cursor, SCANOUT | DISPLAY, NULL),
	DRM_IOC(DRM_IOCTL_MODE_GETGAMMA, struct drm_mode_crtc_lut, 0, gamma_get_fields),
	DRM_IOC(DRM_IOCTL_MODE_SETGAMMA, struct drm_mode_crtc_lut, DISPLAY, gamma_set_fields),
	DRM_IOC(DRM_IOCTL_MODE_GETENCODER, struct drm_mode_get_encoder, 0, NULL),
	DRM_IOC(DRM_IOCTL_MODE_GETCONNECTOR, struct drm_mode_get_connector, 0, connector_fields),
	DRM_IOC(DRM_IOCTL_MODE_GETPROPERTY, struct drm_mode_get_property, 0, property_fields),
	DRM_IOC(DRM_IOCTL_MODE_SETPROPERTY, struct drm_mode_connector_set_property, DISPLAY, NULL),
	DRM_IOC(DRM_IOCTL_MODE_GETPROPBLOB, struct drm_mode_get_blob, 0, get_blob_fields),
	DRM_IOC(DRM_IOCTL_MODE_GETFB, struct drm_mode_fb_cmd, 0, NULL),
	DRM_IOC(DRM_IOCTL_MODE_ADDFB, struct drm_mode_fb_cmd, 0, NULL),
	DRM_IOC(DRM_IOCTL_MODE_RMFB, unsigned int, 0, NULL),
	DRM_IOC(DRM_IOCTL_MODE_PAGE_FLIP, struct drm_mode_crtc_page_flip, SCANOUT | DISPLAY, NULL),
	DRM_IOC(DRM_IOCTL_MODE_DIRTYFB, struct drm_mode_fb_dirty_cmd, SCANOUT | DISPLAY,
		dirtyfb_fields),
	DRM_IOC(DRM_IOCTL_MODE_CREATE_DUMB, struct drm_mode_create_dumb, 0, NULL),
	DRM_IOC(DRM_IOCTL_MODE_MAP_DUMB, struct drm_mode_map_dumb, 0, NULL),
	DRM_IOC(DRM_IOCTL_MODE_DESTROY_DUMB, struct drm_mode_destroy_dumb, 0, NULL),
	DRM_IOC(DRM_IOCTL_MODE_GETPLANERESOURCES, struct drm_mode_get_plane_res, 0,
		plane_res_fields),
	DRM_IOC(DRM_IOCTL_MODE_GETPLANE, struct drm_mode_get_plane, 0, plane_fields),
	DRM_IOC(DRM_IOCTL_MODE_SETPLANE, struct drm_mode_set_plane, SCANOUT | DISPLAY, NULL),
	DRM_IOC(DRM_IOCTL_MODE_ADDFB2, struct drm_mode_fb_cmd2, 0, NULL),
	DRM_IOC(DRM_IOCTL_MODE_OBJ_GETPROPERTIES, struct drm_mode_obj_get_properties, 0,
		obj_props_fields),
	DRM_IOC(DRM_IOCTL_MODE_OBJ_SETPROPERTY, struct drm_mode_obj_set_property, DISPLAY, NULL),
	DRM_IOC(DRM_IOCTL_MODE_CURSOR2, struct drm_mode_cursor2, SCANOUT | DISPLAY, NULL),
	DRM_IOC(DRM_IOCTL_MODE_ATOMIC, struct drm_mode_atomic, SCANOUT | DISPLAY | M_F_MAY_BLOCK,
		atomic_fields),
	DRM_IOC(DRM_IOCTL_MODE_CREATEPROPBLOB, struct drm_mode_create_blob, 0, create_blob_fields),
	DRM_IOC(DRM_IOCTL_MODE_DESTROYPROPBLOB, struct drm_mode_destroy_blob, 0, NULL),
	DRM_IOC(DRM_IOCTL_MODE_CREATE_LEASE, struct drm_mode_create_lease, DISPLAY,
		create_lease_fields),
	DRM_IOC(DRM_IOCTL_MODE_LIST_LESSEES, struct drm_mode_list_lessees, 0, list_lessees_fields),
	DRM_IOC(DRM_IOCTL_MODE_GET_LEASE, struct drm_mode_get_lease, 0, get_lease_fields),
	DRM_IOC(DRM_IOCTL_MODE_REVOKE_LEASE, struct drm_mode_revoke_lease, DISPLAY, NULL),
	DRM_IOC(DRM_IOCTL_MODE_GETFB2, struct drm_mode_fb_cmd2, 0, NULL),
};
/* clang-format on */

const struct m_table vdri_drm_kms_table = {"drm-kms", kms_ioctls, CT_COUNT(kms_ioctls)};

/*
 * ATOMIC with fence properties (the frontend's drmdev.c chooses it): the
 * values array comes back, so the backend can return there the handles of
 * the out-fences it made (OUT_FENCE_PTR) and take handles for in-fences
 * (IN_FENCE_FD); the frontend sends its own copy of the array, never the
 * guest's, and turns those handles into fds at the guest's pointers.
 */
/* clang-format off */
static const struct m_field atomic_fenced_fields[] = {
	IN_IDS(struct drm_mode_atomic, objs_ptr, count_objs),
	IN_IDS(struct drm_mode_atomic, count_props_ptr, count_objs),
	M_SUM_F(struct drm_mode_atomic, props_ptr, 1, sizeof(uint32_t), DRM_MAX_OBJS, M_IN),
	M_SUM_F(struct drm_mode_atomic, prop_values_ptr, 1, sizeof(uint64_t), DRM_MAX_OBJS, M_INOUT),
	M_END_F,
};

static const struct m_ioctl kms_variants[] = {
	DRM_IOC(DRM_IOCTL_MODE_ATOMIC, struct drm_mode_atomic,
		SCANOUT | DISPLAY | M_F_MAY_BLOCK | M_F_VARIANT, atomic_fenced_fields),
};
/* clang-format on */

const struct m_table vdri_drm_variants_table = {"drm-variants", kms_variants,
						CT_COUNT(kms_variants)};
