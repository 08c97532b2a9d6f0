# vdri top-level build.  Plain make; every part's sources are picked up by
# wildcard so adding a file needs no edit here.
#
#   make                 release build into build/release
#   make VARIANT=debug   -O0, assertions
#   make VARIANT=asan    AddressSanitizer + UBSan
#   make VARIANT=ubsan   UndefinedBehaviorSanitizer alone
#   make test            build and run every test tier that runs here
#   make check           test under asan, valgrind tier, cppcheck
#   make fuzz            build the libFuzzer targets (clang) and run them briefly
#   make bench           the benchmark suite (bench/suite.sh), results in bench/results/
#   make appliance       the bootable driver-VM appliance in build/appliance/

VARIANT ?= release
B := build/$(VARIANT)
CC ?= cc

# UAPI headers: Debian libdrm-dev first, then the copies libdrm lacks.
DRM_INC := -I/usr/include/libdrm -Icore/drm/uapi
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -fPIC -g $(WARN) -I. -Icore/include -Itests/lib $(DRM_INC) \
	-fno-strict-aliasing -MMD -MP
ifeq ($(VARIANT),release)
  OPT := -O2
else ifeq ($(VARIANT),debug)
  OPT := -O0 -DVDRI_DEBUG
else ifeq ($(VARIANT),asan)
  OPT := -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
  LDSAN := -fsanitize=address,undefined
else ifeq ($(VARIANT),ubsan)
  OPT := -O1 -fsanitize=undefined -fno-sanitize-recover=undefined
  LDSAN := -fsanitize=undefined
else
  $(error unknown VARIANT $(VARIANT))
endif
CFLAGS_ALL := $(BASE_CFLAGS) $(OPT) $(CFLAGS)
LDLIBS_ALL := -lpthread $(LDSAN)

CORE_SRC := $(wildcard core/*.c core/chardev/*.c core/drm/*.c)
ISO_SRC := $(wildcard isolation/*.c)
BACK_SRC := $(wildcard drm-back/*.c)
FRONT_SRC := $(wildcard drm-front/preload/*.c)
TLIB_SRC := $(wildcard tests/lib/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
INTEG_SRC := $(wildcard tests/integration/*.c)
BENCH_SRC := $(wildcard bench/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/*.c)
GPUS_SRC := appliance/gpus.c appliance/gpus_check.c

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

CORE_LIB := $(B)/lib/libvdri-core.a
ISO_LIB := $(B)/lib/libvdri-isolation.a
BACKD := $(B)/bin/vdri-backd
CLI := $(B)/bin/vdri
# The host's GPUs and their VFIO passthrough state (appliance/README.md).
GPUS := $(B)/bin/vdri-gpus
FRONT := $(B)/lib/libvdri-front.so
TLIB := $(B)/lib/libvdri-testlib.a
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRC))
INTEG_BIN := $(patsubst tests/integration/%.c,$(B)/tests/integration/%,$(INTEG_SRC))
BENCH_BIN := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))
# Programs run inside the driver VM and forwarded from the host (real libdrm, Mesa).
VM_SRC := $(filter-out tests/vm/kmodtest.c,$(wildcard tests/vm/*.c))
VM_BIN := $(patsubst tests/vm/%.c,$(B)/tests/vm/vdri-%,$(VM_SRC))
# Raw system calls on vdri_front.ko's nodes, statically linked (no libc
# wrapper or preload can stand in between): tests/vm/kmod.sh.
KMODTEST := $(B)/tests/vm/vdri-kmodtest
# The same as a 32-bit program (the module's compat_ioctl), where the compiler
# can link one (gcc-multilib); tests/vm/kmod.sh skips that check without it.
M32_OK := $(shell printf 'int main(void){return 0;}' | $(CC) -m32 -static -x c - -o /dev/null 2>/dev/null && echo yes)
KMODTEST32 := $(if $(M32_OK),$(B)/tests/vm/vdri-kmodtest32)
VM_LIBS := -ldrm -lgbm -lEGL -lGLESv2


.PHONY: all demo demo-host bench-drm bench-micro bench-game test test-quick check fuzz bench clean format-check cppcheck appliance
all: $(CORE_LIB) $(ISO_LIB) $(BACKD) $(CLI) $(GPUS) $(FRONT) $(UNIT_BIN) $(INTEG_BIN) $(BENCH_BIN) $(VM_BIN) \
	$(KMODTEST) $(KMODTEST32)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# The preload library hides everything but its interposers.
$(B)/obj/drm-front/preload/%.o: drm-front/preload/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fvisibility=hidden -c $< -o $@

$(CORE_LIB): $(call obj,$(CORE_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(ISO_LIB): $(call obj,$(ISO_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(TLIB): $(call obj,$(TLIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BACKD): $(call obj,$(BACK_SRC)) $(ISO_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(CLI): $(B)/obj/cli/vdri.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(GPUS): $(call obj,$(GPUS_SRC))
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL) -lpciaccess

# Checks an xl configuration with libxlutil where no hypervisor lets `xl -N
# create` run (tests/vm/launchers.sh); needs libxen-dev, so not part of `all`.
XLCFG := $(B)/tests/static/vdri-xlcfg
$(XLCFG): $(B)/obj/tests/static/xlcfg.o
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL) -lxlutil -lxenlight
.PHONY: launcher-tools
launcher-tools: $(GPUS) $(XLCFG)

# Core objects are rebuilt hidden into the .so so it exports only libc names.
FRONT_CORE_OBJ := $(patsubst %.c,$(B)/obj-front/%.o,$(CORE_SRC))
$(B)/obj-front/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fvisibility=hidden -c $< -o $@
$(FRONT): $(call obj,$(FRONT_SRC)) $(FRONT_CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-z,defs -Wl,-soname,libvdri-front.so -o $@ $^ -ldl $(LDLIBS_ALL)

$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(TLIB) $(ISO_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)
$(B)/tests/integration/%: $(B)/obj/tests/integration/%.o $(TLIB) $(ISO_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)
$(B)/bench/drm_ops: $(B)/obj/bench/drm_ops.o
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL) -ldrm
# OpenCL through the ICD loader (ocl-icd-opencl-dev); only this program links it.
$(B)/bench/cl_matmul: $(B)/obj/bench/cl_matmul.o
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL) -lm -lOpenCL
$(B)/bench/%: $(B)/obj/bench/%.o $(TLIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL) -lm
$(B)/tests/vm/vdri-%: $(B)/obj/tests/vm/%.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL) $(VM_LIBS)
# (no sanitizers in any variant: they do not link statically)
$(KMODTEST): tests/vm/kmodtest.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 -static -o $@ $<
$(B)/tests/vm/vdri-kmodtest32: tests/vm/kmodtest.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 -m32 -D_FILE_OFFSET_BITS=64 -static -o $@ $<

# The kernel-module frontend (drm-front/kmod/README.md): build/kmod/vdri_front.ko,
# against /usr/src/linux-headers-6.1.0-56-amd64 or, when that is not installed,
# Debian's header packages fetched with apt-get download into build/ (KDIR=,
# KVER= override).
.PHONY: kmod kmod-clean
kmod:
	@drm-front/kmod/build.sh
kmod-clean:
	@drm-front/kmod/build.sh clean

# The bootable driver-VM appliance (appliance/README.md): disk images, kernel and
# initramfs in build/appliance/, built around the release vdri-backd and vdri,
# then booted once in QEMU.  VDRI_FIRMWARE=1 adds GPU firmware (non-free).
appliance:
	@$(MAKE) --no-print-directory VARIANT=release build/release/bin/vdri-backd build/release/bin/vdri
	@appliance/image.sh

# The main job (see README.md).
demo:
	@scripts/demo.sh
# The forwarding core alone, on real host device files (no VM).
demo-host:
	@scripts/demo-host.sh
# Only the driver-VM parts of the suite that need no extra packages.
bench-drm: all
	@bench/suite.sh --parts micro,3d

# ---- tests -----------------------------------------------------------------
# Every tier (release, asan, valgrind, fuzz, static): see tests/run-all.sh.
test:
	@tests/run-all.sh

# Only the release unit + integration tests.
test-quick: all
	@tests/run-tests.sh $(B)

check:
	@VDRI_TIERS="asan valgrind static" tests/run-all.sh

cppcheck:
	cppcheck --quiet --inline-suppr --error-exitcode=1 --std=c11 --enable=warning,portability \
		--suppress=missingIncludeSystem -Icore/include core drm-back drm-front/preload isolation cli appliance

# ---- fuzzing (clang + libFuzzer) --------------------------------------------
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -I. -Icore/include $(DRM_INC) -fsanitize=fuzzer,address,undefined
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
build/fuzz/%: tests/fuzz/%.c $(CORE_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(CORE_SRC) -lpthread
FUZZ_SECONDS ?= 20
fuzz-build: $(FUZZ_BIN)
fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

# ---- benchmarks --------------------------------------------------------------
# The whole suite (bench/suite.sh; also `vdri bench`): host null ioctl,
# DRM micro, 3D, OpenCL, scale; CSV, tables, plots, README.
bench: all
	@bench/suite.sh --build $(B)
# The suite with the OpenArena timedemo (long: see bench/README.md).
bench-game: all
	@scripts/install-deps.sh bench
	@bench/suite.sh --build $(B) --parts host,micro,3d,game,opencl,scale
# Only the null ioctl on the host (fast, no VM).
bench-micro: all
	@bench/run.sh $(B)

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h' | grep -v -e '^drm-front/kmod/' -e '^core/drm/uapi/')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
.SECONDARY:
