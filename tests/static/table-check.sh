#!/usr/bin/env bash
# The DRM tables are checked at compile time against the UAPI headers:
# an entry that names the wrong top-level type, or a field the struct does
# not have, must not build.  Each case compiles a one-entry table and must
# FAIL to compile; a correct entry must compile.
set -u
cd "$(dirname "$0")/../.."
CC=${CC:-cc}
pass=0 fail=0
try() { # expect(ok|bad) description table-entry
	local src
	src=$(mktemp --suffix=.c)
	cat > "$src" <<C
#include "core/drm/drm_class.h"
#include "core/drm/uapi/virtgpu_drm.h"
static const struct m_field f[] = { $4 M_END_F };
const struct m_ioctl t[] = { $3 };
const struct m_field *use(void);
const struct m_field *use(void) { return f; }
C
	if $CC -std=c11 -D_GNU_SOURCE -I. -Icore/include -I/usr/include/libdrm -Icore/drm/uapi \
		-c "$src" -o /dev/null 2>/dev/null; then got=ok; else got=bad; fi
	rm -f "$src"
	if [ "$got" = "$1" ]; then echo "PASS $2"; pass=$((pass + 1)); else echo "FAIL $2 (compiled: $got)"; fail=$((fail + 1)); fi
}
try ok "a correct entry builds" \
	"DRM_IOC(DRM_IOCTL_MODE_GETRESOURCES, struct drm_mode_card_res, 0, f)," \
	"M_ARRAY_F(struct drm_mode_card_res, crtc_id_ptr, count_crtcs, 4, 16, M_OUT),"
try bad "a wrong top-level type does not build" \
	"DRM_IOC(DRM_IOCTL_MODE_GETRESOURCES, struct drm_mode_crtc, 0, f)," \
	"M_ARRAY_F(struct drm_mode_card_res, crtc_id_ptr, count_crtcs, 4, 16, M_OUT),"
try bad "a field the struct lacks does not build" \
	"DRM_IOC(DRM_IOCTL_MODE_GETRESOURCES, struct drm_mode_card_res, 0, f)," \
	"M_ARRAY_F(struct drm_mode_card_res, plane_id_ptr, count_crtcs, 4, 16, M_OUT),"
try bad "a driver ioctl with another driver's struct does not build" \
	"DRM_IOC(DRM_IOCTL_VIRTGPU_EXECBUFFER, struct drm_virtgpu_map, 0, f)," ""
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
