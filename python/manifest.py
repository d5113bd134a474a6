# The asyncio client, umqtt.aio (python/_umqtt_aio.py), frozen into a port's
# firmware. A port adds it with one line in its frozen manifest:
#
#     include("<path to this repository>/python/manifest.py")
#
# It needs the port's asyncio (MicroPython's extmod/asyncio, frozen by most
# ports' default manifests: include("$(MPY_DIR)/extmod/asyncio") otherwise).
module("_umqtt_aio.py", opt=3)
