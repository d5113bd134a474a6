# Frozen modules of the unix test firmware: asyncio as in Debian's build, a
# checkNet stand-in so QuecPython scripts run unchanged, and the small `ssl`
# module (over the built-in `tls`) that MicroPython documents and
# micropython-lib would otherwise provide.
include("$(MPY_DIR)/extmod/asyncio")
module("checkNet.py")
module("ssl.py")
