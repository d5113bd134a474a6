# Lets USER_C_MODULES=<repo> find the module one level further down.
USERMOD_DIR := $(USERMOD_DIR)/umqtt
include $(USERMOD_DIR)/micropython.mk
