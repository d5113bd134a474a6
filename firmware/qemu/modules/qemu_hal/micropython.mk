# A clock for MicroPython's qemu port, which has none (see qemu_hal.c).
SRC_USERMOD_C += $(USERMOD_DIR)/qemu_hal.c
