# umqtt for make-based ports: USER_C_MODULES=<repo>/cmodule (or <repo>).
#
# The Rust core is built by cargo (which decides what is stale), merged into
# one relocatable object whose only global symbols are umqtt_*, and added to
# PY_O, so it reaches the link as an ordinary object on every port (including
# ports that put LDFLAGS before their objects, or archive them for a vendor
# SDK). See ../../README.md, "Building for a device".

UMQTT_MOD_DIR := $(USERMOD_DIR)
UMQTT_ROOT := $(abspath $(UMQTT_MOD_DIR)/../..)

SRC_USERMOD_C += $(UMQTT_MOD_DIR)/modumqtt.c
SRC_USERMOD_C += $(UMQTT_MOD_DIR)/umqtt_client.c
SRC_USERMOD_C += $(UMQTT_MOD_DIR)/umqtt_conn.c
SRC_USERMOD_C += $(UMQTT_MOD_DIR)/umqtt_io.c
CFLAGS_USERMOD += -I$(UMQTT_MOD_DIR) -I$(UMQTT_ROOT)/rust/umqtt-ffi/include
CFLAGS_USERMOD += -DMICROPY_PY_UMQTT=1 -DMICROPY_MODULE_BUILTIN_SUBPACKAGES=1
QSTR_DEFS += $(UMQTT_MOD_DIR)/qstrdefsumqtt.h

# Rust target: empty = the host (rustup's stable cargo, no build-std). For an
# ARM port it is picked from the port's compiler and CPU flags when the rule
# runs (the port has set them all by then), or given as UMQTT_RUST_TARGET=:
#   -mcpu=cortex-m0/m0plus/m1 (-march=armv6-m)   thumbv6m-none-eabi
#   -mcpu=cortex-m3 (-march=armv7-m)             thumbv7m-none-eabi
#   -mcpu=cortex-m4/m7 (-march=armv7e-m)         thumbv7em-none-eabi
#   -mcpu=cortex-m33/m55 (-march=armv8-m.main)   thumbv8m.main-none-eabi
#   -mcpu=cortex-m23 (-march=armv8-m.base)       thumbv8m.base-none-eabi
#   -mcpu=cortex-a* (-march=armv7-a)             armv7a-none-eabi
#   -mcpu=cortex-r* (-march=armv7-r)             armv7r-none-eabi
# with "hf" appended under -mfloat-abi=hard. ARM targets build core with
# -Z build-std using Debian's rustc-web (/usr/bin/cargo, /usr/bin/rustc,
# RUSTC_BOOTSTRAP=1; rustup's toolchains here have no rust-src), at
# opt-level "z".
umqtt_last_opt = $(patsubst $(1)%,%,$(lastword $(filter $(1)%,$(CFLAGS))))
UMQTT_CPU = $(firstword $(subst +, ,$(call umqtt_last_opt,-mcpu=)) $(call umqtt_last_opt,-march=))
UMQTT_HF = $(if $(filter -mfloat-abi=hard,$(CFLAGS)),hf)
umqtt_is = $(filter $(1),$(UMQTT_CPU))
UMQTT_RUST_TARGET_AUTO = $(if $(findstring arm,$(notdir $(firstword $(CC)))),$(or \
	$(if $(call umqtt_is,cortex-m0 cortex-m0plus cortex-m1 armv6-m armv6s-m),thumbv6m-none-eabi), \
	$(if $(call umqtt_is,cortex-m3 armv7-m),thumbv7m-none-eabi), \
	$(if $(call umqtt_is,cortex-m4 cortex-m7 armv7e-m),thumbv7em-none-eabi$(UMQTT_HF)), \
	$(if $(call umqtt_is,cortex-m33 cortex-m35p cortex-m55 cortex-m85 armv8-m.main armv8.1-m.main),thumbv8m.main-none-eabi$(UMQTT_HF)), \
	$(if $(call umqtt_is,cortex-m23 armv8-m.base),thumbv8m.base-none-eabi), \
	$(if $(call umqtt_is,cortex-a% armv7-a armv7ve),armv7a-none-eabi$(UMQTT_HF)), \
	$(if $(call umqtt_is,cortex-r% armv7-r),armv7r-none-eabi$(UMQTT_HF)), \
	$(error umqtt: no Rust target known for CC=$(CC) with -mcpu/-march "$(UMQTT_CPU)"; set UMQTT_RUST_TARGET=<triple>)))
UMQTT_RUST_TARGET ?= $(strip $(UMQTT_RUST_TARGET_AUTO))
UMQTT_CROSS_CARGO ?= /usr/bin/cargo
UMQTT_CROSS_RUSTC ?= /usr/bin/rustc
UMQTT_CARGO ?= $(if $(UMQTT_RUST_TARGET),$(UMQTT_CROSS_CARGO),cargo)
# On a device, size first: opt-level "z" (the workspace's release profile, used
# for host builds, says "s"); UMQTT_RUST_OPT_LEVEL= keeps the profile's.
UMQTT_RUST_OPT_LEVEL ?= z
UMQTT_CROSS_ENV = RUSTC=$(UMQTT_CROSS_RUSTC) RUSTC_BOOTSTRAP=1 \
	$(if $(UMQTT_RUST_OPT_LEVEL),CARGO_PROFILE_RELEASE_OPT_LEVEL=$(UMQTT_RUST_OPT_LEVEL))
UMQTT_CARGO_ENV ?= $(if $(UMQTT_RUST_TARGET),$(UMQTT_CROSS_ENV))
UMQTT_CARGO_DIR ?= $(abspath $(BUILD))/umqtt-cargo
UMQTT_RUST_LIB = $(UMQTT_CARGO_DIR)/$(if $(UMQTT_RUST_TARGET),$(UMQTT_RUST_TARGET)/)release/libumqtt_ffi.a
UMQTT_CROSS_FLAGS = --target $(UMQTT_RUST_TARGET) \
	-Z build-std=core,compiler_builtins -Z build-std-features=compiler-builtins-mem
UMQTT_CARGO_FLAGS = $(if $(UMQTT_RUST_TARGET),$(UMQTT_CROSS_FLAGS))
UMQTT_RUST_O := $(BUILD)/umqtt/umqtt_rust.o

PY_O += $(UMQTT_RUST_O)

# Always ask cargo; rebuild the merged object only when the library changed,
# so a no-op build does not relink.
$(UMQTT_RUST_O): umqtt-cargo
	$(Q)if [ ! -f $@ ] || [ $(UMQTT_RUST_LIB) -nt $@ ]; then \
		echo "LD -r $@"; \
		mkdir -p $(@D) && \
		$(LD) -r --unique --whole-archive -o $@.tmp $(UMQTT_RUST_LIB) && \
		$(OBJCOPY) --wildcard --keep-global-symbol='umqtt_*' \
			--remove-section='.ARM.exidx*' --remove-section='.ARM.extab*' \
			--remove-section=.llvmbc --remove-section=.llvmcmd $@.tmp $@ && \
		rm -f $@.tmp; \
	fi

.PHONY: umqtt-cargo
umqtt-cargo:
	$(ECHO) "CARGO umqtt-ffi $(or $(UMQTT_RUST_TARGET),host)"
	+$(Q)cd $(UMQTT_ROOT) && $(UMQTT_CARGO_ENV) $(UMQTT_CARGO) build --quiet --release --locked -p umqtt-ffi \
		--target-dir $(UMQTT_CARGO_DIR) $(UMQTT_CARGO_FLAGS)
