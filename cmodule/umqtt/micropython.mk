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

# Rust target: empty = the host (rustup's stable cargo); an ARM target builds
# core with -Z build-std (Debian's rustc-web, see cross-arm notes in README).
UMQTT_RUST_TARGET ?=
UMQTT_CARGO ?= cargo
UMQTT_CARGO_ENV ?=
UMQTT_CARGO_DIR := $(abspath $(BUILD))/umqtt-cargo
ifeq ($(UMQTT_RUST_TARGET),)
UMQTT_RUST_LIB := $(UMQTT_CARGO_DIR)/release/libumqtt_ffi.a
UMQTT_CARGO_FLAGS :=
else
UMQTT_RUST_LIB := $(UMQTT_CARGO_DIR)/$(UMQTT_RUST_TARGET)/release/libumqtt_ffi.a
UMQTT_CARGO_FLAGS := --target $(UMQTT_RUST_TARGET) -Z build-std=core,compiler_builtins -Z build-std-features=compiler-builtins-mem
endif
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
	$(ECHO) "CARGO umqtt-ffi $(UMQTT_RUST_TARGET)"
	+$(Q)cd $(UMQTT_ROOT) && $(UMQTT_CARGO_ENV) $(UMQTT_CARGO) build --quiet --release --locked -p umqtt-ffi \
		--target-dir $(UMQTT_CARGO_DIR) $(UMQTT_CARGO_FLAGS)
