/* SPDX-License-Identifier: MIT */
/*
 * xe.c - driver "xe" (Intel Xe2/Lunar Lake and later, optional for
 * Tiger Lake..Meteor Lake).  UAPI: xe_drm.h of Linux 6.12 (core/drm/uapi/,
 * from bookworm-backports' linux-libc-dev; xe does not exist in the 6.1
 * driver VM kernel); every entry's size is checked against it at compile
 * time.  No such device in the test rig: the table is checked, never run
 * against real hardware.
 *
 * Shapes the numbers do not say:
 *  - every struct's extensions pointer: a chain of drm_xe_ext_set_property
 *    links (the only extension shape xe has); 6.12 accepts none of them on
 *    the ioctls forwarded here and refuses a non-zero pointer, but the
 *    chain is described so that no guest address reaches the kernel;
 *  - DEVICE_QUERY: size bytes at data, which the kernel may read
 *    (ENGINE_CYCLES, UC_FW_VERSION take their input there) and writes;
 *  - VM_BIND: num_binds == 1 uses the inline bind; num_binds > 1 makes the
 *    union's first 8 bytes vector_of_binds, a pointer to num_binds
 *    drm_xe_vm_bind_op.  Those same 8 bytes are the inline bind's
 *    extensions pointer, which must be 0 for num_binds == 1, so one field
 *    describes both: with num_binds == 1 and a non-zero inline extensions
 *    the engine copies one op from there and the kernel ignores it;
 *  - VM_BIND/EXEC: syncs is an array of drm_xe_sync (handles, points);
 *  - EXEC: address is a GPU virtual address (see below for the exception).
 *
 * Refused subsets (a refusal fails the call with -EINVAL when the data
 * says the kernel would use memory of the caller; see XE_REFUSE):
 *  - VM_BIND ops (inline and vector) with op DRM_XE_VM_BIND_OP_MAP_USERPTR
 *    and a non-zero range: userptr is a CPU address of the caller (the
 *    backend), whose pages would be bound into the GPU's address space.
 *    With range 0 the kernel refuses the op itself.
 *  - VM_BIND syncs of type DRM_XE_SYNC_TYPE_USER_FENCE with a non-zero
 *    addr: for VM_BIND addr is a CPU address the kernel writes later, from
 *    a worker, in the caller's (the backend's) memory.  At address 0 the
 *    write faults and is dropped.  EXEC's user fences are GPU addresses and
 *    are forwarded.
 *
 * Left out:
 *  - EXEC_QUEUE_CREATE: instances holds width * num_placements entries, a
 *    product the engine cannot count, and a parallel queue (width > 1)
 *    would also turn EXEC's address into a CPU pointer to width addresses
 *    (chosen by the queue, not by the struct: num_batch_buffer may be 0).
 *    Refusing width > 1 needs a refusal field whose pointer is non-zero
 *    whenever width > 1, and the struct has none (instances is the array
 *    itself, vm_id 0 makes the kernel read instances before it looks the
 *    VM up).  Without it no queue exists here, so EXEC's address is
 *    always a GPU address.  Engine features: product counts, or a field
 *    kind that refuses a call outright.  (A flat-forwarding policy lets a
 *    guest create queues unchecked; that is the policy's risk.)
 *  - WAIT_USER_FENCE: addr is a CPU address of the caller whose u64 the
 *    kernel re-reads while it waits (the GPU writes it through a mapping of
 *    a buffer).  Copying it would wait on a value that never changes; it
 *    would have to be the backend's mapping of the same buffer.  Engine
 *    feature: a CPU address inside a forwarded mapping, translated to the
 *    backend's mapping.
 *  - OBSERVATION: param points at a different struct per observation_op
 *    (an OA property chain, one property of which is itself a pointer to
 *    syncs; an OA config with regs_ptr; a config id).  Engine features:
 *    tagged unions.
 *
 * Coherence: EXEC publishes guest writes first (M_F_PUBLISH).  Waits are
 * syncobj waits (the DRM core table) and user fences (left out), so
 * nothing here refreshes.
 */
#include "drm_class.h"

#include "uapi/xe_drm.h"

/* clang-format off */
#define XE_MAX_BINDS 4096u

#define XE_OFF(type, f) __builtin_offsetof(type, f)

/* An extensions pointer: a chain of drm_xe_ext_set_property links. */
#define XE_EXT_F(type, ptr)                                                                        \
	{.kind = M_STRUCTS, .dir = M_IN, .ptr_size = M_FIELD_SIZEOF(type, ptr),                   \
	 .ptr_off = XE_OFF(type, ptr), .elem_size = sizeof(struct drm_xe_ext_set_property),       \
	 .max = 1, .elem = &xe_ext_desc, .name = #ptr}

/*
 * A refusal (M_REFUSE): the call fails with -EINVAL when ptr is non-zero
 * while (u32 at condf & mask) == val; a zero ptr is left to the kernel
 * (each use says why it then reads nothing).
 */
#define XE_REFUSE(type, ptr, condf, mask, val) M_REFUSE_F(type, ptr, condf, mask, val)

static const struct m_struct xe_ext_desc;
static const struct m_field xe_ext_fields[] = {
	XE_EXT_F(struct drm_xe_ext_set_property, base.next_extension),
	M_END_F,
};
static const struct m_struct xe_ext_desc = {sizeof(struct drm_xe_ext_set_property),
					     xe_ext_fields};

static const struct m_field xe_gem_create_fields[] = {
	XE_EXT_F(struct drm_xe_gem_create, extensions),
	M_END_F,
};

static const struct m_field xe_mmap_offset_fields[] = {
	XE_EXT_F(struct drm_xe_gem_mmap_offset, extensions),
	M_END_F,
};

static const struct m_field xe_vm_create_fields[] = {
	XE_EXT_F(struct drm_xe_vm_create, extensions),
	M_END_F,
};

static const struct m_field xe_get_property_fields[] = {
	XE_EXT_F(struct drm_xe_exec_queue_get_property, extensions),
	M_END_F,
};

static const struct m_field xe_query_fields[] = {
	XE_EXT_F(struct drm_xe_device_query, extensions),
	M_ARRAY_F(struct drm_xe_device_query, data, size, 1, DRM_MAX_BLOB, M_INOUT),
	M_END_F,
};

/* ---- VM_BIND -------------------------------------------------------------------- */

static const struct m_field xe_bind_op_fields[] = {
	XE_EXT_F(struct drm_xe_vm_bind_op, extensions),
	XE_REFUSE(struct drm_xe_vm_bind_op, range, op, 0xffffffffu,
		  DRM_XE_VM_BIND_OP_MAP_USERPTR),
	M_END_F,
};
static const struct m_struct xe_bind_op_desc = {sizeof(struct drm_xe_vm_bind_op),
						 xe_bind_op_fields};

static const struct m_field xe_bind_sync_fields[] = {
	XE_EXT_F(struct drm_xe_sync, extensions),
	XE_REFUSE(struct drm_xe_sync, addr, type, 0xffffffffu, DRM_XE_SYNC_TYPE_USER_FENCE),
	M_END_F,
};
static const struct m_struct xe_bind_sync_desc = {sizeof(struct drm_xe_sync),
						   xe_bind_sync_fields};

static const struct m_field xe_vm_bind_fields[] = {
	XE_EXT_F(struct drm_xe_vm_bind, extensions),
	M_STRUCTS_T_F(struct drm_xe_vm_bind, vector_of_binds, num_binds,
		      struct drm_xe_vm_bind_op, &xe_bind_op_desc, XE_MAX_BINDS, M_IN),
	/* the inline op (num_binds == 1; ignored by the kernel otherwise) */
	XE_REFUSE(struct drm_xe_vm_bind, bind.range, bind.op, 0xffffffffu,
		  DRM_XE_VM_BIND_OP_MAP_USERPTR),
	M_STRUCTS_T_F(struct drm_xe_vm_bind, syncs, num_syncs, struct drm_xe_sync,
		      &xe_bind_sync_desc, DRM_XE_MAX_SYNCS, M_IN),
	M_END_F,
};

/* ---- EXEC ------------------------------------------------------------------------ */

static const struct m_field xe_exec_sync_fields[] = {
	XE_EXT_F(struct drm_xe_sync, extensions),
	M_END_F,
};
static const struct m_struct xe_exec_sync_desc = {sizeof(struct drm_xe_sync),
						   xe_exec_sync_fields};

static const struct m_field xe_exec_fields[] = {
	XE_EXT_F(struct drm_xe_exec, extensions),
	M_STRUCTS_T_F(struct drm_xe_exec, syncs, num_syncs, struct drm_xe_sync,
		      &xe_exec_sync_desc, DRM_XE_MAX_SYNCS, M_IN),
	M_END_F,
};

static const struct m_ioctl xe_ioctls[] = {
	DRM_IOC(DRM_IOCTL_XE_DEVICE_QUERY, struct drm_xe_device_query, 0, xe_query_fields),
	DRM_IOC(DRM_IOCTL_XE_GEM_CREATE, struct drm_xe_gem_create, 0, xe_gem_create_fields),
	DRM_IOC(DRM_IOCTL_XE_GEM_MMAP_OFFSET, struct drm_xe_gem_mmap_offset, 0,
		xe_mmap_offset_fields),
	DRM_IOC(DRM_IOCTL_XE_VM_CREATE, struct drm_xe_vm_create, 0, xe_vm_create_fields),
	DRM_IOC(DRM_IOCTL_XE_VM_DESTROY, struct drm_xe_vm_destroy, 0, NULL),
	DRM_IOC(DRM_IOCTL_XE_VM_BIND, struct drm_xe_vm_bind, 0, xe_vm_bind_fields),
	DRM_IOC(DRM_IOCTL_XE_EXEC_QUEUE_DESTROY, struct drm_xe_exec_queue_destroy, 0, NULL),
	DRM_IOC(DRM_IOCTL_XE_EXEC_QUEUE_GET_PROPERTY, struct drm_xe_exec_queue_get_property, 0,
		xe_get_property_fields),
	DRM_IOC(DRM_IOCTL_XE_EXEC, struct drm_xe_exec, M_F_PUBLISH, xe_exec_fields),
};
/* clang-format on */

static const struct m_table xe_table = {"xe", xe_ioctls, CT_COUNT(xe_ioctls)};

const struct vdri_driver vdri_drm_xe = {
    .name = "xe",
    .table = &xe_table,
    .note = "UAPI-checked only; no such device in the test rig",
};
