#!/usr/bin/env python3
"""Size of umqtt on the emulated ARM boards, written as markdown.

    tools/size-arm.py [--out bench/size-arm.md] [--no-ram] [BOARD...]

Reads the firmware that firmware/qemu/build.sh built (variants module, plain
and, if present, module-mqtt5 and simple; the client RAM is measured on the umqtt variant
and on module-minimal) for MPS2_AN385 (Cortex-M3) and SABRELITE
(Cortex-A9):
- the whole module: the firmware with umqtt minus the same firmware without it
  (size's text/data/bss; rodata from the link map, as these linker scripts
  place .rodata inside the text output section);
- per part, from the link map's kept input sections: the Rust core (the
  merged umqtt_rust.o), the C shim (cmodule/umqtt/*.o), and the board clock
  the qemu port lacks (qemu_hal.o);
- the largest symbols of the module kept in the image (nm --size-sort);
- the RAM of one client object, measured on the board (client_ram.py, run
  through MicroPython's tools/pyboard.py under qemu-system-arm): on the umqtt
  variant an MQTT 3.1.1 client and an MQTT 5 one, and on module-minimal (when
  built) the 3.1.1 client;
- for scale, the firmware with micropython-lib's umqtt.simple frozen as
  bytecode instead;
- the module without and with MQTT 5 side by side (variant module-mqtt5:
  the cargo feature mqtt5 and -DMICROPY_PY_UMQTT_MQTT5=1), and the symbols
  only the MQTT 5 build has;
- what each build switch costs (variants module-no-aio, module-no-faces,
  module-no-chunks: the default build, module-mqtt5, with one switch off;
  module-minimal: all of them and MQTT 5 off): the default module less each.
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MICROPY_DIR = Path(os.environ.get("MICROPY_DIR") or ROOT / "deps" / "micropython")
BOARDS = {
    "MPS2_AN385": ("Cortex-M3", "thumbv7m-none-eabi", "-machine mps2-an385"),
    "SABRELITE": ("Cortex-A9", "armv7a-none-eabi", "-machine sabrelite -m 128M"),
}
KINDS = ("text", "rodata", "data", "bss")
GOAL_RUST_TEXT = 10 * 1024
GOAL_MODULE = 20 * 1024
TRIED = "### What was tried"


def kind_of(section):
    for prefix, kind in ((".text", "text"), (".rodata", "rodata"), (".data", "data"),
                         (".bss", "bss"), ("COMMON", "bss")):
        if section.startswith(prefix):
            return kind
    return None


def part_of(path):
    if path.endswith("/umqtt/umqtt_rust.o"):
        return "rust"
    if "/cmodule/umqtt/" in path:
        return "shim"
    if path.endswith("/qemu_hal.o"):
        return "hal"
    return "other"


def parse_map(path):
    """Kept input sections: list of (section, address, size, object path)."""
    text = Path(path).read_text()
    text = text[text.index("Linker script and memory map"):]
    out = []
    pending = None
    rx_full = re.compile(r"^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+\.o)\s*$")
    rx_name = re.compile(r"^ (\S+)\s*$")
    rx_rest = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+\.o)\s*$")
    for line in text.splitlines():
        m = rx_full.match(line)
        if m:
            out.append((m.group(1), int(m.group(2), 16), int(m.group(3), 16), m.group(4)))
            pending = None
            continue
        m = rx_rest.match(line)
        if m and pending:
            out.append((pending, int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
            pending = None
            continue
        m = rx_name.match(line)
        pending = m.group(1) if m and not line.startswith("  ") else None
    return out


def sums(sections, part=None):
    total = dict.fromkeys(KINDS, 0)
    for name, _addr, size, obj in sections:
        kind = kind_of(name)
        if kind and (part is None or part_of(obj) == part):
            total[kind] += size
    return total


def berkeley(elf):
    line = subprocess.run(["arm-none-eabi-size", str(elf)], stdout=subprocess.PIPE, text=True,
                          check=True).stdout.splitlines()[1].split()
    return {"text": int(line[0]), "data": int(line[1]), "bss": int(line[2])}


def top_symbols(elf, sections, parts, n):
    """The largest symbols (nm --size-sort) inside kept sections of `parts`."""
    ranges = [(a, a + s) for name, a, s, obj in sections if part_of(obj) in parts and s and kind_of(name)]
    ranges.sort()
    nm = subprocess.run(["arm-none-eabi-nm", "--size-sort", "-S", "-C", str(elf)], stdout=subprocess.PIPE,
                        text=True, check=True).stdout
    found = []
    for line in nm.splitlines():
        f = line.split(None, 3)
        if len(f) < 4:
            continue
        addr, size, name = int(f[0], 16), int(f[1], 16), f[3]
        a = addr & ~1
        if any(lo <= a < hi for lo, hi in ranges):
            found.append((size, f[2], name))
    found.sort(reverse=True)
    return found[:n]


def short(name, width=90):
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    return name if len(name) <= width else name[:width - 1] + "…"


def client_ram(board, suffix=""):
    """client_ram.py on build/qemu-<board><suffix>/firmware.elf: {"v4": (object, connected,
    working)} for the MQTT 3.1.1 client, and "v5" the same for the MQTT 5 one when the
    firmware has MQTT 5 (else None)."""
    elf = ROOT / "build" / "qemu-{}{}".format(board, suffix) / "firmware.elf"
    dev = "execpty:qemu-system-arm {} -nographic -monitor null -semihosting -serial pty -kernel {}".format(
        BOARDS[board][2], elf)
    p = subprocess.run([sys.executable, str(MICROPY_DIR / "tools" / "pyboard.py"), "-d", dev,
                        str(ROOT / "firmware" / "qemu" / "client_ram.py")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    m = re.search(r"^RAM object (\d+) connected (\d+) working (\d+)", p.stdout, re.M)
    if not m:
        raise RuntimeError("client_ram.py on {}{}: {}".format(board, suffix, p.stdout))
    m5 = re.search(r"^RAM5 object (\d+) connected (\d+) working (\d+)", p.stdout, re.M)
    return {"v4": tuple(int(x) for x in m.groups()),
            "v5": tuple(int(x) for x in m5.groups()) if m5 else None}


def core_size(mqtt5):
    """UMQTT_CORE_SIZE: the bytes the client object holds for the Rust core's state, with or
    without MQTT 5 (the header defines it twice)."""
    h = (ROOT / "rust" / "umqtt-ffi" / "include" / "umqtt_core.h").read_text()
    m = re.search(r"#if {}defined\(UMQTT_MQTT5\)\s*\n(?://[^\n]*\n)*#define UMQTT_CORE_SIZE (\d+)".format(
        "" if mqtt5 else "!"), h)
    return int(m.group(1)) if m else None


def header_value(name):
    h = (ROOT / "rust" / "umqtt-ffi" / "include" / "umqtt_core.h").read_text()
    m = re.search(r"#define {} (\d+)".format(name), h)
    return int(m.group(1)) if m else None


def shim_define(name):
    c = (ROOT / "cmodule" / "umqtt" / "umqtt.h").read_text()
    m = re.search(r"#define {} \((\d+)\)".format(name), c)
    return int(m.group(1)) if m else None


def simple_version():
    d = os.environ.get("UMQTT_SIMPLE_DIR")
    m = None
    if d and (Path(d) / "manifest.py").is_file():
        m = re.search(r'version="([^"]+)"', (Path(d) / "manifest.py").read_text())
    return " " + m.group(1) if m else ""


def fmt(n):
    return "{:,}".format(n).replace(",", " ")


def kib(n):
    return "{:.1f} KiB".format(n / 1024)


def module_sizes(with_elf, plain_elf):
    """The module in `with_elf` against `plain_elf`: (kept sections, size's figures of both,
    the difference, its parts by object, the module less the board clock, the rest)."""
    secs = parse_map(with_elf.with_suffix(".map"))
    plain_secs = parse_map(plain_elf.with_suffix(".map"))
    fw, fw_plain = berkeley(with_elf), berkeley(plain_elf)
    ro, ro_plain = sums(secs)["rodata"], sums(plain_secs)["rodata"]
    whole = {"text": fw["text"] - fw_plain["text"] - (ro - ro_plain), "rodata": ro - ro_plain,
             "data": fw["data"] - fw_plain["data"], "bss": fw["bss"] - fw_plain["bss"]}
    parts = {p: sums(secs, p) for p in ("rust", "shim", "hal")}
    module = {k: whole[k] - parts["hal"][k] for k in KINDS}
    rest = {k: module[k] - parts["rust"][k] - parts["shim"][k] for k in KINDS}
    return secs, fw, fw_plain, whole, parts, module, rest


def flash_of(d):
    return d["text"] + d["rodata"] + d["data"]


def variant_note(elf):
    note = elf.parent / "umqtt-variant.txt"
    return note.read_text().strip() if note.is_file() else "(not recorded)"


def mqtt5_report(board, without_elf, with_elf, plain_elf):
    """The module without and with MQTT 5, side by side (build.sh --variant module and
    --variant module-mqtt5)."""
    a = module_sizes(without_elf, plain_elf)
    b = module_sizes(with_elf, plain_elf)
    lines = ["#### {}: without and with MQTT 5\n".format(board),
             "The module alone built twice: `--variant module` ({}) and `--variant module-mqtt5` "
             "({}).\n".format(variant_note(without_elf), variant_note(with_elf)),
             "| what | text without mqtt5 | text with mqtt5 | difference | flash without | flash with | difference |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = (("**whole module**", a[5], b[5]), ("Rust core (umqtt_rust.o)", a[4]["rust"], b[4]["rust"]),
            ("C shim (cmodule/umqtt/*.c)", a[4]["shim"], b[4]["shim"]),
            ("MicroPython's own objects (QSTRs, module table)", a[6], b[6]))
    for label, x, y in rows:
        lines.append("| {} | {} | {} | {:+d} | {} | {} | {:+d} |".format(
            label, fmt(x["text"]), fmt(y["text"]), y["text"] - x["text"],
            fmt(flash_of(x)), fmt(flash_of(y)), flash_of(y) - flash_of(x)))
    lines.append("")
    lines.append("Firmware (`size`): without mqtt5 {} / with mqtt5 {} bytes of text.".format(
        fmt(a[1]["text"]), fmt(b[1]["text"])))
    old = {name for _s, _t, name in top_symbols(without_elf, a[0], ("rust", "shim"), 100000)}
    new = [(size, name) for size, _t, name in top_symbols(with_elf, b[0], ("rust", "shim"), 100000)
           if name not in old]
    lines.append("")
    if new:
        lines.append("Largest symbols of the module found only in the MQTT 5 build:\n")
        lines.append("| bytes | symbol |")
        lines.append("| ---: | --- |")
        for size, name in new[:12]:
            lines.append("| {} | `{}` |".format(size, short(name)))
    else:
        lines.append("No symbol of the module is in the MQTT 5 build alone.")
    lines.append("")
    return "\n".join(lines)


SWITCHES = (
    ("-module", "`UMQTT_MQTT5=0`", "MQTT 5 (`version=5`, properties) in the shim and the Rust core"),
    ("-module-no-aio", "`UMQTT_AIO=0`", "`umqtt.aio` and the asyncio primitives (`_step`, `_attach`, ...; "
     "umqtt_aio.c) and asyncio mode in the pump"),
    ("-module-no-faces", "`UMQTT_FACES=0`", "micropython-lib's faces `umqtt.simple` and `umqtt.robust`"),
    ("-module-no-chunks", "`UMQTT_CHUNKS=0`", "`set_chunk_callback` (chunked delivery)"),
)


def switches_report(board, cpu, plain_elf):
    """The default module (every switch on: variant module-mqtt5) less the module with
    one switch off, and with all of them off (module-minimal)."""
    b = ROOT / "build"
    default_elf = b / "qemu-{}-module-mqtt5".format(board) / "firmware.elf"
    minimal_elf = b / "qemu-{}-module-minimal".format(board) / "firmware.elf"
    rows = [(suffix, b / "qemu-{}{}".format(board, suffix) / "firmware.elf", name, what)
            for suffix, name, what in SWITCHES]
    if not default_elf.is_file() or not all(elf.is_file() for _s, elf, _n, _w in rows) or not minimal_elf.is_file():
        return ""
    d = module_sizes(default_elf, plain_elf)
    lines = ["#### {}: what each build switch costs\n".format(board),
             "Each switch of cmodule/umqtt/umqtt_config.h is on by default; a board builder turns one "
             "off with `UMQTT_<NAME>=0` on make's or cmake's command line (README, \"Building for a "
             "device\"). Each row is the module built with every switch on but the one named "
             "(`--variant module-no-...`; for MQTT 5, `--variant module`), measured as above; the "
             "feature's cost is the default module (`--variant module-mqtt5`) less that build. The last "
             "row is the module with all of them off (`--variant module-minimal`, `UMQTT_MINIMAL=1`).\n",
             "| build | what it leaves out | whole module (flash) | Rust core | C shim | MicroPython's objects "
             "| cost (flash) | cost (text) |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def row(label, what, s, cost):
        lines.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
            label, what, fmt(flash_of(s[5])), fmt(flash_of(s[4]["rust"])), fmt(flash_of(s[4]["shim"])),
            fmt(flash_of(s[6])), "**{}**".format(fmt(flash_of(d[5]) - flash_of(s[5]))) if cost else "—",
            fmt(d[5]["text"] - s[5]["text"]) if cost else "—"))

    row("default: every switch on", "nothing", d, False)
    alone = 0
    for _suffix, elf, name, what in rows:
        s = module_sizes(elf, plain_elf)
        alone += flash_of(d[5]) - flash_of(s[5])
        row(name, what, s, True)
    m = module_sizes(minimal_elf, plain_elf)
    row("`UMQTT_MINIMAL=1`", "all four", m, True)
    mod_flash = flash_of(m[5])
    lines.append("")
    lines.append("The four costs measured one at a time add up to {} bytes; turned off together they save "
                 "{}.".format(fmt(alone), fmt(flash_of(d[5]) - mod_flash)))
    if cpu.startswith("Cortex-M"):
        lines.append("")
        lines.append("Goal (Cortex-M3): the minimal module {} of flash, goal ≤ {}: {}.".format(
            kib(mod_flash), kib(GOAL_MODULE), "met" if mod_flash <= GOAL_MODULE else "**over**"))
    kept = {name for _s, _t, name in top_symbols(minimal_elf, m[0], ("rust", "shim"), 100000)}
    gone = [(size, name) for size, _t, name in top_symbols(default_elf, d[0], ("rust", "shim"), 100000)
            if name not in kept]
    if gone:
        lines.append("")
        lines.append("Largest symbols of the default module that the minimal build leaves out:\n")
        lines.append("| bytes | symbol |")
        lines.append("| ---: | --- |")
        for size, name in gone[:15]:
            lines.append("| {} | `{}` |".format(size, short(name)))
    lines.append("")
    return "\n".join(lines)


def ram_report(ram, ram_min, module, hal):
    """The paragraph on a client's RAM: `ram` measured on the default firmware (--variant umqtt,
    MQTT 5 compiled in), `ram_min` (or None) on --variant module-minimal."""
    rx, tx = shim_define("UMQTT_RX_INITIAL"), shim_define("UMQTT_TX_INITIAL")
    obj, conn, work = ram["v4"]
    text = ("RAM of one client (GC heap, measured on the board with `gc.mem_alloc()` by "
            "firmware/qemu/client_ram.py, 16-byte blocks, each figure after one unmeasured warm-up run of the "
            "same steps) on the default firmware (`--variant umqtt`, "
            "MQTT 5 compiled in), connected through `transport=` to a scripted broker stream. "
            "An MQTT 3.1.1 client: {} bytes right after `MQTTClient(...)`: the object {} bytes (the "
            "Rust core's state, {} bytes reserved for it in this build, and a table of {} in-flight "
            "messages among them) and its receive ({}) and transmit ({}) buffers, which grow only for "
            "larger packets; `connect()` adds {}; with a subscription, 20 QoS 1 publishes and a "
            "received message, {} bytes in all.".format(
                fmt(obj), fmt(obj - rx - tx), core_size(True), header_value("UMQTT_MAX_INFLIGHT"),
                rx, tx, fmt(conn - obj), fmt(work)))
    if ram["v5"]:
        obj5, conn5, work5 = ram["v5"]
        text += (" The same client with `version=5` (an MQTT 5 CONNACK, PUBACKs with a reason code and "
                 "an empty property block, a message with an empty property block): {} bytes after "
                 "`MQTTClient(...)`, `connect()` adds {}, {} bytes in all ({}).".format(
                     fmt(obj5), fmt(conn5 - obj5), fmt(work5),
                     "as at 3.1.1" if work5 == work else "{:+d} against 3.1.1".format(work5 - work)))
    if ram_min:
        objm, connm, workm = ram_min["v4"]
        text += (" On the smallest build (`--variant module-minimal`, `UMQTT_MINIMAL=1`: no MQTT 5, "
                 "so {} bytes reserved for the Rust core's state) the same MQTT 3.1.1 client takes {} bytes "
                 "after `MQTTClient(...)` (the object {} bytes and the same buffers), `connect()` adds "
                 "{}, {} bytes in all ({:+d} against the default firmware).".format(
                     core_size(False), fmt(objm), fmt(objm - rx - tx), fmt(connm - objm), fmt(workm),
                     workm - work))
        if ram_min["v5"]:
            text += " That build answered `version=5` too (not expected of it)."
    text += (" Static RAM of the module (as in the table above): {} bytes of data and {} of bss (the "
             "board clock has {} bytes of bss).".format(module["data"], module["bss"], hal["bss"]))
    return text


def board_report(board, ram, ram_min=None):
    cpu, triple, _ = BOARDS[board]
    b = ROOT / "build"
    # The module alone (no asyncio, umqtt.aio, time or select frozen in), as the test firmware
    # carries them since umqtt.aio runs on the boards.
    with_elf, plain_elf, simple_elf, mqtt5_elf = (b / "qemu-{}{}".format(board, v) / "firmware.elf"
                                                  for v in ("-module", "-plain", "-simple", "-module-mqtt5"))
    secs, fw, fw_plain, whole, parts, module, rest = module_sizes(with_elf, plain_elf)
    ro_plain = sums(parse_map(plain_elf.with_suffix(".map")))["rodata"]
    lines = []
    lines.append("### {} ({}, Rust target `{}`)\n".format(board, cpu, triple))
    lines.append("| what | text | rodata | data | bss | flash (text+rodata+data) |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")

    def row(label, d):
        flash = d["text"] + d["rodata"] + d["data"]
        lines.append("| {} | {} | {} | {} | {} | **{}** ({}) |".format(
            label, *(fmt(d[k]) for k in KINDS), fmt(flash), kib(flash)))

    row("firmware with umqtt − without", whole)
    row("  board clock the qemu port lacks (qemu_hal.c, not part of the module)", parts["hal"])
    row("**whole module** (the difference less the board clock)", module)
    row("  Rust core (umqtt_rust.o: core, FFI, the compiler_builtins it uses)", parts["rust"])
    row("  C shim (cmodule/umqtt/*.c)", parts["shim"])
    row("  in MicroPython's own objects (QSTRs, module table)", rest)
    if simple_elf.is_file():
        fs = berkeley(simple_elf)
        d = {"text": fs["text"] - fw_plain["text"], "rodata": 0, "data": fs["data"] - fw_plain["data"],
             "bss": fs["bss"] - fw_plain["bss"]}
        frozen_ro = sums(parse_map(simple_elf.with_suffix(".map")))["rodata"] - ro_plain
        d["rodata"], d["text"] = frozen_ro, d["text"] - frozen_ro
        row("for scale: umqtt.simple{} (micropython-lib) frozen as bytecode instead".format(simple_version()), d)
    lines.append("")
    lines.append("Firmware (`size`, text includes rodata here): with umqtt {} / without {} bytes of text.".format(
        fmt(fw["text"]), fmt(fw_plain["text"])))
    rust_code = parts["rust"]["text"]
    mod_flash = module["text"] + module["rodata"] + module["data"]
    if cpu.startswith("Cortex-M"):
        lines.append("")
        lines.append("Goals (Cortex-M3): Rust core {} of text, goal ≤ {}: {}; whole module {} of flash, "
                     "goal ≤ {}: {}.".format(
                         kib(rust_code), kib(GOAL_RUST_TEXT), "met" if rust_code <= GOAL_RUST_TEXT else "**over**",
                         kib(mod_flash), kib(GOAL_MODULE), "met" if mod_flash <= GOAL_MODULE else "**over**"))
    if ram:
        lines.append("")
        lines.append(ram_report(ram, ram_min, module, parts["hal"]))
    lines.append("")
    lines.append("Largest symbols of the module in the image (`nm --size-sort`, demangled):\n")
    lines.append("| bytes | part | symbol |")
    lines.append("| ---: | --- | --- |")
    elf_syms = top_symbols(with_elf, secs, ("rust",), 15)
    for size, _t, name in elf_syms:
        lines.append("| {} | Rust | `{}` |".format(size, short(name)))
    for size, _t, name in top_symbols(with_elf, secs, ("shim",), 10):
        lines.append("| {} | C | `{}` |".format(size, short(name)))
    lines.append("")
    if mqtt5_elf.is_file():
        lines.append(mqtt5_report(board, with_elf, mqtt5_elf, plain_elf))
    switches = switches_report(board, cpu, plain_elf)
    if switches:
        lines.append(switches)
    return "\n".join(lines), {"whole": whole, "parts": parts, "fw": fw, "fw_plain": fw_plain}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "bench" / "size-arm.md"))
    ap.add_argument("--no-ram", action="store_true")
    ap.add_argument("boards", nargs="*", default=list(BOARDS))
    args = ap.parse_args()
    rustc = subprocess.run(["/usr/bin/rustc", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    gcc = subprocess.run(["arm-none-eabi-gcc", "--version"], stdout=subprocess.PIPE,
                         text=True).stdout.splitlines()[0]
    out = ["## Size on target (emulated ARM boards)\n",
           "Measured by `make size-arm` (tools/size-arm.py): MicroPython 1.25's qemu port built by "
           "`firmware/qemu/build.sh` with umqtt, without it, and with micropython-lib's umqtt.simple frozen "
           "instead; the Rust core as the build glue builds it for ARM (release profile: LTO, codegen-units 1, "
           "panic = \"abort\"; opt-level \"z\"; `-Z build-std=core,compiler_builtins`), merged by "
           "`ld -r --unique`; "
           "C at -Os with `--gc-sections`. {}; {}.\n".format(rustc, gcc)]
    for board in args.boards:
        ram = ram_min = None
        if not args.no_ram:
            ram = client_ram(board)
            # The smallest build (make size-arm builds it for the switches table), when built.
            if (ROOT / "build" / "qemu-{}-module-minimal".format(board) / "firmware.elf").is_file():
                ram_min = client_ram(board, "-module-minimal")
        text, _ = board_report(board, ram, ram_min)
        out.append(text)
    # A hand-written "### What was tried" section at the end of an existing
    # report is kept.
    old = Path(args.out).read_text() if Path(args.out).is_file() else ""
    if TRIED in old:
        out.append(old[old.index(TRIED):])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(out))
    print("\n".join(out))


if __name__ == "__main__":
    main()
