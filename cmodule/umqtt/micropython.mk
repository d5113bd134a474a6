# umqtt for make-based ports: USER_C_MODULES=<repo>/cmodule (or <repo>).
#
# The shim's C files are listed in umqtt_sources.txt and the Rust core is
# built by tools/build-rust-object.sh: the same list and the same recipe as
# micropython.cmake (cmake ports). The script runs cargo (which decides what
# is stale), merges the library into one relocatable object whose only global
# symbols are umqtt_*, and picks the Rust target from the port's compiler and
# CPU flags (or UMQTT_RUST_TARGET=<triple>). The object is added to PY_O, so
# it reaches the link as an ordinary object on every port that links PY_O,
# including ports that put LDFLAGS before their objects or archive them for a
# vendor SDK. See ../../README.md, "Building for a device".

UMQTT_MOD_DIR := $(USERMOD_DIR)
UMQTT_ROOT := $(abspath $(UMQTT_MOD_DIR)/../..)

SRC_USERMOD_C += $(addprefix $(UMQTT_MOD_DIR)/,$(filter %.c,$(shell cat $(UMQTT_MOD_DIR)/umqtt_sources.txt)))
CFLAGS_USERMOD += -I$(UMQTT_MOD_DIR) -I$(UMQTT_ROOT)/rust/umqtt-ffi/include
# Build switches (umqtt_config.h), each 1 unless make's command line says 0:
#   UMQTT_MQTT5    MQTT 5 (version=5), in both the shim and the Rust core
#   UMQTT_AIO      umqtt.aio and the asyncio primitives (MICROPY_PY_UMQTT_AIO)
#   UMQTT_FACES    umqtt.simple and umqtt.robust (MICROPY_PY_UMQTT_FACES)
#   UMQTT_CHUNKS   set_chunk_callback, chunked delivery (MICROPY_PY_UMQTT_CHUNKS)
# UMQTT_MINIMAL=1 turns all four off (one named on the command line as well
# keeps its value). What each costs: README, "Building for a device".
UMQTT_MINIMAL ?= 0
UMQTT_SWITCH_DEFAULT := $(if $(filter 1,$(UMQTT_MINIMAL)),0,1)
UMQTT_MQTT5 ?= $(UMQTT_SWITCH_DEFAULT)
UMQTT_AIO ?= $(UMQTT_SWITCH_DEFAULT)
UMQTT_FACES ?= $(UMQTT_SWITCH_DEFAULT)
UMQTT_CHUNKS ?= $(UMQTT_SWITCH_DEFAULT)
CFLAGS_USERMOD += -DMICROPY_PY_UMQTT=1 -DMICROPY_MODULE_BUILTIN_SUBPACKAGES=1 -DMICROPY_PY_UMQTT_MQTT5=$(UMQTT_MQTT5) \
	-DMICROPY_PY_UMQTT_AIO=$(UMQTT_AIO) -DMICROPY_PY_UMQTT_FACES=$(UMQTT_FACES) -DMICROPY_PY_UMQTT_CHUNKS=$(UMQTT_CHUNKS)
QSTR_DEFS += $(UMQTT_MOD_DIR)/qstrdefsumqtt.h

# What the script needs to know of the port; the port has set CC, CFLAGS, LD
# and OBJCOPY by the time the rule runs.
UMQTT_RUST_TARGET ?=
UMQTT_CARGO_DIR ?= $(abspath $(BUILD))/umqtt-cargo
UMQTT_RUST_O := $(BUILD)/umqtt/umqtt_rust.o
UMQTT_BUILD_ENV = UMQTT_CC="$(CC)" \
	UMQTT_CPU_FLAGS="$(filter -mcpu=% -march=% -mfloat-abi=% -mabi=%,$(CFLAGS))" \
	UMQTT_LD="$(LD)" UMQTT_OBJCOPY="$(OBJCOPY)" UMQTT_RUST_TARGET="$(UMQTT_RUST_TARGET)" \
	UMQTT_MQTT5="$(UMQTT_MQTT5)"
# The Rust target the script will build for ("host" for the host).
UMQTT_RUST_TARGET_PICKED = $(shell $(UMQTT_BUILD_ENV) $(UMQTT_ROOT)/tools/build-rust-object.sh --print-target)

PY_O += $(UMQTT_RUST_O)

# Always run (cargo decides); the script rewrites the object only when the
# library changed, so a no-op build does not relink.
$(UMQTT_RUST_O): umqtt-force
	+$(Q)$(UMQTT_BUILD_ENV) $(UMQTT_ROOT)/tools/build-rust-object.sh --out $(UMQTT_RUST_O) --cargo-dir $(UMQTT_CARGO_DIR)
.PHONY: umqtt-force
umqtt-force:
