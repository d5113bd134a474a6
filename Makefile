# umqtt: a native MQTT client module for MicroPython.
#
#   make demo       build build/micropython and run the seed demo against a local broker
#   make test       build, then run every test (cargo test, header check, pytest)
#   make firmware   build build/micropython only
#   make size       text/data/bss of the firmware with and without the module
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

.PHONY: all firmware firmware-plain demo test test-rust test-py check-header deps size clean
all: firmware

deps:
	@$(ROOT)/tools/install-deps.sh

$(ROOT)/deps/micropython/py/mpconfig.h:
	$(ROOT)/tools/fetch-micropython.sh $(ROOT)/deps/micropython

$(MICROPY_DIR)/mpy-cross/build/mpy-cross: | $(MICROPY_DIR)/py/mpconfig.h
	$(MAKE) -C $(MICROPY_DIR)/mpy-cross -j$(JOBS)

firmware: $(MICROPY_DIR)/py/mpconfig.h $(MICROPY_DIR)/mpy-cross/build/mpy-cross
	$(MAKE) -C $(MICROPY_DIR)/ports/unix -j$(JOBS) $(UNIX_FLAGS) \
		USER_C_MODULES=$(ROOT)/cmodule BUILD=$(BUILD_DIR)/unix
	@cmp -s $(BUILD_DIR)/unix/micropython $(FIRMWARE) || \
		{ cp -p $(BUILD_DIR)/unix/micropython $(FIRMWARE).tmp && mv -f $(FIRMWARE).tmp $(FIRMWARE); }
	@echo "firmware: $(FIRMWARE)"

# The same firmware without umqtt, for size comparisons.
firmware-plain: $(MICROPY_DIR)/py/mpconfig.h $(MICROPY_DIR)/mpy-cross/build/mpy-cross
	$(MAKE) -C $(MICROPY_DIR)/ports/unix -j$(JOBS) $(UNIX_FLAGS) BUILD=$(BUILD_DIR)/unix-plain

size: firmware firmware-plain
	@size $(BUILD_DIR)/unix-plain/micropython $(FIRMWARE)

demo: deps firmware
	$(PYTHON) $(ROOT)/tools/demo.py $(FIRMWARE)

check-header:
	$(ROOT)/tools/check-header.sh

test-rust:
	cd $(ROOT) && cargo test --locked

test-py: firmware
	cd $(ROOT) && UMQTT_FIRMWARE=$(FIRMWARE) $(PYTHON) -m pytest tests_py $(PYTEST_ARGS)

test: deps check-header test-rust test-py

clean:
	rm -rf $(BUILD_DIR) $(ROOT)/target
