# The port side of a QuecPython-style build, in miniature. QuecPython's
# ports/quectel compiles MicroPython, the port and the user C modules, then
# archives the objects into firmware.a, which the vendor's SDK links into the
# module's image in a build of its own. Here the board's ordinary port
# Makefile does the compiling (this file is read after it, with
# `make -f Makefile -f archive.mk`), so $(OBJ) is exactly what the port would
# have linked: MicroPython, the port, and every user C module's objects
# (umqtt's C shim and its merged Rust object arrive through PY_O). The board's
# startup code (vector table, reset handler) stays out: the "SDK" brings it.

VENDOR_STARTUP_O = $(filter %/mcu/arm/startup.o,$(OBJ))
FIRMWARE_A_OBJ = $(filter-out $(VENDOR_STARTUP_O),$(OBJ))

$(BUILD)/firmware.a: $(FIRMWARE_A_OBJ)
	$(ECHO) "AR $@"
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# What the SDK side needs to know of the port: its startup object.
.PHONY: vendor-startup-o
vendor-startup-o: $(VENDOR_STARTUP_O)
	@echo $(VENDOR_STARTUP_O)
