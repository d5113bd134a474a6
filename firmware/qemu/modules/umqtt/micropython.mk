# The umqtt module, as any make port takes it. The qemu firmware's
# USER_C_MODULES is this folder so that the board clock (../qemu_hal) comes
# along; the module itself is ../../../../cmodule/umqtt, unchanged.
# UMQTT_QEMU_WITHOUT=1 leaves it out (the baseline for size comparisons).
ifneq ($(UMQTT_QEMU_WITHOUT),1)
USERMOD_DIR := $(abspath $(USERMOD_DIR)/../../../../cmodule/umqtt)
include $(USERMOD_DIR)/micropython.mk
# The qemu boards have no socket module: the client connects through transport=.
CFLAGS_USERMOD += -DMICROPY_PY_UMQTT_NET=0
# The size builds (build.sh --variant module / module-mqtt5) say whether the
# shim's MQTT 5 sections are in; other builds keep umqtt_config.h's default.
ifneq ($(UMQTT_QEMU_MQTT5),)
CFLAGS_USERMOD += -DMICROPY_PY_UMQTT_MQTT5=$(UMQTT_QEMU_MQTT5)
endif
endif
