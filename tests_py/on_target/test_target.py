"""On-target suite: the MicroPython scripts in this folder (x.py + x.py.exp)
run on emulated ARM boards under qemu-system-arm with MicroPython's own
tests/run-tests.py, and on the unix firmware, against the same .exp files.

Each script carries its broker: a scripted MQTT broker written in Python as
an io.IOBase stream, handed to the client with MQTTClient(transport=...), so
no network is needed (the qemu port has no socket and no threads).

Firmware under test (built by the fixtures, which is quick when up to date):
  MPS2_AN385          Cortex-M3,  firmware/qemu/build.sh  -> build/qemu-MPS2_AN385/
  SABRELITE           Cortex-A9,  firmware/qemu/build.sh  -> build/qemu-SABRELITE/
  MPS2_AN385-vendor,  the QuecPython-style build: the port's objects, umqtt's
  SABRELITE-vendor    among them, archived into firmware.a and linked by a
                      separate SDK-style link (tools/vendor/build.sh)
  unix                the unix firmware of the rest of the suite
The qemu runs carry the marker ``target``; a missing qemu, toolchain, pyserial
or firmware fails them (deselect with -m "not target"). UMQTT_TARGET_NO_BUILD=1
uses the firmware already built.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mqtt_harness as h

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MICROPY_DIR = Path(os.environ.get("MICROPY_DIR") or ROOT / "deps" / "micropython").resolve()
RUN_TESTS = MICROPY_DIR / "tests" / "run-tests.py"
SCRIPTS = sorted(p.name for p in HERE.glob("*.py") if not p.name.startswith(("test_", "conftest")))
BROKER_BEGIN = "# --- scripted broker (the same block in every script of tests_py/on_target) ---"
BROKER_END = "# --- end of scripted broker ---"

QEMU = "qemu-system-arm"
MACHINES = {
    "MPS2_AN385": "-machine mps2-an385",
    "SABRELITE": "-machine sabrelite -m 128M",
}
# name -> (board, build command, firmware)
FIRMWARES = {
    "MPS2_AN385": ("MPS2_AN385", ["firmware/qemu/build.sh", "MPS2_AN385"], "build/qemu-MPS2_AN385/firmware.elf"),
    "SABRELITE": ("SABRELITE", ["firmware/qemu/build.sh", "SABRELITE"], "build/qemu-SABRELITE/firmware.elf"),
    "MPS2_AN385-vendor": ("MPS2_AN385", ["tools/vendor/build.sh", "MPS2_AN385"], "build/vendor-MPS2_AN385/firmware.elf"),
    "SABRELITE-vendor": ("SABRELITE", ["tools/vendor/build.sh", "SABRELITE"], "build/vendor-SABRELITE/firmware.elf"),
}
TARGETS = [pytest.param(name, marks=pytest.mark.target) for name in FIRMWARES] + ["unix"]

_runs = {}
_built = {}


def _fail(text):
    pytest.fail(text, pytrace=False)


def _build(name):
    if name in _built:
        return _built[name]
    board, cmd, elf = FIRMWARES[name]
    if os.environ.get("UMQTT_TARGET_NO_BUILD") != "1":
        env = dict(os.environ, JOBS=os.environ.get("JOBS", "2"))
        p = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=1200)
        if p.returncode != 0:
            _fail("building {} failed ({}):\n{}".format(name, " ".join(cmd), p.stdout[-6000:]))
    path = ROOT / elf
    if not path.is_file():
        _fail("no firmware at {}".format(path))
    _built[name] = (board, path)
    return _built[name]


def _run_suite(name, unix_firmware=None):
    """Run every script on one firmware with run-tests.py; returns {script: (ok, detail)}."""
    if name in _runs:
        return _runs[name]
    if not RUN_TESTS.is_file():
        _fail("no MicroPython tree with tests/run-tests.py at {} (make firmware fetches it)".format(MICROPY_DIR))
    env = dict(os.environ)
    if name == "unix":
        instance = "unix"
        env["MICROPY_MICROPYTHON"] = str(unix_firmware)
    else:
        if shutil.which(QEMU) is None:
            _fail("{} is missing (apt-get install qemu-system-arm)".format(QEMU))
        try:
            import serial  # noqa: F401  run-tests.py's execpty needs pyserial
        except ImportError:
            _fail("pyserial is missing (pip install pyserial): run-tests.py needs it for execpty")
        board, elf = _build(name)
        instance = "execpty:{} {} -nographic -monitor null -semihosting -serial pty -kernel {}".format(
            QEMU, MACHINES[board], elf)
    results = ROOT / "build" / "target-results" / name
    shutil.rmtree(results, ignore_errors=True)
    results.mkdir(parents=True)
    cmd = [sys.executable, str(RUN_TESTS), "-t", instance, "-r", str(results)]
    cmd += [str(HERE / s) for s in SCRIPTS]
    try:
        p = subprocess.run(cmd, cwd=RUN_TESTS.parent, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=600)
    except subprocess.TimeoutExpired as e:
        _fail("run-tests.py on {} did not finish in 600 s:\n{}".format(name, e.stdout))
    verdicts = {}
    for line in p.stdout.splitlines():
        m = re.match(r"^(pass|FAIL|skip)\s+(\S+)", line)
        if m:
            verdicts[Path(m.group(2)).name] = m.group(1)
    outcome = {}
    for s in SCRIPTS:
        verdict = verdicts.get(s)
        detail = "run-tests.py output:\n" + p.stdout[-4000:]
        if verdict == "FAIL":
            outs = list(results.glob("*" + s + ".out"))
            exps = list(results.glob("*" + s + ".exp"))
            if outs and exps:
                diff = subprocess.run(["diff", "-u", str(exps[0]), str(outs[0])], stdout=subprocess.PIPE,
                                      text=True).stdout
                detail = "expected (-) vs on {} (+):\n{}".format(name, diff[-6000:])
        outcome[s] = (verdict == "pass", verdict, detail)
    _runs[name] = outcome
    return outcome


# The first test of each firmware builds it (a few minutes on a fresh machine)
# and runs the whole suite on it.
@pytest.mark.umqtt_timeout(1800)
@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("target", TARGETS)
def test_on_target(target, script, request):
    unix_firmware = None
    if target == "unix":
        unix_firmware = request.getfixturevalue("firmware")
    ok, verdict, detail = _run_suite(target, unix_firmware)[script]
    assert ok, "{} on {}: {}\n{}".format(script, target, verdict or "no verdict from run-tests.py", detail)


def test_scripts_have_expectations_and_one_broker():
    """Every script has its .exp, and all carry the same scripted-broker block."""
    assert SCRIPTS, "no scripts in " + str(HERE)
    blocks = {}
    for s in SCRIPTS:
        assert (HERE / (s + ".exp")).is_file(), s + " has no .exp"
        text = (HERE / s).read_text()
        if BROKER_BEGIN in text:
            blocks[s] = text[text.index(BROKER_BEGIN):text.index(BROKER_END)]
    assert len(set(blocks.values())) == 1, "the scripted broker differs between " + ", ".join(blocks)
    assert len(blocks) >= len(SCRIPTS) - 1, "scripts without the broker block: " + ", ".join(
        sorted(set(SCRIPTS) - set(blocks)))


@pytest.mark.target
@pytest.mark.umqtt_timeout(1800)
@pytest.mark.parametrize("name", list(FIRMWARES))
def test_only_umqtt_symbols_are_global(name):
    """The merged Rust object exports umqtt_* only and needs nothing but
    umqtt_*; its memcpy and __aeabi_* copies are local, so C keeps newlib's and
    libgcc's (one global definition each in the image)."""
    board, elf = _build(name)
    nm = shutil.which("arm-none-eabi-nm")
    if nm is None:
        _fail("arm-none-eabi-nm is missing (apt-get install binutils-arm-none-eabi)")
    build = elf.parent if "vendor" not in name else elf.parent / "port"
    rust_o = build / "umqtt" / "umqtt_rust.o"
    syms = subprocess.run([nm, str(rust_o)], stdout=subprocess.PIPE, text=True, check=True).stdout
    glob_def, undef = [], []
    for line in syms.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undef.append(parts[1])
        elif len(parts) == 3 and parts[1].isupper() and parts[1] not in "UNW":
            glob_def.append(parts[2])
    assert glob_def and all(s.startswith("umqtt_") for s in glob_def), glob_def
    assert all(s.startswith("umqtt_") for s in undef), undef
    image = subprocess.run([nm, "-g", "--defined-only", str(elf)], stdout=subprocess.PIPE, text=True,
                           check=True).stdout.split("\n")
    names = [l.split()[2] for l in image if len(l.split()) == 3]
    runtime = [n for n in names if re.match(r"^(mem(cpy|move|set|cmp)|__aeabi_\w+)$", n)]
    assert "memcpy" in runtime
    assert len(runtime) == len(set(runtime)), runtime


# CPU flags of a port -> the Rust target that tools/build-rust-object.sh picks,
# as cmodule/umqtt/micropython.mk hands them over ("host": rustup's cargo).
CPU_FLAGS = [
    ("arm-none-eabi-gcc", "-mthumb -mcpu=cortex-m0plus -mfloat-abi=soft", "", "thumbv6m-none-eabi"),
    ("arm-none-eabi-gcc", "-mthumb -mcpu=cortex-m3 -mfloat-abi=soft", "", "thumbv7m-none-eabi"),
    ("arm-none-eabi-gcc", "-mthumb -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard", "", "thumbv7em-none-eabihf"),
    ("arm-none-eabi-gcc", "-mthumb -mcpu=cortex-m7 -mfloat-abi=softfp", "", "thumbv7em-none-eabi"),
    ("arm-none-eabi-gcc", "-mthumb -mcpu=cortex-m33 -mfloat-abi=hard", "", "thumbv8m.main-none-eabihf"),
    # RP2350 as the Pico SDK 2.1.1 compiles it: softfp passes floats in integer registers.
    ("arm-none-eabi-gcc", "-mcpu=cortex-m33 -mthumb -march=armv8-m.main+fp+dsp -mfloat-abi=softfp -mcmse", "",
     "thumbv8m.main-none-eabi"),
    ("arm-none-eabi-gcc", "-mcpu=cortex-a9 -mno-unaligned-access", "", "armv7a-none-eabi"),
    ("arm-none-eabi-gcc", "-mcpu=cortex-a7 -mfpu=neon-vfpv4 -mfloat-abi=hard", "", "armv7a-none-eabihf"),
    ("arm-none-eabi-gcc", "-march=armv7-m -mthumb", "", "thumbv7m-none-eabi"),
    ("gcc", "-Os", "", "host"),
    ("ccache gcc", "-Os", "", "host"),
    ("gcc", "-Os", "thumbv7m-none-eabi", "thumbv7m-none-eabi"),
    # A unix port cross-compiled for a Linux board keeps a hosted target.
    ("arm-linux-gnueabihf-gcc", "-march=armv7-a -mfloat-abi=hard", "", "armv7-unknown-linux-gnueabihf"),
    ("aarch64-linux-gnu-gcc", "-O2", "", "aarch64-unknown-linux-gnu"),
    ("riscv32-esp-elf-gcc", "-march=rv32imc_zicsr_zifencei", "", "riscv32imc-unknown-none-elf"),
]


@pytest.mark.parametrize("cc,cflags,given,expected", CPU_FLAGS)
def test_rust_target_follows_the_port_cpu_flags(tmp_path, cc, cflags, given, expected):
    probe = tmp_path / "probe.mk"
    probe.write_text("USERMOD_DIR := {}\nBUILD := {}\ninclude $(USERMOD_DIR)/micropython.mk\n"
                     "print:\n\t@echo '[$(UMQTT_RUST_TARGET_PICKED)]'\n".format(
                         ROOT / "cmodule" / "umqtt", tmp_path / "build"))
    cmd = ["make", "-s", "-f", str(probe), "print", "CC=" + cc, "CFLAGS=" + cflags]
    if given:
        cmd.append("UMQTT_RUST_TARGET=" + given)
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    assert out.strip().endswith("[{}]".format(expected)), out


# cmake ports name the chip rather than pass CPU flags to the script.
PLATFORMS = [
    ("arm-none-eabi-gcc", "rp2040", "thumbv6m-none-eabi"),
    ("arm-none-eabi-gcc", "rp2350-arm-s", "thumbv8m.main-none-eabi"),
    ("riscv32-unknown-elf-gcc", "rp2350-riscv", "riscv32imac-unknown-none-elf"),
    ("riscv32-esp-elf-gcc", "esp32c3", "riscv32imc-unknown-none-elf"),
    ("riscv32-esp-elf-gcc", "esp32c6", "riscv32imac-unknown-none-elf"),
]


@pytest.mark.parametrize("cc,platform,expected", PLATFORMS)
def test_rust_target_follows_the_chip(cc, platform, expected):
    env = dict(os.environ, UMQTT_CC=cc, UMQTT_CPU_FLAGS="", UMQTT_PLATFORM=platform)
    p = subprocess.run([str(ROOT / "tools" / "build-rust-object.sh"), "--print-target"], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert (p.returncode, p.stdout.strip()) == (0, expected), p.stdout


def test_xtensa_says_what_it_needs():
    env = dict(os.environ, UMQTT_CC="xtensa-esp32s3-elf-gcc", UMQTT_CPU_FLAGS="", UMQTT_PLATFORM="esp32s3")
    p = subprocess.run([str(ROOT / "tools" / "build-rust-object.sh"), "--print-target"], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert p.returncode != 0 and "espup" in p.stdout, p.stdout


CORE_TARGETS = ["thumbv6m-none-eabi", "thumbv7m-none-eabi", "thumbv7em-none-eabihf", "armv7a-none-eabi"]


@pytest.mark.target
@pytest.mark.umqtt_timeout(900)
@pytest.mark.parametrize("triple", CORE_TARGETS)
def test_core_builds_for_arm_target(triple):
    """The Rust core (umqtt-ffi staticlib) builds for each ARM target with
    Debian's rustc-web and -Z build-std, as the build glue runs it."""
    for tool in ("/usr/bin/cargo", "/usr/bin/rustc"):
        if not os.path.exists(tool):
            _fail("{} is missing (apt-get install rustc-web cargo-web rust-web-src)".format(tool))
    env = dict(os.environ, RUSTC="/usr/bin/rustc", RUSTC_BOOTSTRAP="1", CARGO_PROFILE_RELEASE_OPT_LEVEL="z")
    target_dir = ROOT / "build" / "qemu-cargo"
    p = subprocess.run(["/usr/bin/cargo", "build", "--quiet", "--release", "--locked", "-p", "umqtt-ffi",
                        "--target-dir", str(target_dir), "--target", triple,
                        "-Z", "build-std=core,compiler_builtins", "-Z", "build-std-features=compiler-builtins-mem"],
                       cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    assert p.returncode == 0, p.stdout[-6000:]
    lib = target_dir / triple / "release" / "libumqtt_ffi.a"
    assert lib.is_file(), lib
