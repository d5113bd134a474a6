# Frozen manifest for the size comparison: micropython-lib's umqtt.simple as
# bytecode (the module's pure-Python counterpart), from $UMQTT_SIMPLE_DIR
# (firmware/qemu/build.sh --variant simple exports it).
import os

freeze(os.environ["UMQTT_SIMPLE_DIR"], "umqtt/simple.py")
