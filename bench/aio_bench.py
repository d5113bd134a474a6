#!/usr/bin/env python3
"""The asyncio client (umqtt.aio) against the blocking one (umqtt.MQTTClient),
same firmware, same private mosquitto, cases interleaved run by run.

    python3 bench/aio_bench.py [--firmware build/micropython] [--runs 3] [--out FILE]

Cases (payloads 16 B and 1 KiB): QoS 0 publish rate, QoS 1 publish rate
(each call waits for its PUBACK), QoS 1 from 8 asyncio tasks at once (the
in-flight window fills; asyncio only), and a receive flood (a paho
publisher sends QoS 0 messages to the device's topic; timed from the first
message to the last). The asyncio runs also report the largest gap of a
10 ms ticker task (the event loop's longest stall). Medians of --runs.
Prints a Markdown table (and writes it to --out if given).

The broker runs with ``set_tcp_nodelay true``: without it mosquitto's
Nagle holds a second PUBACK back until the device's delayed ACK (40 ms on
Linux) whenever two QoS 1 messages are in flight, which would measure the
broker's socket option, not the client.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests_py"))

import mqtt_harness as h  # noqa: E402

DEVICE = REPO / "bench" / "mpy" / "aio_device.py"
SIZES = (16, 1024)
CASES = (("pub0", 2000), ("pub1", 500), ("pub1x8", 500), ("flood", 2000))
NAMES = {"pub0": "QoS 0 publish", "pub1": "QoS 1 publish (awaited each)",
         "pub1x8": "QoS 1 publish, 8 tasks", "flood": "receive flood (QoS 0)"}


def run_one(firmware, broker, kind, case, size, count):
    cid = h.unique("aiobench")
    env = {"BENCH_KIND": kind, "BENCH_CASE": case, "BENCH_SIZE": size, "BENCH_COUNT": count,
           "BENCH_ID": cid, "MQTT_HOST": broker.host, "MQTT_PORT": broker.port}
    p = h.MpyProcess(firmware, DEVICE, env=env, cwd=str(DEVICE.parent))
    peer = None
    try:
        if case == "flood":
            p.wait_line("^READY$", timeout=20)
            peer = h.PahoPeer(broker.host, broker.port).connect()
            payload = h.pattern_bytes(size)
            for _ in range(count):
                peer.publish("bench/" + cid, payload, qos=0, wait=False)
        m = p.wait_line(r"^RESULT (\S+) (\d+) (\d+) (\d+) (-?\d+)$", timeout=120)
        assert p.wait(timeout=20) == 0, p.describe()
        n, us, gap = int(m.group(3)), int(m.group(4)), int(m.group(5))
        return n * 1e6 / max(us, 1), gap
    finally:
        if peer is not None:
            peer.close()
        p.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--firmware", default=os.environ.get("UMQTT_FIRMWARE") or str(REPO / "build" / "micropython"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out")
    args = ap.parse_args()
    problem = h.check_firmware(args.firmware)
    if problem:
        sys.exit(problem)
    with tempfile.TemporaryDirectory(prefix="aio-bench-") as tmp:
        broker = h.ConfigurableBroker(Path(tmp), name="aio-bench", extra_config=["set_tcp_nodelay true"]).start()
        rates, gaps = {}, {}
        try:
            for run in range(args.runs):
                for case, count in CASES:
                    for size in SIZES:
                        for kind in ("blocking", "aio"):
                            if case == "pub1x8" and kind == "blocking":
                                continue
                            rate, gap = run_one(args.firmware, broker, kind, case, size, count)
                            rates.setdefault((case, size, kind), []).append(rate)
                            if kind == "aio":
                                gaps.setdefault((case, size), []).append(gap)
                            print("run {} {} {} B {}: {:.0f} msg/s{}".format(
                                run + 1, case, size, kind, rate, "" if gap < 0 else ", gap {} ms".format(gap)),
                                flush=True)
        finally:
            broker.stop()
    lines = [
        "| case | payload | blocking msg/s | asyncio msg/s | asyncio / blocking | largest ticker gap (asyncio) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for case, _ in CASES:
        for size in SIZES:
            a = statistics.median(rates[(case, size, "aio")])
            b = rates.get((case, size, "blocking"))
            b = statistics.median(b) if b else None
            lines.append("| {} | {} B | {} | {:.0f} | {} | {} ms |".format(
                NAMES[case], size, "—" if b is None else "{:.0f}".format(b), a,
                "—" if b is None else "{:.2f}".format(a / b), max(gaps[(case, size)])))
    text = "\n".join(lines) + "\n\nMedians of {} runs; gap: the largest over the runs. Firmware: {}\n".format(
        args.runs, args.firmware)
    print()
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
