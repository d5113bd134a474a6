# Frozen modules of the unix test firmware: asyncio as in Debian's build, a
# checkNet stand-in so QuecPython scripts run unchanged, and the small `ssl`
# module (over the built-in `tls`) that MicroPython documents and
# micropython-lib would otherwise provide; and umqtt.aio, the asyncio client.
include("$(MPY_DIR)/extmod/asyncio")
include("../../python/manifest.py")
module("checkNet.py")
module("ssl.py")
