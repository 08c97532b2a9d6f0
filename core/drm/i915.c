/* SPDX-License-Identifier: MIT */
/*
 * i915.c - driver "i915" (Intel integrated and DG1/DG2 graphics).  UAPI:
 * libdrm-dev's i915_drm.h (2.4.114, the same layouts as the 6.1 kernel);
 * every entry's size is checked against it at compile time.  No such device
 * in the test rig: the table is checked, never run against real hardware.
 *
 * Shapes the numbers do not say:
 *  - GETPARAM's value is a user pointer to an int the kernel writes;
 *  - PREAD/PWRITE move size bytes at data_ptr;
 *  - QUERY: items_ptr is an array of query items, each with its own
 *    data_ptr/length buffer, which the kernel may read (engine and
 *    perf-config queries check or take their header) and writes;
 *  - EXECBUFFER2(_WR): buffers_ptr is an array of exec objects, each with
 *    its relocation list (the kernel writes offsets and presumed offsets
 *    back into both); with I915_EXEC_USE_EXTENSIONS cliprects_ptr is a
 *    chain of timeline-fence extensions (handles and values arrays); the
 *    in-fence fd is the low half of rsvd2 (FENCE_IN or FENCE_SUBMIT), the
 *    out-fence fd the high half (FENCE_OUT, _WR only: the plain number does
 *    not copy the struct back);
 *  - CONTEXT_CREATE_EXT with USE_EXTENSIONS: a chain of setparam links;
 *  - PERF_OPEN: properties_ptr is an array of (id, value) u64 pairs and
 *    returns a stream fd; PERF_ADD_CONFIG: three register-pair arrays;
 *  - CONTEXT_CREATE (the 8-byte struct) is the same ioctl as _EXT: the
 *    kernel zero-fills the rest, so its extensions pointer is 0 whatever
 *    the guest put in pad (which lands in flags);
 *  - MMAP_OFFSET and VM_CREATE/DESTROY carry an extensions pointer for which
 *    the 6.1 kernel knows no extension: it reads the first header and
 *    refuses.  The header is copied, so the kernel reads our copy, never a
 *    guest address.
 *
 * Refused subsets (a "refusal" is a field that fails the call with -EINVAL
 * when the data says the kernel would dereference a pointer the engine
 * cannot describe; see I915_REFUSE):
 *  - EXECBUFFER2 with I915_EXEC_FENCE_ARRAY and num_cliprects != 0: with
 *    that flag cliprects_ptr is an array of drm_i915_gem_exec_fence, with
 *    USE_EXTENSIONS the same field is an extension chain.  The engine
 *    accepts variants at one offset only for fd fields, so only one meaning
 *    can be described; the extension chain is (it carries timeline points
 *    too).  With FENCE_ARRAY and num_cliprects == 0 the kernel reads
 *    nothing there.  Engine feature that would lift it: mutually exclusive
 *    (cond_val) variants for pointer fields, as for fds.
 *  - CONTEXT_GETPARAM/SETPARAM and the CONTEXT_CREATE_EXT setparam links
 *    with param SSEU (value points at a drm_i915_gem_context_param_sseu)
 *    and ENGINES (value points at an i915_context_param_engines, whose own
 *    extension chain mixes load-balance, bond and parallel-submit links of
 *    different sizes with flexible arrays).  SSEU is refused when value is
 *    non-null, ENGINES when size is non-zero (with size 0 the kernel reads
 *    nothing: set refuses the size, get reports it).  Every other param is
 *    a plain value.  Engine features: exclusive pointer variants (SSEU
 *    could then be described) and tagged unions (an element whose layout
 *    is chosen by a tag field: i915_user_extension.name).
 *  - PERF_OPEN with DRM_I915_PERF_PROP_GLOBAL_SSEU: that property's value
 *    is a pointer; refused when non-null.
 *
 * Left out:
 *  - GEM_MMAP: the kernel maps the object into the caller's address space
 *    (the backend's) and returns that CPU address, which means nothing in
 *    the guest; MMAP_OFFSET/MMAP_GTT and mmap(2) of the device do the job.
 *  - GEM_USERPTR: makes an object of the caller's own memory; the caller is
 *    the backend, whose memory is not the guest's.
 *  - GEM_CREATE_EXT: its extension chain mixes MEMORY_REGIONS (48 bytes,
 *    with a regions pointer) and PROTECTED_CONTENT (40 bytes) links chosen
 *    by name, and "extensions must be 0" cannot be required.  Engine
 *    features: tagged unions, or a field that refuses a non-null pointer.
 *    GEM_CREATE (system memory) is described.
 *  - DRI1/UMS-era ioctls (INIT, FLUSH, FLIP, BATCHBUFFER, IRQ_EMIT/WAIT,
 *    ALLOC/FREE/INIT_HEAP/DESTROY_HEAP, CMDBUFFER, SET/GET_VBLANK_PIPE,
 *    VBLANK_SWAP, HWS_ADDR, GEM_INIT, GEM_EXECBUFFER (removed in 5.13),
 *    GEM_PIN/UNPIN, GEM_ENTERVT/LEAVEVT): the 6.1 kernel no longer
 *    implements them; several carry raw user pointers.
 *
 * Known limits of what is described:
 *  - EXECBUFFER2 (the write-only number) with I915_EXEC_FENCE_OUT: the
 *    kernel installs an out-fence fd in the backend but does not copy the
 *    struct back, so nobody learns it: one backend fd leaks per such call
 *    (natively the caller leaks it the same way).  No free field exists to
 *    hang a refusal on; the engine would need a plain "refuse when"
 *    field kind.
 *  - QUERY items with a negative length fail the whole call with -EINVAL
 *    (natively the kernel reports -EINVAL in that item's length).
 *  - PREAD/PWRITE are bounded at I915_MAX_RW bytes per call.
 *
 * Coherence: EXECBUFFER2(_WR), PREAD (the kernel reads the object), PWRITE,
 * SW_FINISH ("CPU done writing", e.g. before scanout) and OVERLAY_PUT_IMAGE
 * publish guest writes first (M_F_PUBLISH); GEM_WAIT, SET_DOMAIN (waits for
 * rendering before CPU access), BUSY (a poll: "idle" is followed by reads),
 * and PWRITE (the object changed under the guest's mappings) refresh the
 * guest's copies afterwards (M_F_REFRESH).  GEM_WAIT's timeout is relative
 * (and rewritten with the time left): it needs no clock translation.
 */
#include "drm_class.h"

#include <i915_drm.h>

/* clang-format off */
#define I915_MAX_RELOCS 65536u   /* relocation entries per exec object */
#define I915_MAX_FENCES 4096u    /* timeline fences per extension */
#define I915_MAX_RW (4u << 20)   /* PREAD/PWRITE bytes per call */
#define I915_MAX_QUERY_ITEMS 256u
#define I915_MAX_PERF_PROPS 64u  /* the kernel accepts fewer */
#define I915_MAX_OA_REGS 4096u   /* register pairs per OA config array */

#define I915_OFF(type, f) __builtin_offsetof(type, f)

/*
 * A refusal (M_REFUSE): the call fails with -EINVAL when ptr is non-zero
 * while (u32 at condf & mask) == val; a zero ptr is left to the kernel
 * (each use says why it then reads nothing).
 */
#define I915_REFUSE(type, ptr, condf, mask, val) M_REFUSE_F(type, ptr, condf, mask, val)

/* One link of an extension chain: a pointer to exactly one elem_type. */
#define I915_LINK_F(type, ptr, elem_type, desc)                                                   \
	{.kind = M_STRUCTS, .dir = M_IN, .ptr_size = M_FIELD_SIZEOF(type, ptr),                   \
	 .ptr_off = I915_OFF(type, ptr), .elem_size = sizeof(elem_type), .max = 1,               \
	 .elem = (desc), .name = #ptr}
/* The same, only when (u32 at condf & mask) == val (val 0: any bit of mask). */
#define I915_LINK_WHEN_F(type, ptr, elem_type, desc, condf, mask, val)                            \
	{.kind = M_STRUCTS, .dir = M_IN, .ptr_size = M_FIELD_SIZEOF(type, ptr),                   \
	 .ptr_off = I915_OFF(type, ptr), .elem_size = sizeof(elem_type), .max = 1,               \
	 .elem = (desc), .cond_off = I915_OFF(type, condf), .cond_mask = (mask),                 \
	 .cond_val = (val), .name = #ptr}

/* An extensions pointer the 6.1 kernel reads one header of, then refuses. */
#define I915_EXT_HEADER_F(type, ptr)                                                               \
	M_FIXED_F(type, ptr, sizeof(struct i915_user_extension), 1, M_IN)

typedef struct drm_i915_gem_execbuffer2 i915_eb2;
typedef struct drm_i915_gem_execbuffer_ext_timeline_fences i915_tl_ext;
typedef struct drm_i915_gem_context_param i915_ctx_param;
typedef struct drm_i915_gem_context_create_ext_setparam i915_ctx_setparam;

/* What DRM_I915_PERF_OPEN's properties_ptr points at: (id, value) pairs. */
struct i915_perf_prop {
	__u64 id;
	__u64 value;
};

#define I915_EB_FENCE_FLAGS (I915_EXEC_FENCE_ARRAY | I915_EXEC_USE_EXTENSIONS)

static const struct m_field i915_getparam_fields[] = {
	M_FIXED_F(drm_i915_getparam_t, value, sizeof(int), 1, M_OUT),
	M_END_F,
};

static const struct m_field i915_pread_fields[] = {
	M_ARRAY_F(struct drm_i915_gem_pread, data_ptr, size, 1, I915_MAX_RW, M_OUT),
	M_END_F,
};

static const struct m_field i915_pwrite_fields[] = {
	M_ARRAY_F(struct drm_i915_gem_pwrite, data_ptr, size, 1, I915_MAX_RW, M_IN),
	M_END_F,
};

static const struct m_field i915_mmap_offset_fields[] = {
	I915_EXT_HEADER_F(struct drm_i915_gem_mmap_offset, extensions),
	M_END_F,
};

static const struct m_field i915_vm_control_fields[] = {
	I915_EXT_HEADER_F(struct drm_i915_gem_vm_control, extensions),
	M_END_F,
};

/* ---- EXECBUFFER2 -------------------------------------------------------------- */

static const struct m_field i915_exec_object_fields[] = {
	M_ARRAY_F(struct drm_i915_gem_exec_object2, relocs_ptr, relocation_count,
		  sizeof(struct drm_i915_gem_relocation_entry), I915_MAX_RELOCS, M_INOUT),
	M_END_F,
};
static const struct m_struct i915_exec_object_desc = {
	sizeof(struct drm_i915_gem_exec_object2), i915_exec_object_fields};

static const struct m_struct i915_tl_ext_desc;
static const struct m_field i915_tl_ext_fields[] = {
	I915_LINK_F(i915_tl_ext, base.next_extension, i915_tl_ext, &i915_tl_ext_desc),
	M_ARRAY_F(i915_tl_ext, handles_ptr, fence_count, sizeof(struct drm_i915_gem_exec_fence),
		  I915_MAX_FENCES, M_IN),
	M_ARRAY_F(i915_tl_ext, values_ptr, fence_count, sizeof(__u64), I915_MAX_FENCES, M_IN),
	M_END_F,
};
/* Every execbuf extension link is a timeline-fences one: the only name 6.1 knows. */
static const struct m_struct i915_tl_ext_desc = {sizeof(i915_tl_ext), i915_tl_ext_fields};

/*
 * cliprects_ptr: the extension chain with USE_EXTENSIONS alone; with
 * FENCE_ARRAY (alone or not) a non-empty fence array is refused (its count,
 * num_cliprects, carries the refusal: with 0 fences the kernel reads none;
 * with both flags it refuses the call before reading either).  Without
 * either flag the kernel refuses a non-zero cliprects_ptr before using it.
 * rsvd2: the in-fence fd in its low half (FENCE_IN, or FENCE_SUBMIT).
 */
#define I915_EXECBUF_FIELDS                                                                         \
	M_STRUCTS_T_F(i915_eb2, buffers_ptr, buffer_count, struct drm_i915_gem_exec_object2,      \
		      &i915_exec_object_desc, DRM_MAX_OBJS, M_INOUT),                               \
	I915_LINK_WHEN_F(i915_eb2, cliprects_ptr, i915_tl_ext, &i915_tl_ext_desc, flags,          \
			 I915_EB_FENCE_FLAGS, I915_EXEC_USE_EXTENSIONS),                            \
	I915_REFUSE(i915_eb2, num_cliprects, flags, I915_EXEC_FENCE_ARRAY, I915_EXEC_FENCE_ARRAY), \
	{.kind = M_FD, .dir = M_IN, .ptr_size = 4, .ptr_off = I915_OFF(i915_eb2, rsvd2),           \
	 .cond_off = I915_OFF(i915_eb2, flags),                                                     \
	 .cond_mask = I915_EXEC_FENCE_IN | I915_EXEC_FENCE_SUBMIT, .name = "rsvd2 (in-fence fd)"}

static const struct m_field i915_execbuf_fields[] = {
	I915_EXECBUF_FIELDS,
	M_END_F,
};

/* _WR: the kernel also writes the out-fence fd into rsvd2's high half. */
static const struct m_field i915_execbuf_wr_fields[] = {
	I915_EXECBUF_FIELDS,
	{.kind = M_FD, .dir = M_OUT, .ptr_size = 4, .ptr_off = I915_OFF(i915_eb2, rsvd2) + 4,
	 .cond_off = I915_OFF(i915_eb2, flags), .cond_mask = I915_EXEC_FENCE_OUT,
	 .name = "rsvd2 >> 32 (out-fence fd)"},
	M_END_F,
};

/* ---- contexts ----------------------------------------------------------------- */

/* SSEU: value is a pointer (refused if non-null); ENGINES: refused if size != 0. */
static const struct m_field i915_ctx_param_fields[] = {
	I915_REFUSE(i915_ctx_param, value, param, 0xffffffffu, I915_CONTEXT_PARAM_SSEU),
	I915_REFUSE(i915_ctx_param, size, param, 0xffffffffu, I915_CONTEXT_PARAM_ENGINES),
	M_END_F,
};

static const struct m_struct i915_ctx_setparam_desc;
static const struct m_field i915_ctx_setparam_fields[] = {
	I915_LINK_F(i915_ctx_setparam, base.next_extension, i915_ctx_setparam,
		    &i915_ctx_setparam_desc),
	I915_REFUSE(i915_ctx_setparam, param.value, param.param, 0xffffffffu,
		    I915_CONTEXT_PARAM_SSEU),
	I915_REFUSE(i915_ctx_setparam, param.size, param.param, 0xffffffffu,
		    I915_CONTEXT_PARAM_ENGINES),
	M_END_F,
};
/* SETPARAM is the only link 6.1 accepts (CLONE is refused after its header). */
static const struct m_struct i915_ctx_setparam_desc = {sizeof(i915_ctx_setparam),
							 i915_ctx_setparam_fields};

static const struct m_field i915_ctx_create_ext_fields[] = {
	I915_LINK_WHEN_F(struct drm_i915_gem_context_create_ext, extensions, i915_ctx_setparam,
			 &i915_ctx_setparam_desc, flags,
			 I915_CONTEXT_CREATE_FLAGS_USE_EXTENSIONS, 0),
	M_END_F,
};

/* ---- query, perf ---------------------------------------------------------------- */

static const struct m_field i915_query_item_fields[] = {
	M_ARRAY_F(struct drm_i915_query_item, data_ptr, length, 1, DRM_MAX_BLOB, M_INOUT),
	M_END_F,
};
static const struct m_struct i915_query_item_desc = {sizeof(struct drm_i915_query_item),
						       i915_query_item_fields};

static const struct m_field i915_query_fields[] = {
	M_STRUCTS_T_F(struct drm_i915_query, items_ptr, num_items, struct drm_i915_query_item,
		      &i915_query_item_desc, I915_MAX_QUERY_ITEMS, M_INOUT),
	M_END_F,
};

static const struct m_field i915_perf_prop_fields[] = {
	I915_REFUSE(struct i915_perf_prop, value, id, 0xffffffffu,
		    DRM_I915_PERF_PROP_GLOBAL_SSEU),
	M_END_F,
};
static const struct m_struct i915_perf_prop_desc = {sizeof(struct i915_perf_prop),
						      i915_perf_prop_fields};

static const struct m_field i915_perf_open_fields[] = {
	M_STRUCTS_T_F(struct drm_i915_perf_open_param, properties_ptr, num_properties,
		      struct i915_perf_prop, &i915_perf_prop_desc, I915_MAX_PERF_PROPS, M_IN),
	M_END_F,
};

/* Each array holds (register, value) u32 pairs. */
static const struct m_field i915_oa_config_fields[] = {
	M_ARRAY_F(struct drm_i915_perf_oa_config, mux_regs_ptr, n_mux_regs, 2 * sizeof(__u32),
		  I915_MAX_OA_REGS, M_IN),
	M_ARRAY_F(struct drm_i915_perf_oa_config, boolean_regs_ptr, n_boolean_regs,
		  2 * sizeof(__u32), I915_MAX_OA_REGS, M_IN),
	M_ARRAY_F(struct drm_i915_perf_oa_config, flex_regs_ptr, n_flex_regs, 2 * sizeof(__u32),
		  I915_MAX_OA_REGS, M_IN),
	M_END_F,
};

#define I915_WAIT (M_F_REFRESH | M_F_MAY_BLOCK)

static const struct m_ioctl i915_ioctls[] = {
	DRM_IOC(DRM_IOCTL_I915_GETPARAM, drm_i915_getparam_t, 0, i915_getparam_fields),
	DRM_IOC(DRM_IOCTL_I915_SETPARAM, drm_i915_setparam_t, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_EXECBUFFER2, i915_eb2, M_F_PUBLISH, i915_execbuf_fields),
	DRM_IOC(DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, i915_eb2, M_F_PUBLISH, i915_execbuf_wr_fields),
	DRM_IOC(DRM_IOCTL_I915_GEM_BUSY, struct drm_i915_gem_busy, M_F_REFRESH, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_SET_CACHING, struct drm_i915_gem_caching, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_GET_CACHING, struct drm_i915_gem_caching, 0, NULL),
	DRM_NOARG(DRM_IOCTL_I915_GEM_THROTTLE, M_F_MAY_BLOCK),
	DRM_IOC(DRM_IOCTL_I915_GEM_CREATE, struct drm_i915_gem_create, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_PREAD, struct drm_i915_gem_pread,
		M_F_PUBLISH | M_F_MAY_BLOCK, i915_pread_fields),
	DRM_IOC(DRM_IOCTL_I915_GEM_PWRITE, struct drm_i915_gem_pwrite,
		M_F_PUBLISH | M_F_REFRESH | M_F_MAY_BLOCK, i915_pwrite_fields),
	DRM_IOC(DRM_IOCTL_I915_GEM_MMAP_GTT, struct drm_i915_gem_mmap_gtt, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_MMAP_OFFSET, struct drm_i915_gem_mmap_offset, 0,
		i915_mmap_offset_fields),
	DRM_IOC(DRM_IOCTL_I915_GEM_SET_DOMAIN, struct drm_i915_gem_set_domain, I915_WAIT, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_SW_FINISH, struct drm_i915_gem_sw_finish, M_F_PUBLISH, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_SET_TILING, struct drm_i915_gem_set_tiling, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_GET_TILING, struct drm_i915_gem_get_tiling, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_GET_APERTURE, struct drm_i915_gem_get_aperture, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_GET_PIPE_FROM_CRTC_ID, struct drm_i915_get_pipe_from_crtc_id, 0,
		NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_MADVISE, struct drm_i915_gem_madvise, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_OVERLAY_PUT_IMAGE, struct drm_intel_overlay_put_image, M_F_PUBLISH,
		NULL),
	DRM_IOC(DRM_IOCTL_I915_OVERLAY_ATTRS, struct drm_intel_overlay_attrs, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_SET_SPRITE_COLORKEY, struct drm_intel_sprite_colorkey, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_GET_SPRITE_COLORKEY, struct drm_intel_sprite_colorkey, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_WAIT, struct drm_i915_gem_wait, I915_WAIT, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_CONTEXT_CREATE, struct drm_i915_gem_context_create, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, struct drm_i915_gem_context_create_ext, 0,
		i915_ctx_create_ext_fields),
	DRM_IOC(DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, struct drm_i915_gem_context_destroy, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_REG_READ, struct drm_i915_reg_read, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_GET_RESET_STATS, struct drm_i915_reset_stats, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_GEM_CONTEXT_GETPARAM, i915_ctx_param, 0, i915_ctx_param_fields),
	DRM_IOC(DRM_IOCTL_I915_GEM_CONTEXT_SETPARAM, i915_ctx_param, 0, i915_ctx_param_fields),
	DRM_IOC(DRM_IOCTL_I915_PERF_OPEN, struct drm_i915_perf_open_param, M_F_RET_FD,
		i915_perf_open_fields),
	DRM_IOC(DRM_IOCTL_I915_PERF_ADD_CONFIG, struct drm_i915_perf_oa_config, 0,
		i915_oa_config_fields),
	DRM_IOC(DRM_IOCTL_I915_PERF_REMOVE_CONFIG, __u64, 0, NULL),
	DRM_IOC(DRM_IOCTL_I915_QUERY, struct drm_i915_query, 0, i915_query_fields),
	DRM_IOC(DRM_IOCTL_I915_GEM_VM_CREATE, struct drm_i915_gem_vm_control, 0,
		i915_vm_control_fields),
	DRM_IOC(DRM_IOCTL_I915_GEM_VM_DESTROY, struct drm_i915_gem_vm_control, 0,
		i915_vm_control_fields),
};
/* clang-format on */

static const struct m_table i915_table = {"i915", i915_ioctls, CT_COUNT(i915_ioctls)};

const struct vdri_driver vdri_drm_i915 = {
    .name = "i915",
    .table = &i915_table,
    .note = "UAPI-checked only; no such device in the test rig",
};
