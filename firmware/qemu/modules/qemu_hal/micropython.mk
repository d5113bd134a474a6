# A clock for MicroPython's qemu port, which has none (see qemu_hal.c).
SRC_USERMOD_C += $(USERMOD_DIR)/qemu_hal.c
# The firmware with umqtt also gets the `time` and `select` modules that the
# port leaves out: asyncio needs them (umqtt.aio is frozen with asyncio by
# ../../manifest.py). The size baselines (UMQTT_QEMU_WITHOUT=1) stay without.
# The size build of the module alone (UMQTT_QEMU_NO_AIO=1) leaves them out too.
ifeq ($(UMQTT_QEMU_WITHOUT)$(UMQTT_QEMU_NO_AIO),)
SRC_USERMOD_C += $(USERMOD_DIR)/qemu_time.c $(USERMOD_DIR)/qemu_select.c
endif
