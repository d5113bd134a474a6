# Frozen modules of the unix test firmware: asyncio as in Debian's build, and a
# checkNet stand-in so QuecPython scripts run unchanged.
include("$(MPY_DIR)/extmod/asyncio")
module("checkNet.py")
