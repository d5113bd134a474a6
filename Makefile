# umqtt: a native MQTT client module for MicroPython.
#
#   make demo       build build/micropython and run the seed demo against a local broker
#   make test       build, then run every test (cargo test, header check, pytest)
#   make firmware   build build/micropython only
#   make size       text/data/bss of the firmware with and without the module
#   make cmake-firmware   the module in a cmake-built firmware (the rp2/esp32 glue,
#                   micropython.cmake): build/cmake-host/firmware
#   make firmware-minimal   the module with every build switch off (UMQTT_MINIMAL=1):
#                   build/unix-minimal/micropython (tests_py/switches)
#
# MICROPY_DIR=/path/to/micropython uses that tree; by default Debian's
# micropython 1.25 source package is fetched into deps/micropython.

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
MICROPY_DIR ?= $(ROOT)/deps/micropython
override MICROPY_DIR := $(abspath $(MICROPY_DIR))
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD_DIR := $(ROOT)/build
FIRMWARE := $(BUILD_DIR)/micropython
PYTHON ?= python3
PYTEST_ARGS ?=

# The unix port as Debian builds it (system mbedTLS and libffi, no btree: the
# source package has no git submodules), with our frozen manifest.
UNIX_FLAGS := MICROPY_PY_BTREE=0 MICROPY_SSL_AXTLS=0 MICROPY_SSL_MBEDTLS=1 \
	FROZEN_MANIFEST=$(ROOT)/firmware/unix/manifest.py

.PHONY: all firmware firmware-minimal firmware-debug firmware-asan test-asan soak aio-cuts fuzz-stream firmware-plain cmake-firmware demo test test-rust test-py check-header deps deps-demo size bench bench-ab clean
all: firmware

# What `make demo` needs (unix firmware, Mosquitto, paho-mqtt); `deps` adds
# the rest of what the tests need (cmake, the ARM toolchain, QEMU, pytest, ...).
deps-demo:
	@$(ROOT)/tools/install-deps.sh demo

deps:
	@$(ROOT)/tools/install-deps.sh test

$(ROOT)/deps/micropython/py/mpconfig.h:
	$(ROOT)/tools/fetch-micropython.sh $(ROOT)/deps/micropython

$(MICROPY_DIR)/mpy-cross/build/mpy-cross: | $(MICROPY_DIR)/py/mpconfig.h
	$(MAKE) -C $(MICROPY_DIR)/mpy-cross -j$(JOBS)

# MicroPython regenerates frozen_content.c only when a frozen module changes,
# not when the firmware's qstrs do: after a change to the module's names
# (a switch, a name dropped) a stale copy names qstrs that no longer exist
# and the incremental build fails. It is made again in a second.
fresh_frozen = rm -f $(1)/frozen_content.c

firmware: $(MICROPY_DIR)/py/mpconfig.h $(MICROPY_DIR)/mpy-cross/build/mpy-cross
	$(call fresh_frozen,$(BUILD_DIR)/unix)
	$(MAKE) -C $(MICROPY_DIR)/ports/unix -j$(JOBS) $(UNIX_FLAGS) \
		USER_C_MODULES=$(ROOT)/cmodule BUILD=$(BUILD_DIR)/unix
	@cmp -s $(BUILD_DIR)/unix/micropython $(FIRMWARE) || \
		{ cp -p $(BUILD_DIR)/unix/micropython $(FIRMWARE).tmp && mv -f $(FIRMWARE).tmp $(FIRMWARE); }
	@echo "firmware: $(FIRMWARE)"

# The same firmware with every switch of cmodule/umqtt/umqtt_config.h off
# (UMQTT_MINIMAL=1: no MQTT 5, umqtt.aio, umqtt.simple/robust or chunked
# delivery) and no umqtt.aio frozen; tests_py/switches runs it (and builds it
# through this target when it is stale).
firmware-minimal: $(MICROPY_DIR)/py/mpconfig.h $(MICROPY_DIR)/mpy-cross/build/mpy-cross
	$(call fresh_frozen,$(BUILD_DIR)/unix-minimal)
	$(MAKE) -C $(MICROPY_DIR)/ports/unix -j$(JOBS) $(UNIX_FLAGS) UMQTT_MINIMAL=1 \
		FROZEN_MANIFEST=$(ROOT)/firmware/unix/manifest_minimal.py \
		USER_C_MODULES=$(ROOT)/cmodule BUILD=$(BUILD_DIR)/unix-minimal
	@echo "firmware: $(BUILD_DIR)/unix-minimal/micropython"

# The same firmware built with DEBUG=1 (-O0, assert() on): the shim checks
# that every call into the Rust core holds the client's mutex.
firmware-debug: $(MICROPY_DIR)/py/mpconfig.h $(MICROPY_DIR)/mpy-cross/build/mpy-cross
	$(call fresh_frozen,$(BUILD_DIR)/unix-debug)
	$(MAKE) -C $(MICROPY_DIR)/ports/unix -j$(JOBS) $(UNIX_FLAGS) DEBUG=1 STRIP=true \
		USER_C_MODULES=$(ROOT)/cmodule BUILD=$(BUILD_DIR)/unix-debug
	@echo "firmware: $(BUILD_DIR)/unix-debug/micropython"

# The same firmware built with AddressSanitizer and UndefinedBehaviorSanitizer
# (-fno-sanitize-recover: the first finding stops the process), for the test
# suite under sanitizers: make test-asan. Stack use-after-return detection
# stays off: MicroPython's collector scans the C stack, which ASan's fake
# stacks would hide from it (ASAN_OPTIONS in test-asan). nonnull-attribute is
# left out: MicroPython 1.25's own dict copy passes memcpy a NULL with length
# 0 (py/objdict.c:272), which stops every dir() before any code of ours runs.
# Exceptions use setjmp/longjmp here (MICROPY_NLR_SETJMP), which ASan knows
# how to unwind; MicroPython's own assembly NLR left it reading a stale
# handler (and gcc's -Wclobbered, which setjmp turns on, checks that no local
# of ours changes between setting a handler and jumping to it; MicroPython's
# own files get it as a warning).
SANITIZE := -fsanitize=address,undefined -fno-sanitize=nonnull-attribute -fno-sanitize-recover=all -DMICROPY_NLR_SETJMP=1 -Wno-error=clobbered \
	-fno-omit-frame-pointer
firmware-asan: $(MICROPY_DIR)/py/mpconfig.h $(MICROPY_DIR)/mpy-cross/build/mpy-cross
	$(call fresh_frozen,$(BUILD_DIR)/unix-asan)
	$(MAKE) -C $(MICROPY_DIR)/ports/unix -j$(JOBS) $(UNIX_FLAGS) STRIP=true \
		CFLAGS_EXTRA="$(SANITIZE)" LDFLAGS_EXTRA="$(SANITIZE)" \
		USER_C_MODULES=$(ROOT)/cmodule BUILD=$(BUILD_DIR)/unix-asan
	@echo "firmware: $(BUILD_DIR)/unix-asan/micropython"

# The pytest suite on that firmware, except what builds or runs other
# firmware (on_target, cmake, switches: the minimal one, the debug build) and
# the timing figures of the benchmark-like tests.
ASAN_ENV := ASAN_OPTIONS=detect_leaks=0:detect_stack_use_after_return=0:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 UMQTT_SANITIZER=1
test-asan: firmware-asan
	cd $(ROOT) && $(ASAN_ENV) UMQTT_FIRMWARE=$(BUILD_DIR)/unix-asan/micropython \
		$(PYTHON) -m pytest tests_py --ignore=tests_py/on_target --ignore=tests_py/cmake --ignore=tests_py/switches \
		--deselect tests_py/threads/test_debug_firmware.py $(PYTEST_ARGS)

# The soak (tests_py/soak): mixed traffic both ways, churn, cuts and a broker
# restart for SOAK_SECONDS (60 in make test), heap/RSS/fds/threads sampled.
SOAK_SECONDS ?= 600
soak: firmware
	cd $(ROOT) && SOAK_SECONDS=$(SOAK_SECONDS) UMQTT_FIRMWARE=$(FIRMWARE) \
		$(PYTHON) -m pytest tests_py/soak -rA $(PYTEST_ARGS)

# The asyncio client's QoS 1 exchange through the fault proxy's cuts, long
# form: AIO_CUTS_COUNT each way (200 inside make test).
AIO_CUTS_COUNT ?= 10000
aio-cuts: firmware
	cd $(ROOT) && UMQTT_AIO_CUTS_COUNT=$(AIO_CUTS_COUNT) UMQTT_FIRMWARE=$(FIRMWARE) \
		$(PYTHON) -m pytest tests_py/aio/test_aio.py -k through_cuts -rA $(PYTEST_ARGS)

# Fuzz target (c): the shim through transport= against random broker
# streams (tests_py/fuzz), FUZZ_SECONDS long (30 s inside make test).
fuzz-stream: firmware
	cd $(ROOT) && FUZZ_STREAM_SECONDS=$(FUZZ_SECONDS) UMQTT_FIRMWARE=$(FIRMWARE) \
		$(PYTHON) -m pytest tests_py/fuzz -rA $(PYTEST_ARGS)

# The same firmware without umqtt, for size comparisons.
firmware-plain: $(MICROPY_DIR)/py/mpconfig.h $(MICROPY_DIR)/mpy-cross/build/mpy-cross
	$(MAKE) -C $(MICROPY_DIR)/ports/unix -j$(JOBS) $(UNIX_FLAGS) BUILD=$(BUILD_DIR)/unix-plain

# The module in a small cmake-built host firmware (firmware/cmake), the way
# rp2 and esp32 take it: USER_C_MODULES=<repo>/micropython.cmake.
cmake-firmware: $(MICROPY_DIR)/py/mpconfig.h
	cmake -S $(ROOT)/firmware/cmake -B $(BUILD_DIR)/cmake-host -DMICROPY_DIR=$(MICROPY_DIR) \
		-DUSER_C_MODULES=$(ROOT)/micropython.cmake -DUMQTT_CARGO_DIR=$(BUILD_DIR)/cmake-cargo
	cmake --build $(BUILD_DIR)/cmake-host --parallel $(JOBS)
	@echo "firmware: $(BUILD_DIR)/cmake-host/firmware"

size: firmware firmware-plain
	@size $(BUILD_DIR)/unix-plain/micropython $(FIRMWARE)

demo: deps-demo firmware
	$(PYTHON) $(ROOT)/tools/demo.py $(FIRMWARE)

check-header:
	$(ROOT)/tools/check-header.sh

test-rust:
	cd $(ROOT) && cargo test --locked
	# With MQTT 5 (feature mqtt5, on in the firmware unless UMQTT_MQTT5=0).
	cd $(ROOT) && cargo test --locked -p umqtt-core -p umqtt-ffi --features umqtt-ffi/mqtt5

test-py: firmware
	cd $(ROOT) && UMQTT_FIRMWARE=$(FIRMWARE) MICROPY_DIR=$(MICROPY_DIR) JOBS=$(JOBS) \
		$(PYTHON) -m pytest tests_py $(PYTEST_ARGS)

test: deps check-header test-rust test-py

# Benchmark against umqtt.simple 1.1 and a libmosquitto C client; writes BENCHMARKS.md.
bench: deps firmware firmware-plain
	$(PYTHON) $(ROOT)/bench/run.py

# The blocking client of this tree and of commit BASE against libmosquitto in
# the same runs (bench/ab.py); BASE's firmware is built in build/ab-<BASE>/.
BASE ?= a53a5e7
AB_TREE := $(BUILD_DIR)/ab-$(BASE)
bench-ab: deps firmware
	@test -e $(AB_TREE)/.git || git -C $(ROOT) worktree add --detach $(AB_TREE) $(BASE)
	$(MAKE) -C $(AB_TREE) firmware MICROPY_DIR=$(MICROPY_DIR)
	$(PYTHON) $(ROOT)/bench/ab.py --base $(AB_TREE)/build/micropython --base-name $(BASE) \
		--output $(BUILD_DIR)/bench/ab-$(BASE).md

clean:
	rm -rf $(BUILD_DIR) $(ROOT)/target

# --- Emulated ARM boards (MicroPython's qemu port) ---------------------------
#   make qemu          firmware with umqtt for MPS2_AN385 (Cortex-M3) and
#                      SABRELITE (Cortex-A9): build/qemu-<BOARD>/firmware.elf
#   make qemu-vendor   the same boards built QuecPython-style: objects archived
#                      into firmware.a, linked by a separate SDK-style step
#                      (build/vendor-<BOARD>/firmware.elf)
#   make test-target   the on-target suite (tests_py/on_target) under
#                      qemu-system-arm on all four images and on the unix port
#   make size-arm      bench/size-arm.md: sizes on both boards, with and without
#                      the module, and the module without and with MQTT 5
#                      (UMQTT_MQTT5=0 / 1) side by side, each other build
#                      switch off alone (UMQTT_AIO=0, UMQTT_FACES=0,
#                      UMQTT_CHUNKS=0) and all of them (UMQTT_MINIMAL=1)
#                      (UMQTT_SIMPLE_DIR=<micropython-lib>/micropython/
#                      umqtt.simple adds the frozen umqtt.simple comparison)
# Needs gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm, rustc-web,
# cargo-web, rust-web-src (Debian) and pyserial (PyPI).
QEMU_BOARDS := MPS2_AN385 SABRELITE
UMQTT_SIMPLE_DIR ?=

.PHONY: qemu qemu-vendor test-target size-arm
qemu: $(MICROPY_DIR)/py/mpconfig.h
	MICROPY_DIR=$(MICROPY_DIR) JOBS=$(JOBS) $(ROOT)/firmware/qemu/build.sh $(QEMU_BOARDS)

qemu-vendor: $(MICROPY_DIR)/py/mpconfig.h
	MICROPY_DIR=$(MICROPY_DIR) JOBS=$(JOBS) $(ROOT)/tools/vendor/build.sh $(QEMU_BOARDS)

test-target: firmware qemu qemu-vendor
	cd $(ROOT) && UMQTT_FIRMWARE=$(FIRMWARE) UMQTT_TARGET_NO_BUILD=1 MICROPY_DIR=$(MICROPY_DIR) \
		$(PYTHON) -m pytest tests_py/on_target $(PYTEST_ARGS)

size-arm: qemu
	MICROPY_DIR=$(MICROPY_DIR) JOBS=$(JOBS) $(ROOT)/firmware/qemu/build.sh --variant module $(QEMU_BOARDS)
	MICROPY_DIR=$(MICROPY_DIR) JOBS=$(JOBS) $(ROOT)/firmware/qemu/build.sh --variant module-mqtt5 $(QEMU_BOARDS)
	for v in module-no-aio module-no-faces module-no-chunks module-minimal; do \
		MICROPY_DIR=$(MICROPY_DIR) JOBS=$(JOBS) $(ROOT)/firmware/qemu/build.sh --variant $$v $(QEMU_BOARDS) || exit 1; \
	done
	MICROPY_DIR=$(MICROPY_DIR) JOBS=$(JOBS) $(ROOT)/firmware/qemu/build.sh --variant plain $(QEMU_BOARDS)
	$(if $(UMQTT_SIMPLE_DIR),MICROPY_DIR=$(MICROPY_DIR) JOBS=$(JOBS) UMQTT_SIMPLE_DIR=$(UMQTT_SIMPLE_DIR) \
		$(ROOT)/firmware/qemu/build.sh --variant simple $(QEMU_BOARDS))
	MICROPY_DIR=$(MICROPY_DIR) UMQTT_SIMPLE_DIR=$(UMQTT_SIMPLE_DIR) $(PYTHON) $(ROOT)/tools/size-arm.py --out $(ROOT)/bench/size-arm.md $(QEMU_BOARDS)

# --- Fuzzing and Miri (RELIABILITY.md) ----------------------------------------
#   make fuzz          the four fuzz targets of rust/fuzz (driver_model,
#                      split_rx, v5_decode: the MQTT 5 codec, v5_driver: the
#                      driver at MQTT 5 against a hostile broker), FUZZ_SECONDS
#                      each (default 600), side by side; prints executions,
#                      coverage, time
#   make fuzz-ci       60 s each (side by side on the 2 cores: 60 s of wall
#                      time), then the planted-bug check (tools/fuzz-planted.sh)
#   make miri          umqtt-core's and umqtt-ffi's tests under Miri (nightly;
#                      MIRI_SKIP="name ..." skips tests)
# Built with cargo on the stable toolchain; no cargo-fuzz needed.
FUZZ_SECONDS ?= 600

.PHONY: fuzz fuzz-ci miri
fuzz:
	$(ROOT)/tools/fuzz.sh run $(FUZZ_SECONDS) driver_model split_rx v5_decode v5_driver

fuzz-ci:
	$(ROOT)/tools/fuzz.sh run 60 driver_model split_rx v5_decode v5_driver
	$(ROOT)/tools/fuzz-planted.sh

miri:
	$(ROOT)/tools/miri.sh
