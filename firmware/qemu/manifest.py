# Frozen modules of the qemu test firmware (firmware/qemu/build.sh, variant
# umqtt, and tools/vendor/build.sh): asyncio and umqtt.aio, the asyncio
# client, so that tests_py/on_target runs it on the boards. The port has no
# threads and, in MicroPython 1.25, no `time`, `select` or `_asyncio`
# modules: modules/qemu_hal adds the first two (MicroPython's own, compiled
# there) and asyncio's Python task queue stands in for `_asyncio`.
include("$(MPY_DIR)/extmod/asyncio")
package("asyncio", ("task.py",), base_path="$(MPY_DIR)/extmod", opt=3)
include("../../python/manifest.py")
