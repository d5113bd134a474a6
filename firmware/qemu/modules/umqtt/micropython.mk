# The umqtt module, as any make port takes it. The qemu firmware's
# USER_C_MODULES is this folder so that the board clock (../qemu_hal) comes
# along; the module itself is ../../../../cmodule/umqtt, unchanged.
# UMQTT_QEMU_WITHOUT=1 leaves it out (the baseline for size comparisons).
ifneq ($(UMQTT_QEMU_WITHOUT),1)
USERMOD_DIR := $(abspath $(USERMOD_DIR)/../../../../cmodule/umqtt)
include $(USERMOD_DIR)/micropython.mk
# The qemu boards have no socket module: the client connects through transport=.
CFLAGS_USERMOD += -DMICROPY_PY_UMQTT_NET=0
# MQTT 5 follows the module's one switch, UMQTT_MQTT5 (default 1): the size
# builds (build.sh --variant module / module-mqtt5) set it to 0 / 1.
endif
