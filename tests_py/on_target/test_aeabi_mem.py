"""The Thumb-2 memory helpers of the Rust core (rust/umqtt-ffi/src/aeabi_mem.s:
``__aeabi_memcpy``, ``memmove``, ``memset``, ``memclr`` and their 4/8 forms),
which every Cortex-M3-and-up build uses in place of compiler_builtins' larger
ones, checked exhaustively against byte loops on MPS2_AN385 under qemu:
aeabi_mem_check.c, bare metal, reporting by semihosting. Checked twice: the
source assembled by GNU as, and the bytes rustc shipped in the MPS2_AN385
firmware's Rust object (its helper section cut out with objcopy), so what is
tested is what runs on the device. A wrong helper would corrupt memory everywhere in
the core, so it is checked on its own rather than only through the suite.

Also shown: the check fails on a helper with a defect planted (a memset that
forgets to keep only the low byte of its value, a memmove stepping wrongly
backwards)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ASM = ROOT / "rust" / "umqtt-ffi" / "src" / "aeabi_mem.s"
RUST_OBJECT = ROOT / "build" / "qemu-MPS2_AN385" / "umqtt" / "umqtt_rust.o"
CC = "arm-none-eabi-gcc"
QEMU = "qemu-system-arm"

pytestmark = pytest.mark.target


def _need(*tools):
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.fail("{} is missing (apt-get install gcc-arm-none-eabi qemu-system-arm)".format(tool),
                        pytrace=False)


def _assemble(tmp_path, asm_text):
    asm = tmp_path / "aeabi_mem.s"
    # LLVM assembles Rust's global_asm! in unified syntax and Thumb state by
    # default for the thumbv7m target; GNU as needs to be told.
    asm.write_text(".syntax unified\n.thumb\n" + asm_text)
    return asm


def _build_and_run(tmp_path, helpers):
    """Link the check with ``helpers`` (a source or an object), run it; (exit status, output)."""
    _need(CC, QEMU)
    elf = tmp_path / "check.elf"
    build = subprocess.run(
        [CC, "-Wall", "-Wextra", "-Werror", "-mcpu=cortex-m3", "-mthumb", "-O1", "-ffreestanding", "-fno-builtin",
         "-fno-tree-loop-distribute-patterns", "-nostdlib", "-T", str(HERE / "aeabi_mem_check.ld"),
         str(HERE / "aeabi_mem_check.c"), str(helpers), "-o", str(elf)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert build.returncode == 0, build.stdout
    try:
        run = subprocess.run(
            [QEMU, "-machine", "mps2-an385", "-nographic", "-semihosting", "-monitor", "none", "-serial", "none",
             "-kernel", str(elf)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "did not finish in 120 s"
    return run.returncode, run.stdout


def test_helpers_match_byte_loops_at_every_length_alignment_and_overlap(tmp_path):
    _expect_pass(*_build_and_run(tmp_path, _assemble(tmp_path, ASM.read_text())))


def test_the_helpers_rustc_built_into_the_firmware_pass_the_same_check(tmp_path):
    _need("arm-none-eabi-objcopy")
    if os.environ.get("UMQTT_TARGET_NO_BUILD") != "1":
        p = subprocess.run(["firmware/qemu/build.sh", "MPS2_AN385"], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=1200,
                           env=dict(os.environ, JOBS=os.environ.get("JOBS", "2")))
        assert p.returncode == 0, p.stdout[-6000:]
    assert RUST_OBJECT.is_file(), "no Rust object at {}".format(RUST_OBJECT)
    shipped = tmp_path / "shipped.o"
    # The helpers are local to the Rust object (only umqtt_* is global): make them global to link the check.
    names = ["--globalize-symbol=__aeabi_" + n for n in ("memcpy", "memcpy4", "memmove", "memset", "memclr")]
    p = subprocess.run(["arm-none-eabi-objcopy", "--only-section=.text.umqtt_aeabi_mem"] + names
                       + [str(RUST_OBJECT), str(shipped)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stdout
    _expect_pass(*_build_and_run(tmp_path, shipped))


def _expect_pass(rc, out):
    assert rc == 0 and out.startswith("OK "), out
    # memcpy, memcpy4, memmove (disjoint and at 25 overlaps), memset with 6 values and memclr
    assert int(out.split()[1]) == 28324, out


@pytest.mark.parametrize("defect, old, new", [
    ("memset keeps the whole value", "and r2, r2, #255\n", "nop\n"),
    ("memmove steps back two bytes", "3: ldrb r3, [r1, #-1]!\n", "3: ldrb r3, [r1, #-2]!\n"),
])
def test_a_planted_defect_is_caught(tmp_path, defect, old, new):
    text = ASM.read_text()
    assert text.count(old) == 1, "the source changed: update this test's planted defect"
    rc, out = _build_and_run(tmp_path, _assemble(tmp_path, text.replace(old, new)))
    assert rc != 0 and "FAIL" in out, "{}: not caught ({})".format(defect, out)
