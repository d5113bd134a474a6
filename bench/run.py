#!/usr/bin/env python3
"""The umqtt benchmark: one command, one private Mosquitto, one firmware.

    python3 bench/run.py                      # full run (~5 min), writes BENCHMARKS.md
    python3 bench/run.py --quick              # smoke run (< 2 min), writes build/bench/BENCHMARKS-quick.md
    python3 bench/run.py --firmware build/micropython --runs 5 --quick

Measured in the same run, on the same firmware (build/micropython), against
the same broker, with the three clients interleaved case by case:

- ours: ``from umqtt import MQTTClient`` (the built-in module);
- umqtt.simple 1.1 from PyPI (``pip download --no-deps
  micropython-umqtt.simple==1.1``), run on the same firmware from
  MICROPYPATH as package ``usimple11`` (cached under build/bench/, never
  committed);
- a C client on libmosquitto (bench/c/mosq_bench.c), same work, same
  synchronous semantics;
- the asyncio client, ``from umqtt.aio import MQTTClient``
  (bench/mpy/aio_device.py), same commands with ``await``, interleaved with
  the three others; plus, asyncio only, QoS 1 from 8 tasks at once (also
  against a second broker with ``set_tcp_nodelay true``).

Cases (payloads 16 B, 1 KiB, 64 KiB): QoS 0 publish rate; QoS 1 and QoS 2
synchronous publish rate (each call waits for its PUBACK / PUBCOMP);
publish-then-receive round trips; receive flood (a C publisher pre-loads the
broker with K QoS 0 messages for the device's topic, then the device loops
wait_msg() until it has K). Each case is run --runs times; the table shows
medians and the median of the per-run ratios.

Then: heap allocation per publish and per received message (gc.mem_alloc()
deltas; heap_lock() around ours), the smallest -X heapsize on which the seed
application note's example runs (ours vs umqtt.simple), the size the module
adds to the firmware, the RAM of one connected client (also after one
64 KiB message received, one published, and 1.1 s later), and callgrind
instruction counts / strace system-call counts per publish.

Installs what it needs when missing: umqtt.simple 1.1 (pip download into
build/bench/cache), libmosquitto-dev (apt-get), paho-mqtt (pip); builds the
firmware (make firmware / firmware-plain) when the binaries are missing.
"""

import argparse
import datetime
import hashlib
import os
import pickle
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests_py"))

import mqtt_harness as h  # noqa: E402

BENCH_DIR = REPO / "bench"
MPY_DIR = BENCH_DIR / "mpy"
OUT = REPO / "build" / "bench"
SIMPLE_VERSION = "1.1"
SIMPLE_PKG = "micropython-umqtt.simple"
SIZES = (16, 1024, 65536)
CLIENTS = ("ours", "simple", "c")
# The asyncio client (umqtt.aio.MQTTClient, bench/mpy/aio_device.py) is
# measured in the same runs, interleaved with the three above; its own table.
# MQTT 5: ours with version=5 (bench/mpy/device.py, BENCH_VERSION=5) and
# libmosquitto with MOSQ_OPT_PROTOCOL_VERSION = MQTT_PROTOCOL_V5, in the same
# runs, interleaved with the others; their own table. Ours is "not
# available" when the firmware refuses version=5 (ctx.v5_na says why).
V5_KINDS = ("ours5", "c5")
KINDS = CLIENTS + ("aio",) + V5_KINDS
CLIENT_NAMES = {"ours": "umqtt (ours)", "simple": "umqtt.simple 1.1", "c": "libmosquitto (C)",
                "aio": "umqtt.aio (asyncio)", "ours5": "umqtt (ours), MQTT 5",
                "c5": "libmosquitto (C), MQTT 5"}
CASES = ("pub0", "pub1", "pub2", "rtt", "flood")
CASE_NAMES = {
    "pub0": "QoS 0 publish",
    "pub1": "QoS 1 publish (sync)",
    "pub2": "QoS 2 publish (sync)",
    "rtt": "publish→receive round trip",
    "flood": "receive flood",
    "floodbuf": "receive flood into the script's buffer",
}
# Ours only, at 64 KiB: the flood received through set_chunk_callback into a
# 32 KiB bytearray the script owns (two chunks a message), instead of a new
# bytes object each; compared with the other clients' ordinary flood.
BUF_CASE = ("floodbuf", 65536)
# Cases of the asyncio client only: AIO_TASKS tasks publishing at QoS 1 at
# once, against the run's broker; then QoS 1 one by one and from AIO_TASKS
# tasks against a second broker with `set_tcp_nodelay true` ("nd": with
# several PUBACKs due at once, the default broker's Nagle holds the later ones
# until the client's delayed ACK).
AIO_TASKS = 8
AIO_EXTRA = ("pub1t{}".format(AIO_TASKS), "pub1nd", "pub1t{}nd".format(AIO_TASKS))
CASE_NAMES.update({
    "pub1t{}".format(AIO_TASKS): "QoS 1 publish, {} tasks at once".format(AIO_TASKS),
    "pub1nd": "QoS 1 publish (sync), broker with TCP_NODELAY",
    "pub1t{}nd".format(AIO_TASKS): "QoS 1 publish, {} tasks at once, broker with TCP_NODELAY".format(AIO_TASKS),
})


def log(*a):
    print("[bench]", *a, flush=True)


def size_label(n):
    return "{} KiB".format(n // 1024) if n >= 1024 else "{} B".format(n)


# --------------------------------------------------------------------------
# What the run needs
# --------------------------------------------------------------------------


def run_cmd(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run([str(c) for c in cmd], **kw)


def make_flags():
    """UNIX_FLAGS of the top-level Makefile, so a relink here sees the same build."""
    text = (REPO / "Makefile").read_text()
    m = re.search(r"^UNIX_FLAGS\s*:=\s*((?:.*\\\n)*.*)$", text, re.M)
    if not m:
        raise SystemExit("bench: UNIX_FLAGS not found in Makefile")
    flags = m.group(1).replace("\\\n", " ").replace("$(ROOT)", str(REPO)).split()
    return flags


def ensure_firmware(args):
    for path, target in ((args.firmware, "firmware"), (args.plain_firmware, "firmware-plain")):
        if not Path(path).is_file():
            if args.no_build:
                raise SystemExit("bench: {} missing (and --no-build)".format(path))
            log("building", target, "(missing {})".format(path))
            run_cmd(["make", "-C", REPO, target])
            if not Path(path).is_file():
                raise SystemExit("bench: make {} did not produce {}".format(target, path))


def ensure_paho():
    try:
        import paho.mqtt.client  # noqa: F401
    except ImportError:
        log("installing paho-mqtt (pip)")
        run_cmd([sys.executable, "-m", "pip", "install", "--quiet", "paho-mqtt>=2,<3"])


def ensure_simple():
    """umqtt.simple 1.1 as usimple11/simple.py on a MICROPYPATH dir; returns (dir, sha256)."""
    cache = OUT / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    tarballs = sorted(cache.glob("micropython-umqtt.simple-{}.tar.gz".format(SIMPLE_VERSION)))
    if not tarballs:
        log("downloading {}=={} (pip download --no-deps)".format(SIMPLE_PKG, SIMPLE_VERSION))
        run_cmd([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", cache,
                 "{}=={}".format(SIMPLE_PKG, SIMPLE_VERSION)],
                stdout=subprocess.DEVNULL)
        tarballs = sorted(cache.glob("micropython-umqtt.simple-{}.tar.gz".format(SIMPLE_VERSION)))
        if not tarballs:
            raise SystemExit("bench: pip download gave no {} tarball in {}".format(SIMPLE_PKG, cache))
    with tarfile.open(tarballs[0]) as tf:
        member = next(m for m in tf.getmembers() if m.name.endswith("umqtt/simple.py"))
        source = tf.extractfile(member).read()
    mpypath = OUT / "mpypath"
    pkg = mpypath / "usimple11"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "simple.py").write_bytes(source)
    shutil.copy(MPY_DIR / "seedcompat.py", pkg / "seedcompat.py")
    return mpypath, hashlib.sha256(source).hexdigest()


def compile_simple(mpypath):
    """The same two modules precompiled with mpy-cross (.mpy), as a careful
    device user would install umqtt.simple; returns the MICROPYPATH dir or None."""
    micropy = Path(os.environ.get("MICROPY_DIR", REPO / "deps" / "micropython"))
    cross = micropy / "mpy-cross" / "build" / "mpy-cross"
    if not cross.exists():
        return None
    out = OUT / "mpypath-mpy"
    pkg = out / "usimple11"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    for name in ("simple", "seedcompat"):
        run_cmd([cross, "-o", pkg / (name + ".mpy"), mpypath / "usimple11" / (name + ".py")])
    return out


def ensure_c():
    """Build bench/c/mosq_bench.c against libmosquitto (apt-get libmosquitto-dev if missing)."""
    if not Path("/usr/include/mosquitto.h").exists():
        log("installing libmosquitto-dev (apt-get)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        r = subprocess.run(["apt-get", "install", "-y", "-q", "libmosquitto-dev"], env=env)
        if r.returncode != 0:
            run_cmd(["apt-get", "update", "-q"], env=env)
            run_cmd(["apt-get", "install", "-y", "-q", "libmosquitto-dev"], env=env)
    src = BENCH_DIR / "c" / "mosq_bench.c"
    exe = OUT / "mosq_bench"
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        log("building", exe.relative_to(REPO))
        run_cmd([os.environ.get("CC", "gcc"), "-O2", "-g", "-Wall", "-Wextra", "-o", exe, src, "-lmosquitto"])
    return exe


def ensure_symbols_firmware(args):
    """The same firmware, unstripped (for callgrind's function names): relink the
    objects of build/unix with PROG pointing here and STRIP empty."""
    exe = OUT / "micropython-syms"
    fw = Path(args.firmware)
    if exe.exists() and exe.stat().st_mtime >= fw.stat().st_mtime:
        return exe
    micropy = Path(os.environ.get("MICROPY_DIR", REPO / "deps" / "micropython"))
    build = REPO / "build" / "unix"
    if not (micropy / "ports" / "unix" / "Makefile").exists() or not build.is_dir():
        return None
    log("linking an unstripped copy of the firmware for callgrind")
    r = subprocess.run(
        ["make", "-C", str(micropy / "ports" / "unix"), "-j2"] + make_flags()
        + ["USER_C_MODULES={}".format(REPO / "cmodule"), "BUILD={}".format(build),
           "PROG={}".format(os.path.relpath(exe, build)), "STRIP="],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0 or not exe.exists():
        log("could not link an unstripped firmware:", r.stderr[-500:])
        return None
    return exe


# --------------------------------------------------------------------------
# Broker and clients
# --------------------------------------------------------------------------


class BenchBroker(h.Broker):
    """The harness's private Mosquitto, with per-message logging off (it would
    bill every client for a log line per message) and no cap on queued
    messages (the flood case pre-loads the broker)."""

    def _write_config(self, port):
        super()._write_config(port)
        text = self.conf_path.read_text().replace("log_type all\n", "log_type error\nlog_type warning\n")
        self.conf_path.write_text(text + "max_queued_messages 0\n")


class NoDelayBroker(BenchBroker):
    """The same broker with `set_tcp_nodelay true` (for the asyncio client's
    cases with several QoS 1 messages in flight)."""

    def _write_config(self, port):
        super()._write_config(port)
        self.conf_path.write_text(self.conf_path.read_text() + "set_tcp_nodelay true\n")


class DelayRelay:
    """A TCP relay on loopback in front of the broker: what a client sends goes
    on at once, what the broker sends reaches the client `delay` seconds
    later. The profile's QoS 1 cases use it so that an acknowledgement is
    never back before the client first looks for it, as on a real network
    (natively the client's next look comes within a microsecond of its write;
    under callgrind, slowed about fifty times, it raced the broker's loopback
    reply, and the count swung with the share of PUBACKs that won)."""

    def __init__(self, target, delay):
        import socket as _socket
        self._socket = _socket
        self.target = target
        self.delay = delay
        self.lsock = _socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.host, self.port = "127.0.0.1", self.lsock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            b = self._socket.create_connection((self.target.host, self.target.port))
            for x in (c, b):
                x.setsockopt(self._socket.IPPROTO_TCP, self._socket.TCP_NODELAY, 1)
            q = []
            cv = threading.Condition()
            threading.Thread(target=self._up, args=(c, b), daemon=True).start()
            threading.Thread(target=self._down_read, args=(b, q, cv), daemon=True).start()
            threading.Thread(target=self._down_write, args=(c, b, q, cv), daemon=True).start()

    @staticmethod
    def _up(c, b):
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for x in (b, c):
            try:
                x.shutdown(2)
            except OSError:
                pass

    def _down_read(self, b, q, cv):
        while True:
            try:
                data = b.recv(65536)
            except OSError:
                data = b""
            with cv:
                q.append((time.monotonic() + self.delay, data))
                cv.notify()
            if not data:
                return

    @staticmethod
    def _down_write(c, b, q, cv):
        while True:
            with cv:
                while not q:
                    cv.wait()
                at, data = q.pop(0)
            wait = at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                if not data:
                    c.shutdown(1)
                    return
                c.sendall(data)
            except OSError:
                return

    def stop(self):
        self.closed = True
        self.lsock.close()


class Ctx:
    pass


def mpy_env(ctx, extra, mpypath=None):
    e = {"MICROPYPATH": "{}:.frozen".format(mpypath or ctx.mpypath)}
    e.update(extra)
    return e


def start_client(ctx, kind, client_id, broker=None):
    broker = broker or ctx.broker
    if kind in ("c", "c5"):
        args = (ctx.broker.host, ctx.broker.port, client_id) + (("5",) if kind == "c5" else ())
        proc = h.MpyProcess(ctx.mosq_bench, "serve", args=args)
    elif kind == "ours5":
        env = mpy_env(ctx, {"BENCH_CLIENT": "ours", "BENCH_VERSION": "5", "BENCH_ID": client_id,
                            "MQTT_HOST": ctx.broker.host, "MQTT_PORT": ctx.broker.port})
        proc = h.MpyProcess(ctx.firmware, MPY_DIR / "device.py", env=env)
        m = proc.wait_line(r"^HELLO(?: na (.*))?$", timeout=20)
        if m.group(1) is not None:
            ctx.v5_na = m.group(1)      # version=5 refused: every case of it is "na"
        return proc
    elif kind == "aio":
        env = mpy_env(ctx, {"BENCH_ID": client_id, "MQTT_HOST": broker.host, "MQTT_PORT": broker.port})
        proc = h.MpyProcess(ctx.firmware, MPY_DIR / "aio_device.py", env=env)
    else:
        env = mpy_env(ctx, {"BENCH_CLIENT": kind, "BENCH_ID": client_id,
                            "MQTT_HOST": ctx.broker.host, "MQTT_PORT": ctx.broker.port})
        proc = h.MpyProcess(ctx.firmware, MPY_DIR / "device.py", env=env)
    proc.wait_line(r"^HELLO$", timeout=20)
    return proc


def flood_broker(ctx, topic, size, count):
    r = subprocess.run([str(ctx.mosq_bench), "flood", ctx.broker.host, str(ctx.broker.port), topic, str(size),
                        str(count)], capture_output=True, text=True, timeout=300)
    if r.returncode != 0 or "FLOODED" not in r.stdout:
        raise RuntimeError("flooder failed: {} {}".format(r.stdout, r.stderr))


def cpu_ns(pid):
    """CPU time (ns) used so far by all threads of process pid (/proc/<pid>/task/*/schedstat)."""
    total = 0
    try:
        for tid in os.listdir("/proc/{}/task".format(pid)):
            try:
                with open("/proc/{}/task/{}/schedstat".format(pid, tid)) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        return None
    return total


def user_sys_ticks(pid):
    """(utime, stime) of process pid in clock ticks (/proc/<pid>/stat), or None."""
    try:
        with open("/proc/{}/stat".format(pid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]), int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def recv_queue(pid, remote_port):
    """Bytes waiting in the receive queue of pid's TCP connection to remote_port (or None)."""
    inodes = set()
    try:
        for fd in os.listdir("/proc/{}/fd".format(pid)):
            try:
                link = os.readlink("/proc/{}/fd/{}".format(pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[9] in inodes and int(fields[2].split(":")[1], 16) == remote_port:
                    return int(fields[4].split(":")[1], 16)
    except OSError:
        return None
    return None


def settle(pid, remote_port, timeout=3.0):
    """Wait until the broker has stopped pushing into pid's socket (its receive
    queue holds what the kernel will buffer), at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last, stable = None, 0
    while time.monotonic() < deadline:
        q = recv_queue(pid, remote_port)
        if q is None:
            return
        stable = stable + 1 if q == last else 0
        if stable >= 3:
            return
        last = q
        time.sleep(0.02)


def run_case(ctx, proc, kind, client_id, case, size, broker=None):
    """One measurement; returns (messages per second or None for n/a,
    client CPU µs per message, broker CPU µs per message)."""
    p = ctx.params
    broker = broker or ctx.broker
    pid = proc.proc.pid
    if kind == "ours5" and getattr(ctx, "v5_na", None):
        return None, None, None         # not available on this firmware: nothing to measure
    answer = case[:-2] if case.endswith("nd") else case     # what the client calls the case
    if case in ("flood", "floodbuf"):
        k = p.flood_count[size]
        proc.send_line("floodprep {}".format(size))
        proc.wait_line(r"^READY$", timeout=30)
        flood_broker(ctx, "bench/{}/flood/{}".format(client_id, size), size, k)
        settle(pid, ctx.broker.port)
        cmd = "{} {} {}".format(case, size, k)
    elif case == "rtt":
        cmd = "rtt {} {} {}".format(size, p.count[size], p.max_ms)
    elif "t" in answer[3:]:
        cmd = "pubtasks {} {} {} {} {}".format(answer[3], size, p.count[size], p.max_ms, answer.split("t")[1])
    else:
        cmd = "pub {} {} {} {}".format(case[3], size, p.count[size], p.max_ms)
    c0, b0, t0 = cpu_ns(pid), cpu_ns(broker.proc.pid), user_sys_ticks(pid)
    proc.send_line(cmd)
    m = proc.wait_line(r"^RESULT (\S+) (\d+) (.*)$", timeout=300)
    c1, b1, t1 = cpu_ns(pid), cpu_ns(broker.proc.pid), user_sys_ticks(pid)
    if t0 and t1:
        ctx.ticks[(case, size, kind)][0] += t1[0] - t0[0]
        ctx.ticks[(case, size, kind)][1] += t1[1] - t0[1]
    if m.group(1) != answer or int(m.group(2)) != size:
        raise RuntimeError("{}: unexpected answer {!r}".format(kind, m.group(0)))
    rest = m.group(3).split()
    if rest == ["na"]:
        return None, None, None
    n, us, warm = int(rest[0]), int(rest[1]), int(rest[2])
    if len(rest) > 3:       # the asyncio client: its event loop's largest gap (ms)
        ctx.gaps.setdefault((case, size), []).append(int(rest[3]))
    ops = n + warm
    cpu_c = (c1 - c0) / 1000 / ops if None not in (c0, c1) else None
    cpu_b = (b1 - b0) / 1000 / ops if None not in (b0, b1) else None
    return n * 1e6 / max(us, 1), cpu_c, cpu_b


def empty_results(ctx):
    """Empty results, cpu and ctx.ticks / ctx.gaps, for every case and client
    (the asyncio-only cases have empty lists for the others)."""
    keys = [(c, s) for c in CASES + AIO_EXTRA + (BUF_CASE[0],) for s in SIZES]
    results = {key: {k: [] for k in KINDS} for key in keys}
    cpu = {key: {k: [] for k in KINDS} for key in keys}
    ctx.ticks = {(c, s, k): [0, 0] for c, s in keys for k in KINDS}
    ctx.gaps = {}
    ctx.v5_na = None
    return results, cpu


def throughput(ctx):
    """results[(case, size)][kind] -> list of rates (one per run);
    cpu[(case, size)][kind] -> list of (client µs, broker µs) per message;
    ctx.gaps[(case, size)] -> the asyncio client's largest event-loop gaps (ms)."""
    results, cpu = empty_results(ctx)
    runs = ctx.params.runs
    for run in range(runs):
        t0 = time.monotonic()
        procs = {}
        try:
            for kind in KINDS:
                cid = "{}-r{}-{}".format(kind, run, os.getpid())
                procs[kind] = (start_client(ctx, kind, cid), cid)
            cid = "aio-nd-r{}-{}".format(run, os.getpid())
            procs["aio-nd"] = (start_client(ctx, "aio", cid, ctx.broker_nd), cid)
            first = run % len(KINDS)
            order = KINDS[first:] + KINDS[:first]     # who goes first rotates
            for case in CASES:
                for size in SIZES:
                    for kind in order:
                        proc, cid = procs[kind]
                        rate, cc, cb = run_case(ctx, proc, kind, cid, case, size)
                        results[(case, size)][kind].append(rate)
                        cpu[(case, size)][kind].append((cc, cb))
            proc, cid = procs["ours"]
            rate, cc, cb = run_case(ctx, proc, "ours", cid, *BUF_CASE)
            results[BUF_CASE]["ours"].append(rate)
            cpu[BUF_CASE]["ours"].append((cc, cb))
            for case in AIO_EXTRA:
                for size in SIZES:
                    nd = case.endswith("nd")
                    proc, cid = procs["aio-nd" if nd else "aio"]
                    rate, cc, cb = run_case(ctx, proc, "aio", cid, case, size, ctx.broker_nd if nd else None)
                    results[(case, size)]["aio"].append(rate)
                    cpu[(case, size)]["aio"].append((cc, cb))
            for kind, (proc, _) in procs.items():
                proc.send_line("quit")
                proc.wait_line(r"^BYE$", timeout=20)
                proc.wait(timeout=10)
        finally:
            for proc, _ in procs.values():
                proc.close()
        log("run {}/{} done in {:.0f} s".format(run + 1, runs, time.monotonic() - t0))
    return results, cpu


# --------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------


def memory(ctx):
    """Per-client heap figures from bench/mpy/memory.py."""
    out = {}
    p = ctx.params
    for kind in ("ours", "simple", "aio"):
        cid = "mem-{}-{}".format(kind, os.getpid())
        env = mpy_env(ctx, {"BENCH_CLIENT": kind, "BENCH_ID": cid, "MQTT_HOST": ctx.broker.host,
                            "MQTT_PORT": ctx.broker.port, "PUB_N": p.mem_pub_n, "RECV_WARM": 5,
                            "RECV_N": p.mem_recv_n, "SIZES": ",".join(str(s) for s in SIZES)})
        wrapper = heap_wrapper(ctx.firmware, 64 * 1024 * 1024, OUT / "mpy-heap64m.sh")
        proc = h.MpyProcess(wrapper, MPY_DIR / "memory.py", env=env)
        try:
            if kind != "aio":       # the asyncio client: RAM figures only
                for size in SIZES:
                    proc.wait_line(r"^READY {}$".format(size), timeout=120)
                    flood_broker(ctx, "bench/{}/flood/{}".format(cid, size), size, 5 + p.mem_recv_n)
            # One 64 KiB message to receive, from buffers at rest.
            proc.wait_line(r"^READY big$", timeout=120)
            flood_broker(ctx, "bench/{}/flood/big".format(cid), 65536, 1)
            proc.wait_line(r"^END$", timeout=120)
            rc = proc.wait(timeout=20)
            if rc != 0:
                raise RuntimeError("memory.py ({}) failed:\n{}".format(kind, proc.describe()))
            out[kind] = proc.lines
        finally:
            proc.close()
    return out


def parse_memory(lines):
    m = {"pub": {}, "lock": {}, "recv": {}, "ram": {}}
    for line in lines:
        f = line.split()
        if f[0] == "RAM":
            m["ram"][f[1]] = int(f[2])
        elif f[0] == "PUB":
            m["pub"][(int(f[1]), int(f[2]))] = None if f[3] == "na" else float(f[3])
        elif f[0] == "LOCK":
            m["lock"][(int(f[1]), int(f[2]))] = " ".join(f[3:])
        elif f[0] == "RECV":
            m["recv"][int(f[1])] = (float(f[2]), int(f[3]))
    return m


def heap_wrapper(firmware, heap, path):
    """A one-line script that runs the firmware with -X heapsize=<heap>
    (so the harness's MpyProcess, which runs <firmware> <script>, can use it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('#!/bin/sh\nexec "{}" -X heapsize={} "$@"\n'.format(Path(firmware).resolve(), int(heap)))
    path.chmod(0o755)
    return path


SEED_RECEIVE = re.compile(h.SEED_RECEIVE_RE)


def seed_trial(ctx, kind, heap, slot):
    """Does the seed's example run (the whole exchange) with -X heapsize=heap?"""
    broker = slot["broker"]
    workdir = slot["dir"]
    wrapper = heap_wrapper(ctx.firmware, heap, workdir / "mpy.sh")
    script = h.write_seed_demo(workdir / "seed_demo.py", broker.port, src=ctx.seed_src[kind])
    peer = h.PahoPeer(broker.host, broker.port, client_id=h.unique("bench_client_a"))
    dev = None
    try:
        peer.connect()
        peer.subscribe(h.SEED_TOPIC_A, qos=0)
        dev = h.MpyProcess(wrapper, script, env=mpy_env(ctx, {}, ctx.heap_mpypath[kind]))
        dev.wait_line(r"^mqtt connect state: ", timeout=15)
        dev.wait_line(r"^mqtt subscribe state: ", timeout=15)
        peer.publish(h.SEED_TOPIC_B, "Hello, QuecPython", qos=0)
        rc = dev.wait(timeout=h.SEED_DEMO_MESSAGES * 0.2 + 20)
        got = peer.wait_messages(h.SEED_DEMO_MESSAGES, topic=h.SEED_TOPIC_A, timeout=3)
        lines = dev.lines
        ok = (rc == 0 and "demo done" in lines
              and any(SEED_RECEIVE.match(l) for l in lines)
              and not any("error" in l for l in lines)
              and "Traceback" not in dev.stderr and "Error" not in dev.stderr
              and len(got) >= h.SEED_DEMO_MESSAGES)
        return ok
    except AssertionError:
        return False
    finally:
        if dev is not None:
            dev.close()
        peer.close()


def min_heap(ctx):
    """Smallest -X heapsize (bytes) on which the seed's example runs, per client:
    a parallel k-ary search (k probes per round, one private broker each, since
    the example's client id and topics are fixed)."""
    p = ctx.params
    k = p.heap_probes
    slots = {}
    for kind in ctx.heap_kinds:
        slots[kind] = []
        for i in range(k):
            d = OUT / "minheap" / "{}-{}".format(kind, i)
            d.mkdir(parents=True, exist_ok=True)
            b = h.Broker(d / "broker", name="mosquitto")
            b.start()
            slots[kind].append({"dir": d, "broker": b})
    state = {kind: {"lo": 0, "hi": None, "log": []} for kind in slots}
    try:
        # Upper bound: the default heap of the unix port is 1 MiB... look up to 16 MiB.
        def upper(kind):
            hi = 64 * 1024
            while hi <= 16 * 1024 * 1024 and not seed_trial(ctx, kind, hi, slots[kind][0]):
                state[kind]["lo"] = hi
                hi *= 4
            state[kind]["hi"] = hi

        threads = [threading.Thread(target=upper, args=(kind,)) for kind in slots]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for kind, st in state.items():
            if st["hi"] is None or st["hi"] > 16 * 1024 * 1024:
                raise RuntimeError("the seed example ({}) does not run even with 16 MiB of heap".format(kind))
        while True:
            jobs = []
            for kind, st in state.items():
                span = st["hi"] - st["lo"]
                if span <= p.heap_precision:
                    continue
                step = max(p.heap_precision // 2, span // (k + 1))
                points = sorted({st["lo"] + step * (i + 1) for i in range(k)} - {st["hi"]})
                points = [x for x in points if st["lo"] < x < st["hi"]]
                for x, slot in zip(points, slots[kind]):
                    jobs.append((kind, x, slot))
            if not jobs:
                break
            res = {}

            def work(kind, x, slot):
                res[(kind, x)] = seed_trial(ctx, kind, x, slot)

            threads = [threading.Thread(target=work, args=j) for j in jobs]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for (kind, x), ok in sorted(res.items()):
                st = state[kind]
                st["log"].append((x, ok))
                if ok and x < st["hi"]:
                    st["hi"] = x
            for (kind, x), ok in sorted(res.items()):
                st = state[kind]
                if not ok and st["lo"] < x < st["hi"]:
                    st["lo"] = x
            log("min heap:", ", ".join("{} {}..{}".format(kd, s["lo"], s["hi"]) for kd, s in state.items()))
        # Confirm the answer once more (GC timing with two threads is not fully deterministic).
        def confirm(kind, st):
            st["confirmed"] = seed_trial(ctx, kind, st["hi"], slots[kind][0])

        threads = [threading.Thread(target=confirm, args=kv) for kv in state.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for kind in slots:
            for s in slots[kind]:
                s["broker"].stop()
    return state


# --------------------------------------------------------------------------
# Size
# --------------------------------------------------------------------------


def berkeley_size(path):
    r = run_cmd(["size", path], capture_output=True, text=True)
    f = r.stdout.splitlines()[1].split()
    return {"text": int(f[0]), "data": int(f[1]), "bss": int(f[2])}


MAP_LINE = re.compile(r"^\s(\.\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+\.o)\s*$")


def map_contributions(map_path, pattern=re.compile(r"/(umqtt/[^/]+\.o|umqtt_rust\.o)$")):
    """Bytes that matching objects put in the linked image, by section kind
    (from the GNU ld map: discarded sections are skipped)."""
    totals = {}
    by_obj = {}
    if not Path(map_path).exists():
        return None, None
    in_map = False
    pending = None
    for line in Path(map_path).read_text(errors="replace").splitlines():
        if not in_map:
            if line.startswith("Linker script and memory map"):
                in_map = True
            continue
        if line.startswith(" .") and len(line.split()) == 1:
            pending = line.strip()
            continue
        m = MAP_LINE.match(line)
        if not m:
            pending = None
            continue
        sec = m.group(1) or pending
        pending = None
        if sec is None:
            continue
        size = int(m.group(3), 16)
        obj = m.group(4)
        if size == 0 or int(m.group(2), 16) == 0 or not pattern.search(obj):
            continue
        if sec.startswith((".debug", ".comment", ".note", ".group")):
            continue        # not loaded
        kind = ("text" if sec.startswith(".text") else
                "rodata" if sec.startswith((".rodata", ".data.rel.ro")) else
                "data" if sec.startswith(".data") else
                "bss" if sec.startswith(".bss") else
                "eh_frame" if sec.startswith(".eh_frame") else sec.split(".")[1])
        totals[kind] = totals.get(kind, 0) + size
        name = Path(obj).name
        by_obj.setdefault(name, {}).setdefault(kind, 0)
        by_obj[name][kind] += size
    return totals, by_obj


def sizes(ctx):
    ours = berkeley_size(ctx.firmware)
    plain = berkeley_size(ctx.plain_firmware)
    fw_map = Path(ctx.firmware_build) / "micropython.map"
    totals, by_obj = map_contributions(fw_map)
    return {"ours": ours, "plain": plain, "map_totals": totals, "map_by_obj": by_obj}


# --------------------------------------------------------------------------
# Profile: callgrind instructions and strace system calls per publish
# --------------------------------------------------------------------------


# Broker-to-client delay of the QoS 1 profile cases (DelayRelay): far above
# the client's time from its write to its first look under callgrind or
# strace, far below its 100 ms wait slice.
ACK_DELAY_S = 0.005


def profiled_client(ctx, tool_prefix, kind, cid, firmware, broker=None):
    """A client process (line protocol) run under a tool (callgrind, strace)."""
    broker = broker or ctx.broker
    if kind == "c":
        cmd = tool_prefix + [str(ctx.mosq_bench), "serve", broker.host, str(broker.port), cid]
        env = None
    else:
        cmd = tool_prefix + [str(firmware), str(MPY_DIR / "device.py")]
        env = mpy_env(ctx, {"BENCH_CLIENT": kind, "BENCH_ID": cid, "MQTT_HOST": broker.host,
                            "MQTT_PORT": broker.port})
    proc = h.MpyProcess(cmd[0], cmd[1], args=cmd[2:], env=env)
    proc.wait_line(r"^HELLO$", timeout=120)
    return proc


def profiled_case(ctx, tool_prefix, kind, case, size, n, firmware):
    """Run one case with n messages under a tool; returns the messages handled
    (warm-up included) once the client has exited."""
    cid = "prof-{}-{}-{}-{}-{}".format(kind, case, size, n, os.getpid())
    relay = DelayRelay(ctx.broker, ACK_DELAY_S) if case in ("pub1", "pub2") else None
    proc = profiled_client(ctx, tool_prefix, kind, cid, firmware, relay)
    try:
        if case in ("flood", "floodbuf"):
            proc.send_line("floodprep {}".format(size))
            proc.wait_line(r"^READY$", timeout=120)
            flood_broker(ctx, "bench/{}/flood/{}".format(cid, size), size, n)
            proc.send_line("{} {} {}".format(case, size, n))
        else:
            proc.send_line("pub {} {} {} 100000000".format(case[3], size, n))
        m = proc.wait_line(r"^RESULT \S+ \d+ (\d+) \d+ (\d+)$", timeout=900)
        proc.send_line("quit")
        proc.wait_line(r"^BYE$", timeout=120)
        rc = proc.wait(timeout=120)
        if rc != 0:
            raise RuntimeError("profiled client failed:\n" + proc.describe())
        return int(m.group(1)) + int(m.group(2))
    finally:
        proc.close()
        if relay is not None:
            relay.stop()


def callgrind_total(outfile):
    total = None
    for line in Path(outfile).read_text(errors="replace").splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            total = int(line.split()[1])
    return total


ANNOTATE_LINE = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*?)\s*$")


def annotate(outfile, inclusive):
    r = subprocess.run(["callgrind_annotate", "--inclusive={}".format("yes" if inclusive else "no"),
                        "--threshold=100", "--auto=no", str(outfile)], capture_output=True, text=True)
    funcs = {}
    started = False
    for line in r.stdout.splitlines():
        if re.search(r"file:function", line):
            started = True
            continue
        if not started or line.startswith("---"):
            continue
        if not line.strip():
            break       # end of the function list
        m = ANNOTATE_LINE.match(line)
        if m and ":" in m.group(2):
            name = m.group(2)
            name = re.sub(r"\s*\[[^\]]*\]$", "", name)        # drop "[object]"
            name = name.split(":", 1)[1] if not name.startswith("0x") else name
            funcs[name] = funcs.get(name, 0) + int(m.group(1).replace(",", ""))
    return funcs


def strace_counts(outfile):
    calls = {}
    for line in Path(outfile).read_text().splitlines():
        f = line.split()
        if len(f) >= 5 and f[0][0].isdigit() and f[-1] != "total":
            try:
                calls[f[-1]] = int(f[3])
            except ValueError:
                pass
    return calls


# (client, case, payload): what the profile looks at.
PROFILES = [
    ("ours", "pub0", 16), ("simple", "pub0", 16), ("c", "pub0", 16),
    ("ours", "pub1", 16), ("c", "pub1", 16),
    ("ours", "flood", 16), ("simple", "flood", 16), ("c", "flood", 16),
    ("ours", "pub0", 65536), ("simple", "pub0", 65536), ("c", "pub0", 65536),
    ("ours", "flood", 65536), ("simple", "flood", 65536), ("c", "flood", 65536),
    ("ours", "floodbuf", 65536),
]
STRACES = [("ours", "pub0", 16), ("simple", "pub0", 16), ("c", "pub0", 16),
           ("ours", "pub1", 16), ("simple", "pub1", 16), ("c", "pub1", 16)]


def profile(ctx):
    p = ctx.params
    prof = {"ir": {}, "funcs": {}, "syscalls": {}}
    syms = ctx.syms_firmware or ctx.firmware
    d = OUT / "profile"
    d.mkdir(parents=True, exist_ok=True)
    for kind, case, size in PROFILES:
        n1, n2 = p.prof_n[(case, size)]
        if (kind, case) == ("simple", "pub1"):
            n1, n2 = 4, 12
        outs, ops = [], []
        for n in (n1, n2):
            f = d / "cg-{}-{}-{}-{}.out".format(kind, case, size, n)
            ops.append(profiled_case(ctx, ["valgrind", "--tool=callgrind", "--callgrind-out-file={}".format(f)],
                                     kind, case, size, n, syms))
            outs.append(f)
        dn = ops[1] - ops[0]
        key = (kind, case, size)
        prof["ir"][key] = (callgrind_total(outs[1]) - callgrind_total(outs[0])) / dn
        a1, a2 = annotate(outs[0], False), annotate(outs[1], False)
        prof["funcs"][key] = {fn: (a2.get(fn, 0) - a1.get(fn, 0)) / dn for fn in a2}
        log("callgrind {} {} {}: {:,.0f} instructions per message".format(kind, case, size_label(size), prof["ir"][key]))
    for kind, case, size in STRACES:
        n1, n2 = (4, 12) if (kind, case) == ("simple", "pub1") else (4000, 8000)
        counts, ops = [], []
        for n in (n1, n2):
            f = d / "st-{}-{}-{}-{}.txt".format(kind, case, size, n)
            ops.append(profiled_case(ctx, ["strace", "-f", "-c", "-o", str(f)], kind, case, size, n, ctx.firmware))
            counts.append(strace_counts(f))
        dn = ops[1] - ops[0]
        c1, c2 = counts
        prof["syscalls"][(kind, case, size)] = {
            sc: (c2.get(sc, 0) - c1.get(sc, 0)) / dn for sc in set(c1) | set(c2)
            if abs(c2.get(sc, 0) - c1.get(sc, 0)) / dn >= 0.05}
    return prof


# --------------------------------------------------------------------------
# Versions and the report
# --------------------------------------------------------------------------


def first_line(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except Exception as e:  # noqa: BLE001
        return "unknown ({})".format(e)


def machine_info(ctx):
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1]
        mem = "{:.0f} GiB".format(int(mem) / 1024 / 1024)
    except (OSError, StopIteration):
        mem = "?"
    git = first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    mp = first_line([str(ctx.firmware), "-c", "import sys; print(sys.version)"])
    return {
        "cpu": cpu, "cores": os.cpu_count(), "mem": mem,
        "kernel": "{} {}".format(platform.system(), platform.release()),
        "load": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
        "micropython": mp,
        "umqtt": git + (" (with uncommitted changes)" if dirty else ""),
        "simple": "micropython-umqtt.simple {} (umqtt/simple.py sha256 {})".format(SIMPLE_VERSION, ctx.simple_sha[:16]),
        "libmosquitto": first_line([str(ctx.mosq_bench), "version"]),
        "mosquitto": first_line([h.MOSQUITTO, "-h"]),
        "gcc": first_line([os.environ.get("CC", "gcc"), "--version"]),
        "rustc": first_line(["rustc", "--version"]),
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio_runs(rs, a, b):
    out = []
    for x, y in zip(rs[a], rs[b]):
        if x is not None and y is not None and y > 0:
            out.append(x / y)
    return out


def fmt_rate(x):
    if x is None:
        return "n/a"
    if x >= 100:
        return "{:,.0f}".format(x)
    return "{:.1f}".format(x)


def kernel_share(ctx, case, size, kind):
    u, k = ctx.ticks.get((case, size, kind), (0, 0))
    return "{:.0f}%".format(100 * k / (u + k)) if u + k >= 10 else "—"


def fmt_us(x):
    if x is None:
        return "n/a"
    return "{:.2f}".format(x) if x < 10 else "{:,.0f}".format(x)


def fmt_ratio(x):
    if x is None:
        return "n/a"
    if x >= 100:
        return "{:,.0f}×".format(x)
    if x >= 10:
        return "{:.1f}×".format(x)
    return "{:.2f}×".format(x)


def fmt_spread(xs):
    xs = [x for x in xs if x is not None]
    if len(xs) < 2:
        return ""
    return " ({}–{})".format(fmt_rate(min(xs)), fmt_rate(max(xs)))


GOALS = [
    # (case, what, comparison, threshold, text)
    ("pub1", "simple", 400, "QoS 1 synchronous publish ≥ 400× umqtt.simple"),
    ("pub1", "c", 1 / 1.5, "QoS 1 synchronous publish within 1.5× of the C client (ours ÷ C ≥ 0.67)"),
    ("pub0", "simple", 4, "QoS 0 publish ≥ 4× umqtt.simple"),
    ("rtt", "simple", 400, "round trip ≥ 400× umqtt.simple"),
    ("flood", "simple", 5, "receive flood ≥ 5× umqtt.simple"),
]


def report(ctx, info, results, cpu, mem, heap, sz, prof, elapsed):
    p = ctx.params
    L = []
    w = L.append
    w("# umqtt benchmarks")
    w("")
    w("Generated by `{}` ({}). Do not edit by hand: run `make bench` again.".format(
        ctx.command, "quick run" if p.quick else "full run"))
    w("")
    w("## Machine and versions")
    w("")
    w("| | |")
    w("| --- | --- |")
    for key, label in (("date", "date"), ("cpu", "CPU"), ("cores", "cores"), ("mem", "memory"),
                       ("kernel", "kernel"), ("load", "load average at the end"),
                       ("micropython", "firmware"), ("umqtt", "umqtt (this repo)"), ("simple", "umqtt.simple"),
                       ("libmosquitto", "C client"), ("mosquitto", "broker"), ("gcc", "C compiler"),
                       ("rustc", "Rust compiler"), ("python", "driver (CPython)")):
        w("| {} | {} |".format(label, str(info[key]).replace("|", "\\|")))
    w("")
    w("All three clients run on this machine against one private Mosquitto on the loopback "
      "interface, started by the run; the two MicroPython clients run on the same firmware "
      "(`{}`, umqtt.simple imported from MICROPYPATH as `usimple11.simple`). Within each run the "
      "clients are interleaved case by case (the first one rotates), so that the ratios compare "
      "measurements taken seconds apart.".format(os.path.relpath(ctx.firmware, REPO)))
    w("")
    w("**Noise.** This is a 2-core machine on which other developers build and test at the same "
      "time: absolute rates move by tens of percent between runs (the ranges in brackets are the "
      "lowest and highest run). Judge by the ratios, which are the median of the per-run ratios, "
      "and by the instruction counts (callgrind), which do not depend on load.")
    w("")
    w("## Throughput (messages per second, median of {} runs)".format(p.runs))
    w("")
    w("| case | payload | {} | {} | {} | ours ÷ simple | ours ÷ C |".format(
        CLIENT_NAMES["ours"], CLIENT_NAMES["simple"], CLIENT_NAMES["c"]))
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    ratios = {}
    for case in CASES:
        for size in SIZES:
            rs = results[(case, size)]
            rsimple = median(ratio_runs(rs, "ours", "simple"))
            rc = median(ratio_runs(rs, "ours", "c"))
            ratios[(case, size)] = {"simple": rsimple, "c": rc}
            w("| {} | {} | {}{} | {}{} | {}{} | {} | {} |".format(
                CASE_NAMES[case], size_label(size),
                fmt_rate(median(rs["ours"])), fmt_spread(rs["ours"]),
                fmt_rate(median(rs["simple"])), fmt_spread(rs["simple"]),
                fmt_rate(median(rs["c"])), fmt_spread(rs["c"]),
                fmt_ratio(rsimple), fmt_ratio(rc)))
    rb, rf = results[BUF_CASE], results[("flood", BUF_CASE[1])]
    pair = {"ours": rb["ours"], "simple": rf["simple"], "c": rf["c"]}
    rbs, rbc = median(ratio_runs(pair, "ours", "simple")), median(ratio_runs(pair, "ours", "c"))
    ratios[BUF_CASE] = {"simple": rbs, "c": rbc}
    w("| {} (ours; the others' ordinary flood) | {} | {}{} | {}{} | {}{} | {} | {} |".format(
        CASE_NAMES[BUF_CASE[0]], size_label(BUF_CASE[1]),
        fmt_rate(median(rb["ours"])), fmt_spread(rb["ours"]),
        fmt_rate(median(rf["simple"])), fmt_spread(rf["simple"]),
        fmt_rate(median(rf["c"])), fmt_spread(rf["c"]),
        fmt_ratio(rbs), fmt_ratio(rbc)))
    w("")
    w("How each case is measured (bench/mpy/device.py, bench/c/mosq_bench.c):")
    w("")
    w("- Each measurement is timed inside the client (`time.ticks_us()` in MicroPython, "
      "`CLOCK_MONOTONIC` in C) around a bare loop of calls with a prebuilt `bytes` payload. A "
      "warm-up batch estimates the rate and the timed loop runs for about {} ms (at most {} "
      "iterations), so the slow client does not stretch the run.".format(p.max_ms, max(p.count.values())))
    w("- QoS 0 publish: the call returns once the packet is in the socket. QoS 1 / QoS 2: "
      "each call returns after its PUBACK / PUBCOMP, then the next one starts. umqtt.simple "
      "1.1 cannot publish at QoS 2 (`assert 0`): n/a.")
    w("- Round trip: the client is subscribed to its own topic; publish at QoS 0, then "
      "`wait_msg()` until the message is back.")
    w("- Receive flood: a C publisher pre-loads the broker with K QoS 0 messages for the "
      "client's topic (K = {}); the client then loops `wait_msg()` until its callback has "
      "seen K.".format(", ".join("{} for {}".format(p.flood_count[s], size_label(s)) for s in SIZES)))
    w("- Receive flood into the script's buffer (ours only): the same flood, the client having "
      "`set_chunk_callback(f, bytearray(32768))`, so each 64 KiB payload is read from the socket into "
      "that buffer in two chunks instead of into a new bytes object; `f` counts a message at its last "
      "chunk. The other columns repeat the ordinary flood of the same run.")
    w("- The C client uses libmosquitto single-threaded: no `loop_start()`, it calls "
      "`mosquitto_loop()` itself; `mosquitto_publish()` writes the packet at once, QoS 1/2 then "
      "loops until `on_publish` reports that message id; TCP_NODELAY is left off, as in both "
      "MicroPython clients.")
    w("")
    w("### CPU time per message (µs, median of the runs)")
    w("")
    w("Read from `/proc/<pid>/task/*/schedstat` (time on a CPU, user and kernel) around each "
      "measurement, divided by the messages of that measurement (warm-up included). Less "
      "sensitive to the other load on the machine than the rates: it says what a message costs "
      "the client, and the broker, whatever the waiting. The kernel's share (system time over "
      "user + system time, from `/proc/<pid>/stat`, summed over the runs) shows how much of the "
      "client's CPU is spent in system calls.")
    w("")
    w("| case | payload | ours | simple | C | broker, serving ours / simple / C | kernel's share of the client's CPU, ours / simple / C |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for case in CASES:
        for size in SIZES:
            cs = cpu[(case, size)]
            if not any(cs[k] for k in CLIENTS):
                continue
            vals = {k: (median([c for c, _ in cs[k]]), median([b for _, b in cs[k]])) for k in CLIENTS}
            w("| {} | {} | {} | {} | {} | {} | {} |".format(
                CASE_NAMES[case], size_label(size),
                *[fmt_us(vals[k][0]) for k in CLIENTS],
                " / ".join(fmt_us(vals[k][1]) for k in CLIENTS),
                " / ".join(kernel_share(ctx, case, size, k) for k in CLIENTS)))
    w("")
    aio_report(ctx, w, results, cpu)
    v5_report(ctx, w, results, cpu)
    w("## Goals (ratios from this run)")
    w("")
    w("| goal | payload | rate ratio | met? | client CPU per message, other ÷ ours |")
    w("| --- | --- | ---: | --- | ---: |")
    goal_rows = []
    for case, other, thr, text in GOALS:
        for size in SIZES:
            r = ratios[(case, size)][other]
            met = r is not None and r >= thr
            goal_rows.append((text, size, r, met))
            co = median([c for c, _ in cpu[(case, size)]["ours"]])
            cx = median([c for c, _ in cpu[(case, size)][other]])
            w("| {} | {} | {} | {} | {} |".format(text, size_label(size), fmt_ratio(r), "**met**" if met else "not met",
                                                  fmt_ratio(cx / co) if co and cx else "n/a"))
    text_kib = None
    if sz["map_totals"]:
        text_kib = sz["map_totals"].get("text", 0) / 1024
        w("| module machine code (.text) ≤ 40 KiB on x86-64 | | {:.1f} KiB | {} | |".format(
            text_kib, "**met**" if text_kib <= 40 else "not met"))
    added = (sz["ours"]["text"] - sz["plain"]["text"]) / 1024
    w("| `size` text added to the firmware (code, rodata, unwind tables, relocations) ≤ 40 KiB | | "
      "{:.1f} KiB | {} | |".format(added, "**met**" if added <= 40 else "not met"))
    w("")
    w("The ratio goals are stated for the small messages that device scripts mostly send; the "
      "rows for 1 KiB and 64 KiB are shown too (see the profile section for why the large-payload "
      "ratios cannot be of the same order).")
    w("")

    # ---- memory
    w("## Memory")
    w("")
    if mem:
        mo, ms = parse_memory(mem["ours"]), parse_memory(mem["simple"])
        ctx.mem_ours = mo
        w("### Heap allocated per publish (steady state, `gc.mem_alloc()` delta ÷ publishes, bytes payload)")
        w("")
        w("| QoS | payload | umqtt (ours) | umqtt.simple 1.1 | ours under `micropython.heap_lock()` |")
        w("| --- | --- | ---: | ---: | --- |")
        for qos in (0, 1, 2):
            for size in SIZES:
                a, b = mo["pub"].get((qos, size)), ms["pub"].get((qos, size))
                lock = mo["lock"].get((qos, size), "—")
                lock = "no allocation (no MemoryError)" if lock == "ok" else lock
                w("| {} | {} | {} | {} | {} |".format(qos, size_label(size),
                                                     "n/a" if a is None else "{:g} B".format(a),
                                                     "n/a" if b is None else "{:g} B".format(b), lock))
        w("")
        w("The zero is also a test: `tests_py/memory/test_memory.py` publishes 200 times at QoS 0 "
          "and QoS 1 (str and bytes topics, 16 B and 1 KiB payloads, positional and keyword calls) "
          "with the heap locked and fails on any MemoryError or any growth of `gc.mem_alloc()`.")
        w("")
        w("### Heap allocated per received message (`wait_msg()`, QoS 0, {} messages)".format(p.mem_recv_n))
        w("")
        w("| payload | umqtt (ours) | umqtt.simple 1.1 | the topic and payload objects themselves |")
        w("| --- | ---: | ---: | ---: |")
        for size in SIZES:
            a, b = mo["recv"].get(size), ms["recv"].get(size)
            w("| {} | {} | {} | {} B |".format(size_label(size),
                                               "{:g} B".format(a[0]) if a else "?",
                                               "{:g} B".format(b[0]) if b else "?",
                                               a[1] if a else "?"))
        w("")
        w("The last column is what `bytes` objects of the topic's and the payload's length take on "
          "this heap (the objects the callback receives); ours allocates exactly that and nothing "
          "else (also a test in `tests_py/memory`, at QoS 0, 1 and 2).")
        w("")
        w("### RAM of one client (heap, `gc.mem_alloc()` after `gc.collect()`)")
        w("")
        w("(The collector is conservative: a figure can be off by a block or two of 32 B.)")
        w("")
        ma = parse_memory(mem["aio"]) if mem.get("aio") else {"ram": {}}
        ctx.mem_aio = ma
        rams = [mo["ram"], ms["ram"], ma["ram"]]

        def ram_row(label, key):
            w("| {} | {} |".format(label, " | ".join(
                "{} B".format(r[key]) if r.get(key) is not None else "—" for r in rams)))

        w("| | umqtt (ours) | umqtt.simple 1.1 | umqtt.aio (asyncio) |")
        w("| --- | ---: | ---: | ---: |")
        ram_row("`MQTTClient(...)` constructed", "constructed")
        ram_row("connected (socket object included)", "connected")
        ram_row("after publishing and receiving 64 KiB messages (the measurements above)", "after")
        ram_row("then 1.1 s later, after one 16 B QoS 0 publish", "rest0")
        ram_row("after receiving one 64 KiB message (QoS 0)", "recv64")
        ram_row("and publishing one 64 KiB message (QoS 0)", "pub64")
        ram_row("1.1 s later, after one 16 B QoS 0 publish", "rest")
        w("")
        if mo["ram"].get("rest") is not None:
            w("The last four rows take one large message at a time (bench/mpy/memory.py): the "
              "received message and the published payload are dropped before each figure, so what "
              "remains is the client's. The 16 B publish after 1.1 s is there because the client "
              "looks at its buffers on each call (and on each pass of its pump): it returns a buffer "
              "grown past {} B to its initial size once no packet has needed more for {} ms "
              "(`umqtt_settle_buffers`, cmodule/umqtt/umqtt_buffers.c). The asyncio client's column "
              "is the whole `umqtt.aio.MQTTClient` (the native client it wraps, its events, poller "
              "and pump tasks).".format(buffer_constant("UMQTT_BUFFER_KEPT"),
                                        buffer_constant("UMQTT_BUFFER_REST_MS")))
            w("")
    if heap:
        w("### Smallest heap for the seed's example (`-X heapsize=`)")
        w("")
        w("The application note's complete example (`examples/seed_demo.py`: connect, subscribe, "
          "`wait_msg()` in a `_thread`, 30 publishes from the main thread, one message from "
          "\"Client A\" (paho) received), run on the firmware with a fixed heap; it counts as "
          "running when the whole exchange completes with no error. For umqtt.simple the same "
          "script with its import line changed to `bench/mpy/seedcompat.py`, a 10-line subclass "
          "that accepts QuecPython's constructor arguments (umqtt.simple 1.1 has no "
          "user/keepalive/reconn).")
        w("")
        kinds = [k for k in ("ours", "simple", "simple-mpy") if k in heap]
        names = {"ours": "umqtt (ours)", "simple": "umqtt.simple 1.1 (.py, as pip installs it)",
                 "simple-mpy": "umqtt.simple 1.1 precompiled (.mpy)"}
        w("| | " + " | ".join(names[k] for k in kinds) + " |")
        w("| --- | " + " | ".join("---:" for _ in kinds) + " |")
        w("| runs with | " + " | ".join("{:,} B ({:.1f} KiB){}".format(
            heap[k]["hi"], heap[k]["hi"] / 1024,
            "" if heap[k].get("confirmed", True) else " (failed once on a re-run)") for k in kinds) + " |")
        w("| fails with | " + " | ".join("{:,} B".format(heap[k]["lo"]) for k in kinds) + " |")
        w("")
        w("(Search precision {} B. The heap also holds the script's own objects: the example's "
          "class, the thread's function and its strings.)".format(p.heap_precision))
        w("")

    # ---- size
    w("## Size (x86-64, the unix firmware)")
    w("")
    o, pl = sz["ours"], sz["plain"]
    w("| | firmware with umqtt | without (`make firmware-plain`) | added |")
    w("| --- | ---: | ---: | ---: |")
    for k in ("text", "data", "bss"):
        w("| {} | {:,} | {:,} | {:+,} |".format(k, o[k], pl[k], o[k] - pl[k]))
    w("")
    w("(`size` of both binaries. Its `text` column counts code, read-only data, the unwind "
      "tables (.eh_frame) and this PIE binary's relocation and symbol tables, including the "
      "module's qstrs; its `data` column counts .data.rel.ro, the constant tables holding "
      "pointers (type objects, method tables), which a PIE binary relocates at start-up and "
      "which sit in flash on a microcontroller. The module adds nothing to .data or .bss.)")
    w("")
    if sz["map_totals"]:
        w("What the module's objects put into the linked firmware (from `build/unix/micropython.map`, "
          "sections kept after `--gc-sections`):")
        w("")
        kinds = sorted({k for d in sz["map_by_obj"].values() for k in d})
        w("| object | " + " | ".join(kinds) + " |")
        w("| --- | " + " | ".join("---:" for _ in kinds) + " |")
        for obj, d in sorted(sz["map_by_obj"].items()):
            w("| {} | ".format(obj) + " | ".join("{:,}".format(d.get(k, 0)) for k in kinds) + " |")
        w("| **total** | " + " | ".join("**{:,}**".format(sz["map_totals"].get(k, 0)) for k in kinds) + " |")
        w("")
        w("`umqtt_rust.o` is the Rust core (protocol, codec, session) merged into one object; the "
          "others are the C shim.")
        w("")
    if mem:
        if mo["ram"].get("rest") is not None:
            w("RAM of one connected client object: {} B of MicroPython heap for the object with its "
              "receive/transmit buffers ({} B once connected, with the socket object; {} B after it "
              "has received and published one 64 KiB message, {} B 1.1 s later); see the memory "
              "section. The module has no static RAM (no .data or .bss of its own).".format(
                  mo["ram"].get("constructed"), mo["ram"].get("connected"), mo["ram"].get("pub64"),
                  mo["ram"].get("rest")))
        else:
            w("RAM of one connected client object: {} B of MicroPython heap for the object with its "
              "receive/transmit buffers ({} B once connected, with the socket object; {} B after it has "
              "published and received 64 KiB messages); see the memory section. The module has no "
              "static RAM (no .data or .bss of its own).".format(
                  mo["ram"].get("constructed"), mo["ram"].get("connected"), mo["ram"].get("after")))
        w("")

    # ---- profile
    if prof:
        w("## Profile")
        w("")
        w("Instructions executed per message, counted by `valgrind --tool=callgrind` on an unstripped "
          "link of the same firmware, as the difference between two runs of the same case with "
          "different message counts (start-up, connection and warm-up cancel out). User space only: "
          "the kernel's work in system calls is not in these numbers (that is what the CPU-time "
          "table above adds). QoS 1: from the call to its return, PUBACK handled; the client "
          "connects through a relay that hands it the broker's bytes {:.0f} ms late, so the PUBACK "
          "is never back before the client first looks for it, as on a network (without it the "
          "count raced the broker's loopback reply under callgrind's slowdown; bench/README.md).".format(
              ACK_DELAY_S * 1000))
        w("")
        w("| case | payload | ours | umqtt.simple 1.1 | libmosquitto (C) |")
        w("| --- | --- | ---: | ---: | ---: |")
        seen = []
        for _, case, size in PROFILES:
            if (case, size) in seen:
                continue
            seen.append((case, size))
            w("| {} | {} | {} |".format(CASE_NAMES[case], size_label(size), " | ".join(
                "{:,.0f}".format(prof["ir"][(k, case, size)]) if (k, case, size) in prof["ir"] else "—"
                for k in CLIENTS)))
        w("")
        w("System calls per publish (16 B), counted by `strace -f -c` the same way (QoS 1 through "
          "the same relay):")
        w("")
        w("| client | QoS 0 | QoS 1 |")
        w("| --- | --- | --- |")
        for kind in CLIENTS:
            cells = []
            for case in ("pub0", "pub1"):
                sc = prof["syscalls"].get((kind, case, 16), {})
                cells.append(", ".join("{} {:.2g}".format(n, v) for n, v in sorted(sc.items(), key=lambda kv: -kv[1])) or "—")
            w("| {} | {} | {} |".format(CLIENT_NAMES[kind], *cells))
        w("")
        for key in [("ours", "pub0", 16), ("ours", "pub1", 16), ("ours", "flood", 16), ("simple", "pub0", 16),
                    ("c", "pub1", 16), ("ours", "pub0", 65536), ("simple", "pub0", 65536),
                    ("ours", "flood", 65536), ("simple", "flood", 65536), ("c", "flood", 65536),
                    ("ours", "floodbuf", 65536)]:
            funcs = prof["funcs"].get(key)
            if not funcs:
                continue
            top = [kv for kv in sorted(funcs.items(), key=lambda kv: -kv[1])[:p.prof_top] if kv[1] >= 1]
            w("<details><summary>{}, {} {}: self cost per message, top {} functions</summary>".format(
                CLIENT_NAMES[key[0]], CASE_NAMES[key[1]], size_label(key[2]), len(top)))
            w("")
            w("| function | instructions / message |")
            w("| --- | ---: |")
            for fn, v in top:
                w("| `{}` | {:,.0f} |".format(fn.replace("|", "\\|"), v))
            w("")
            w("</details>")
            w("")
        w("### What stands in the way")
        w("")
        for para in findings(ctx, results, cpu, prof, ratios):
            w(para)
            w("")
    w("---")
    w("Run time: {:.0f} s; parameters: runs={}, max_ms={}, counts={}, flood={}.".format(
        elapsed, p.runs, p.max_ms, dict((size_label(k), v) for k, v in p.count.items()),
        dict((size_label(k), v) for k, v in p.flood_count.items())))
    return "\n".join(L) + "\n", goal_rows


def ratio_lists(xs, ys):
    """Per-run ratios of two lists of rates (one per run)."""
    return [x / y for x, y in zip(xs, ys) if x is not None and y is not None and y > 0]


def aio_report(ctx, w, results, cpu):
    """The asyncio client's section (when this run measured it)."""
    p = ctx.params
    gaps = getattr(ctx, "gaps", {}) or {}

    def rates(case, size, kind):
        return results.get((case, size), {}).get(kind) or []

    def cpu_of(case, size, kind):
        return median([c for c, _ in (cpu.get((case, size), {}).get(kind) or [])])

    def gap(case, size):
        g = gaps.get((case, size))
        return "{} ms".format(max(g)) if g else "n/a"

    if not any(rates(c, s, "aio") for c in CASES + AIO_EXTRA for s in SIZES):
        return
    w("## The asyncio client (`umqtt.aio`, messages per second, median of {} runs)".format(p.runs))
    w("")
    w("`from umqtt.aio import MQTTClient`, on the same firmware, in the same runs: a fourth "
      "client process (bench/mpy/aio_device.py) interleaved with the three above, case by case, "
      "against the same broker. The ratios are medians of the per-run ratios, against our "
      "blocking client (`umqtt.MQTTClient`, the \"ours\" column above) and libmosquitto.")
    w("")
    w("| case | payload | {} | {} | {} | aio ÷ blocking | aio ÷ C | client CPU µs per message, aio / blocking | largest event-loop gap (aio) |".format(
        CLIENT_NAMES["aio"], "umqtt (ours, blocking)", CLIENT_NAMES["c"]))
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for case in CASES:
        for size in SIZES:
            ra = rates(case, size, "aio")
            if not any(x is not None for x in ra):
                continue
            ro, rc = rates(case, size, "ours"), rates(case, size, "c")
            w("| {} | {} | {}{} | {}{} | {}{} | {} | {} | {} / {} | {} |".format(
                CASE_NAMES[case], size_label(size),
                fmt_rate(median(ra)), fmt_spread(ra), fmt_rate(median(ro)), fmt_spread(ro),
                fmt_rate(median(rc)), fmt_spread(rc),
                fmt_ratio(median(ratio_lists(ra, ro))), fmt_ratio(median(ratio_lists(ra, rc))),
                fmt_us(cpu_of(case, size, "aio")), fmt_us(cpu_of(case, size, "ours")), gap(case, size)))
    w("")
    extra = [c for c in AIO_EXTRA if any(rates(c, s, "aio") for s in SIZES)]
    if extra:
        w("Several tasks publishing at once (asyncio client only; `asyncio.gather` of {} tasks "
          "that each await their QoS 1 publishes one after the other, so up to {} messages are in "
          "flight):".format(AIO_TASKS, AIO_TASKS))
        w("")
        w("| case | payload | {} | ÷ the asyncio client's QoS 1 one by one, same broker | client CPU µs per message | largest event-loop gap |".format(
            CLIENT_NAMES["aio"]))
        w("| --- | --- | ---: | ---: | ---: | ---: |")
        base = {"pub1t{}".format(AIO_TASKS): "pub1", "pub1t{}nd".format(AIO_TASKS): "pub1nd"}
        for case in extra:
            for size in SIZES:
                ra = rates(case, size, "aio")
                rb = rates(base[case], size, "aio") if case in base else []
                w("| {} | {} | {}{} | {} | {} | {} |".format(
                    CASE_NAMES[case], size_label(size), fmt_rate(median(ra)), fmt_spread(ra),
                    fmt_ratio(median(ratio_lists(ra, rb))) if rb else "—",
                    fmt_us(cpu_of(case, size, "aio")), gap(case, size)))
        w("")
    w("How the asyncio client is measured (bench/mpy/aio_device.py):")
    w("")
    w("- The same commands, warm-up rule and timing as the blocking clients, with `await` in "
      "the loop: `await client.publish(...)` one after the other (QoS 1 / 2: each returns once "
      "acknowledged); round trip: publish at QoS 0, then `await` the next message of "
      "`client.messages`; receive flood: `client.messages` until K messages, from the same "
      "pre-loaded broker.")
    w("- Between commands the script blocks in `sys.stdin.readline()`, so its event loop "
      "(the client's pump task included) does not run, as the blocking clients read nothing "
      "between commands.")
    w("- The asyncio client sets TCP_NODELAY on its socket (python/_umqtt_aio.py); the blocking "
      "clients and libmosquitto leave it off.")
    w("- A second task sleeps 10 ms in a loop during every command; the gap column is the "
      "largest time between two of its wake-ups over the runs (warm-up included; 10 ms is "
      "the floor): the work held the event loop for at most that minus 10 ms. Its wake-ups (about 100 per second) are part of the "
      "measured work.")
    w("- \"Broker with TCP_NODELAY\": a second private Mosquitto of the same run, configured "
      "the same plus `set_tcp_nodelay true`, and a second asyncio client connected to it. "
      "Mosquitto's default leaves Nagle's algorithm on for its sockets, which can hold a "
      "PUBACK back while an earlier one waits for the client's (delayed) ACK, as happens when "
      "several are due at once; the rows against both brokers show the difference in this run.")
    w("")


def findings(ctx, results, cpu, prof, ratios):
    """The profile's reading, from this run's numbers (each paragraph only when
    the data shows what it says)."""
    out = []
    ir = prof["ir"]
    funcs = prof["funcs"]

    def fsum(key, pattern):
        return sum(v for fn, v in funcs.get(key, {}).items() if re.search(pattern, fn))

    def cpu_med(case, size, kind, i=0):
        return median([c[i] for c in cpu[(case, size)][kind]])

    # Small messages: system calls, not instructions.
    a, b = ir.get(("ours", "pub0", 16)), ir.get(("simple", "pub0", 16))
    sc_o = prof["syscalls"].get(("ours", "pub0", 16), {})
    sc_s = prof["syscalls"].get(("simple", "pub0", 16), {})
    if a and b:
        out.append(
            "**Small publishes (16 B): one system call per publish.** A QoS 0 publish costs ours {:,.0f} "
            "user-space instructions against umqtt.simple's {:,.0f} ({:.0f}× fewer), and {:.0f} `write` "
            "against {:.0f}. In CPU time, user and kernel, that is {} µs against {} µs per publish, "
            "{} of ours in the kernel: what remains of ours is mostly the `write` to a loopback TCP "
            "socket (which also runs the receiving side of TCP). The broker needs {} µs of CPU per "
            "16 B message ({} µs per 1 KiB message), more than ours, so a client that publishes "
            "faster only fills socket buffers.".format(
                a, b, b / a, sc_o.get("write", 0) + sc_o.get("sendto", 0),
                sc_s.get("write", 0) + sc_s.get("sendto", 0),
                fmt_us(cpu_med("pub0", 16, "ours")), fmt_us(cpu_med("pub0", 16, "simple")),
                kernel_share(ctx, "pub0", 16, "ours"),
                fmt_us(cpu_med("pub0", 16, "ours", 1)), fmt_us(cpu_med("pub0", 1024, "ours", 1))))
    # QoS 0 at 1 KiB.
    r = ratios[("pub0", 1024)]["simple"]
    co, cs = cpu_med("pub0", 1024, "ours"), cpu_med("pub0", 1024, "simple")
    if r is not None and co and cs:
        rate = median(results[("pub0", 1024)]["ours"])
        out.append(
            "**QoS 0 at 1 KiB ({} umqtt.simple; goal 4×):** ours spends {} µs of CPU per publish against "
            "umqtt.simple's {} µs ({:.1f}× less), but publishes at {} messages/s, that is {:.1f} µs apart: "
            "the rest of the time it waits for the socket to drain, at the broker's pace: the broker "
            "spends {} µs of CPU per 1 KiB message, {:.0f}% of that interval, and its receiving "
            "side of TCP runs in the kernel on top of that.{}".format(
                fmt_ratio(r), fmt_us(co), fmt_us(cs), cs / co, fmt_rate(rate), 1e6 / rate,
                fmt_us(cpu_med("pub0", 1024, "ours", 1)), 100 * cpu_med("pub0", 1024, "ours", 1) * rate / 1e6,
                " The broker's own CPU time alone caps the ratio near {:.1f}× on this machine.".format(
                    (1e6 / cpu_med("pub0", 1024, "ours", 1)) / median(results[("pub0", 1024)]["simple"]))
                if cpu_med("pub0", 1024, "ours", 1) * rate / 1e6 > 0.7 else ""))
    # The 64 KiB publish: the copy into the transmit buffer.
    key = ("ours", "pub0", 65536)
    if key in ir:
        copy = fsum(key, r"encode_publish|memcpy|memmove")
        out.append(
            "**64 KiB publishes: one copy of the payload.** Ours executes {:,.0f} instructions per 64 KiB "
            "publish ({:.1f} per payload byte) against umqtt.simple's {:,.0f} and libmosquitto's {:,.0f}; "
            "{:,.0f} of them are the PUBLISH encoder and the copy into the transmit buffer "
            "(`encode_publish`, `memcpy`). umqtt.simple hands its bytes object to `write()` without "
            "copying; libmosquitto copies it too.".format(
                ir[key], ir[key] / 65536, ir.get(("simple", "pub0", 65536), 0), ir.get(("c", "pub0", 65536), 0),
                copy))
        co, cc = cpu_med("pub0", 65536, "ours"), cpu_med("pub0", 65536, "c")
        if co and cc:
            out.append(
                "The same copy is why ours trails the C client at 64 KiB (QoS 0 {}, QoS 1 {}, round "
                "trip {} of its rate): ours spends {} µs of CPU per 64 KiB QoS 0 publish against "
                "libmosquitto's {} µs.".format(
                    fmt_ratio(ratios[("pub0", 65536)]["c"]), fmt_ratio(ratios[("pub1", 65536)]["c"]),
                    fmt_ratio(ratios[("rtt", 65536)]["c"]), fmt_us(co), fmt_us(cc)))
    # The 64 KiB receive: the cost of a 64 KiB bytes object.
    key = ("ours", "flood", 65536)
    if key in ir:
        hsh = fsum(key, r"qstr_compute_hash")
        alloc = fsum(key, r"gc_alloc|gc_collect|memset|gc_sweep|gc_mark")
        out.append(
            "**64 KiB messages received: the heap's cost of a 64 KiB bytes object.** Ours executes "
            "{:,.0f} instructions per 64 KiB message received (umqtt.simple {:,.0f}, libmosquitto "
            "{:,.0f}). {:,.0f} of them are the heap allocator finding, zeroing and later collecting 64 KiB "
            "blocks; {:,.0f} ({:.1f}%) are `qstr_compute_hash` (the shim makes the payload with hash 0, "
            "\"not computed yet\", so only the topic is hashed). Both MicroPython clients pay for a new "
            "bytes object per message, which bounds the ratio to the C client at this size.".format(
                ir[key], ir.get(("simple", "flood", 65536), 0), ir.get(("c", "flood", 65536), 0),
                alloc, hsh, 100 * hsh / ir[key]))
        kb = ("ours", "floodbuf", 65536)
        if kb in ir:
            out.append(
                "**64 KiB messages received into the script's own buffer** (`set_chunk_callback`, "
                "a 32 KiB bytearray): {:,.0f} instructions per message, {:.2f}× libmosquitto's count: no "
                "bytes object is made, and the payload goes from the socket into the buffer with no copy "
                "in user space.".format(ir[kb], ir[kb] / ir[("c", "flood", 65536)]
                                        if ir.get(("c", "flood", 65536)) else float("nan")))
    # QoS 1 and round trip: latency bound.
    r1 = ratios[("pub1", 16)]
    if r1["simple"] is not None:
        out.append(
            "**QoS 1 and round trips at 16 B and 1 KiB: umqtt.simple waits for TCP timers.** It writes a "
            "PUBLISH in {:.0f} `write()` calls (fixed header, topic length, topic, packet id, payload) "
            "on a socket with Nagle's algorithm on: the later small segments wait for the broker's "
            "delayed ACK (about 40 ms), so it does about 22 publishes (or round trips) per second "
            "whatever the CPU. Ours writes each packet in one call, so nothing is held back: its rate is "
            "the round-trip latency through the broker (two process wake-ups per message, on a 2-core "
            "machine shared with other work), as for libmosquitto ({} of the C client's rate in this "
            "run; per publish ours uses {} µs of CPU against the C client's {} µs). At 64 KiB the "
            "payload fills whole TCP segments, Nagle no longer stalls umqtt.simple, and all clients "
            "are held by copying 64 KiB through the kernel and the broker, so no 400× can exist "
            "there.".format(
                sum(prof["syscalls"].get(("simple", "pub1", 16), {}).get(k, 0) for k in ("write", "sendto")) or 5,
                fmt_ratio(r1["c"]), fmt_us(cpu_med("pub1", 16, "ours")), fmt_us(cpu_med("pub1", 16, "c"))))
    # umqtt.simple's allocations.
    key = ("simple", "pub0", 16)
    if key in ir:
        ga = fsum(key, r"^gc_alloc$")
        if ga > 0.3 * ir[key]:
            out.append(
                "**What umqtt.simple's publish costs is mostly the heap.** Of its {:,.0f} instructions per "
                "16 B QoS 0 publish, {:,.0f} are `gc_alloc`. It allocates 128 B per publish (a bytearray "
                "and `struct.pack` results), and MicroPython's allocator (py/gc.c, `gc_alloc`) starts "
                "each search for a free run at `gc_last_free_atb_index`, which only single-block "
                "allocations move forward: between two collections each multi-block allocation "
                "rescans what was allocated since. Ours allocates nothing per publish (see Memory), so "
                "it never pays this.".format(ir[key], ga))
    # RAM after large messages.
    ram = ctx.mem_ours.get("ram", {}) if getattr(ctx, "mem_ours", None) else {}
    aram = ctx.mem_aio.get("ram", {}) if getattr(ctx, "mem_aio", None) else {}
    if None not in (ram.get(k) for k in ("connected", "rest0", "recv64", "pub64", "rest")):
        back = ram["rest"] <= ram["rest0"] + 64
        out.append(
            "**RAM after large messages.** From {:,} B of heap at rest (connected, subscribed, "
            "1.1 s after the measurements above), the client holds {:,} B after receiving one "
            "64 KiB message, {:,} B after publishing one as well, and 1.1 s later (after one 16 B "
            "publish) {:,} B: {}.{}".format(
                ram["rest0"], ram["recv64"], ram["pub64"], ram["rest"],
                "back within 64 B of where it started" if back else
                "{:,} B more than where it started".format(ram["rest"] - ram["rest0"]),
                "" if aram.get("rest") is None else
                " The asyncio client, the same steps: {:,} B, {:,} B, {:,} B, {:,} B.".format(
                    aram["rest0"], aram["recv64"], aram["pub64"], aram["rest"])))
    elif ram.get("after") and ram.get("connected") and ram["after"] > 4 * ram["connected"]:
        out.append(
            "**RAM: the client's buffers keep their largest size.** One connected client takes {:,} B of "
            "heap; after it has sent and received 64 KiB messages it holds {:,} B, for good: the "
            "receive buffer grows to the largest packet received (`rx_reserve`: doubling, up to "
            "`max_packet`) and the transmit buffer to the largest packet sent (`tx_reserve`: the whole "
            "PUBLISH, payload included, is copied into it), and neither shrinks ({}). On a device "
            "with a few tens of KiB of heap one large message pins that memory, or fails with "
            "MemoryError where a streaming write would not. Suggested: give the buffers back (shrink "
            "to their initial size) once a packet larger than a few KiB is done, and send a large "
            "payload from the caller's buffer after writing the fixed header and topic from the "
            "transmit buffer, instead of copying it (with the socket's TCP_NODELAY set, or the "
            "header's small write would wait for Nagle's algorithm as umqtt.simple's do).".format(
                ram["connected"], ram["after"], shim_file("rx_reserve")))
    return out


def buffer_constant(name):
    """A #define of cmodule/umqtt/umqtt.h (the buffer sizes at rest), or "?"."""
    m = re.search(r"^#define {} \((\d+)\)".format(name), (REPO / "cmodule" / "umqtt" / "umqtt.h").read_text(), re.M)
    return m.group(1) if m else "?"


def shim_file(function):
    """The C shim file that defines `function` (the shim moves between files)."""
    for path in sorted((REPO / "cmodule" / "umqtt").glob("*.c")):
        if re.search(r"^static [^\n(]*\b{}\(".format(re.escape(function)), path.read_text(), re.M):
            return str(path.relative_to(REPO))
    return "cmodule/umqtt/"


def v5_report(ctx, w, results, cpu):
    """The MQTT 5 section: ours with version=5 against libmosquitto with MQTT 5 (and both
    against their 3.1.1 selves), when this run measured them."""
    p = ctx.params

    def rates(case, size, kind):
        return results.get((case, size), {}).get(kind) or []

    def cpu_of(case, size, kind):
        return median([c for c, _ in (cpu.get((case, size), {}).get(kind) or [])])

    if not any(rates(c, s, "c5") for c in CASES for s in SIZES):
        return
    na = getattr(ctx, "v5_na", None)
    w("## MQTT 5 (messages per second, median of {} runs)".format(p.runs))
    w("")
    w("In the same runs, interleaved with the clients above, case by case: our blocking client "
      "constructed with `version=5` (bench/mpy/device.py, `BENCH_VERSION=5`) and the same "
      "libmosquitto client connected with MQTT 5 (`mosquitto_int_option(m, "
      "MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5)`, bench/c/mosq_bench.c `serve ... 5`); no "
      "property is sent. Ratios are medians of the per-run ratios.")
    w("")
    if na:
        w("Ours with MQTT 5: **not available** on this firmware (`version=5` refused: `{}`); "
          "its column says n/a.".format(na.replace("`", "'")))
        w("")
    w("| case | payload | ours, MQTT 5 | libmosquitto, MQTT 5 | ours ÷ libmosquitto (MQTT 5) | "
      "ours 5 ÷ ours 3.1.1 | libmosquitto 5 ÷ 3.1.1 | client CPU µs/msg, ours 5 / libmosquitto 5 |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for case in CASES:
        for size in SIZES:
            rs = results[(case, size)]
            if not any(x is not None for x in rs["c5"]):
                continue
            w("| {} | {} | {}{} | {}{} | {} | {} | {} | {} / {} |".format(
                CASE_NAMES[case], size_label(size),
                fmt_rate(median(rs["ours5"])), fmt_spread(rs["ours5"]),
                fmt_rate(median(rs["c5"])), fmt_spread(rs["c5"]),
                fmt_ratio(median(ratio_lists(rs["ours5"], rs["c5"]))),
                fmt_ratio(median(ratio_lists(rs["ours5"], rs["ours"]))),
                fmt_ratio(median(ratio_lists(rs["c5"], rs["c"]))),
                fmt_us(cpu_of(case, size, "ours5")), fmt_us(cpu_of(case, size, "c5"))))
    w("")


def console_v5_table(ctx, results):
    rows = []
    hdr = "{:<28} {:>7} {:>12} {:>12} {:>9} {:>10} {:>10}".format(
        "case (MQTT 5)", "payload", "ours5", "C5", "ours5/C5", "ours5/ours", "C5/C")
    rows.append(hdr)
    rows.append("-" * len(hdr))
    for case in CASES:
        for size in SIZES:
            rs = results[(case, size)]
            rows.append("{:<28} {:>7} {:>12} {:>12} {:>9} {:>10} {:>10}".format(
                CASE_NAMES[case], size_label(size), fmt_rate(median(rs["ours5"])), fmt_rate(median(rs["c5"])),
                fmt_ratio(median(ratio_lists(rs["ours5"], rs["c5"]))),
                fmt_ratio(median(ratio_lists(rs["ours5"], rs["ours"]))),
                fmt_ratio(median(ratio_lists(rs["c5"], rs["c"])))))
    if getattr(ctx, "v5_na", None):
        rows.append("ours with MQTT 5: not available ({})".format(ctx.v5_na))
    return "\n".join(rows)


def console_table(results):
    rows = []
    hdr = "{:<28} {:>7} {:>12} {:>12} {:>12} {:>10} {:>8}".format(
        "case", "payload", "ours", "simple", "C", "ours/simp", "ours/C")
    rows.append(hdr)
    rows.append("-" * len(hdr))
    for case in CASES:
        for size in SIZES:
            rs = results[(case, size)]
            rows.append("{:<28} {:>7} {:>12} {:>12} {:>12} {:>10} {:>8}".format(
                CASE_NAMES[case], size_label(size), fmt_rate(median(rs["ours"])), fmt_rate(median(rs["simple"])),
                fmt_rate(median(rs["c"])), fmt_ratio(median(ratio_runs(rs, "ours", "simple"))),
                fmt_ratio(median(ratio_runs(rs, "ours", "c")))))
    return "\n".join(rows)


def console_aio_table(ctx, results):
    rows = []
    hdr = "{:<58} {:>7} {:>12} {:>12} {:>12} {:>9} {:>8} {:>7}".format(
        "case (asyncio client)", "payload", "aio", "ours", "C", "aio/ours", "aio/C", "gap ms")
    rows.append(hdr)
    rows.append("-" * len(hdr))
    for case in CASES + AIO_EXTRA:
        for size in SIZES:
            rs = results[(case, size)]
            if not any(x is not None for x in rs["aio"]):
                continue
            g = ctx.gaps.get((case, size))
            rows.append("{:<58} {:>7} {:>12} {:>12} {:>12} {:>9} {:>8} {:>7}".format(
                CASE_NAMES[case], size_label(size), fmt_rate(median(rs["aio"])), fmt_rate(median(rs["ours"])),
                fmt_rate(median(rs["c"])), fmt_ratio(median(ratio_lists(rs["aio"], rs["ours"]))),
                fmt_ratio(median(ratio_lists(rs["aio"], rs["c"]))), max(g) if g else "n/a"))
    return "\n".join(rows)


class Params:
    pass


def params_for(args):
    p = Params()
    p.quick = args.quick
    p.runs = args.runs if args.runs else (3 if args.quick else 7)
    p.max_ms = args.max_ms if args.max_ms else (120 if args.quick else 400)
    scale = 0.25 if args.quick else 1.0
    p.count = {16: int(200000 * scale), 1024: int(100000 * scale), 65536: int(20000 * scale)}
    p.flood_count = {16: int(50000 * scale), 1024: int(20000 * scale), 65536: int(1000 * scale)}
    p.mem_pub_n = 100
    p.mem_recv_n = 20
    p.heap_probes = 4 if args.quick else 5
    p.heap_precision = 4096 if args.quick else 512
    if args.quick:
        p.prof_n = {("pub0", 16): (500, 1500), ("pub1", 16): (300, 900), ("flood", 16): (500, 1500),
                    ("pub0", 65536): (20, 60), ("flood", 65536): (20, 60), ("floodbuf", 65536): (20, 60)}
    else:
        p.prof_n = {("pub0", 16): (2000, 6000), ("pub1", 16): (1000, 3000), ("flood", 16): (2000, 6000),
                    ("pub0", 65536): (40, 120), ("flood", 65536): (40, 120), ("floodbuf", 65536): (40, 120)}
    p.prof_top = 12
    return p


def with_arm_sizes(md):
    """Append the on-target size tables: bench/size-arm.md (written by `make size-arm`) and
    bench/size-rp2.md (a board built by hand, README "rp2 by hand")."""
    for name in ("size-arm.md", "size-rp2.md"):
        part = REPO / "bench" / name
        if part.exists():
            md = md.rstrip("\n") + "\n\n" + part.read_text()
    return md


def rerender(args):
    with open(OUT / "last-run.pickle", "rb") as f:
        d = pickle.load(f)
    ctx = Ctx()
    ctx.params = Params()
    vars(ctx.params).update(d["params"])
    ctx.command = d["command"]
    ctx.ticks = d["ticks"]
    ctx.gaps = d.get("gaps", {})
    ctx.v5_na = d.get("v5_na")
    ctx.firmware = str(Path(args.firmware).resolve())
    output = Path(args.output) if args.output else (
        OUT / "BENCHMARKS-quick.md" if ctx.params.quick else REPO / "BENCHMARKS.md")
    md, _ = report(ctx, d["info"], d["results"], d["cpu"], d["mem"], d["heap"], d["sz"], d["prof"], d["elapsed"])
    output.write_text(with_arm_sizes(md))
    log("wrote", os.path.relpath(output, REPO), "from build/bench/last-run.pickle")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--firmware", default=str(REPO / "build" / "micropython"),
                    help="firmware with umqtt (default build/micropython)")
    ap.add_argument("--plain-firmware", default=str(REPO / "build" / "unix-plain" / "micropython"),
                    help="the same firmware without umqtt, for the size (default build/unix-plain/micropython)")
    ap.add_argument("--runs", type=int, default=0, help="runs of each case (default 7; 3 with --quick)")
    ap.add_argument("--max-ms", type=int, default=0, help="time budget of one measurement (default 400; 120 with --quick)")
    ap.add_argument("--quick", action="store_true", help="a short run (< 2 min), for checking the bench itself")
    ap.add_argument("--output", help="report file (default BENCHMARKS.md; build/bench/BENCHMARKS-quick.md with --quick)")
    ap.add_argument("--no-build", action="store_true", help="never run make")
    ap.add_argument("--report-only", action="store_true",
                    help="write the report again from the last run's data (build/bench/last-run.pickle)")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: throughput,memory,minheap,size,profile")
    args = ap.parse_args()

    t_start = time.monotonic()
    os.chdir(REPO)
    if args.report_only:
        return rerender(args)
    OUT.mkdir(parents=True, exist_ok=True)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    ctx = Ctx()
    ctx.params = params_for(args)
    ctx.command = "python3 bench/run.py" + ("" if len(sys.argv) == 1 else " " + " ".join(sys.argv[1:]))
    if os.environ.get("MAKELEVEL"):
        ctx.command = "make bench"
    args.firmware = str(Path(args.firmware).resolve())
    args.plain_firmware = str(Path(args.plain_firmware).resolve())
    ensure_firmware(args)
    ensure_paho()
    ctx.firmware = args.firmware
    ctx.plain_firmware = args.plain_firmware
    ctx.firmware_build = REPO / "build" / "unix"
    ctx.mpypath, ctx.simple_sha = ensure_simple()
    ctx.mosq_bench = ensure_c()
    ctx.seed_src = {"ours": h.SEED_DEMO, "simple": OUT / "seed_demo_simple.py"}
    text = h.SEED_DEMO.read_text()
    text2 = text.replace("from umqtt import MQTTClient", "from usimple11.seedcompat import MQTTClient", 1)
    assert text2 != text, "examples/seed_demo.py: import line not found"
    ctx.seed_src["simple"].write_text(text2)
    ctx.syms_firmware = None if "profile" in skip else ensure_symbols_firmware(args)
    ctx.heap_kinds = ["ours", "simple"]
    ctx.heap_mpypath = {"ours": ctx.mpypath, "simple": ctx.mpypath}
    mpy_dir = compile_simple(ctx.mpypath)
    if mpy_dir is not None:
        ctx.heap_kinds.append("simple-mpy")
        ctx.heap_mpypath["simple-mpy"] = mpy_dir
        ctx.seed_src["simple-mpy"] = ctx.seed_src["simple"]

    output = Path(args.output) if args.output else (OUT / "BENCHMARKS-quick.md" if args.quick else REPO / "BENCHMARKS.md")
    ctx.broker = BenchBroker(OUT / "broker", name="mosquitto")
    ctx.broker.start()
    log("mosquitto on port", ctx.broker.port)
    ctx.broker_nd = NoDelayBroker(OUT / "broker-nodelay", name="mosquitto")
    ctx.broker_nd.start()
    log("mosquitto with set_tcp_nodelay on port", ctx.broker_nd.port)
    results, cpu = empty_results(ctx)
    mem = heap = prof = None
    try:
        if "throughput" not in skip:
            results, cpu = throughput(ctx)
            print(console_table(results), flush=True)
            print(console_aio_table(ctx, results), flush=True)
            print(console_v5_table(ctx, results), flush=True)
        if "memory" not in skip:
            mem = memory(ctx)
            log("memory done")
        if "profile" not in skip:
            prof = profile(ctx)
    finally:
        ctx.broker.stop()
        ctx.broker_nd.stop()
    if "minheap" not in skip:
        heap = min_heap(ctx)
        log("min heap: " + ", ".join("{} {} B".format(k, v["hi"]) for k, v in heap.items()))
    sz = sizes(ctx)
    info = machine_info(ctx)
    with open(OUT / "last-run.pickle", "wb") as f:
        pickle.dump({"info": info, "results": results, "cpu": cpu, "ticks": ctx.ticks, "gaps": ctx.gaps, "mem": mem,
                     "heap": heap, "sz": sz, "prof": prof, "elapsed": time.monotonic() - t_start,
                     "v5_na": getattr(ctx, "v5_na", None),
                     "command": ctx.command, "params": vars(ctx.params)}, f)
    md, goal_rows = report(ctx, info, results, cpu, mem, heap, sz, prof, time.monotonic() - t_start)
    output.write_text(with_arm_sizes(md))
    print()
    for text_, size, r, met in goal_rows:
        print("{:<80} {:>7} {:>10} {}".format(text_, size_label(size), fmt_ratio(r), "met" if met else "NOT MET"))
    if sz["map_totals"]:
        print("module .text: {:.1f} KiB (goal <= 40 KiB)".format(sz["map_totals"].get("text", 0) / 1024))
    log("wrote", os.path.relpath(output, REPO), "in {:.0f} s".format(time.monotonic() - t_start))


if __name__ == "__main__":
    main()
