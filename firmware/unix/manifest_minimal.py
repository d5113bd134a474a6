# Frozen modules of the unix firmware built with every umqtt switch off
# (make firmware-minimal, UMQTT_MINIMAL=1): manifest.py without umqtt.aio
# (python/_umqtt_aio.py), which that firmware cannot drive.
include("$(MPY_DIR)/extmod/asyncio")
module("checkNet.py")
module("ssl.py")
