#!/usr/bin/env python3
"""Two firmwares side by side: does a change move our ratio to libmosquitto?

    python3 bench/ab.py --base /path/to/old/micropython [--firmware build/micropython] [--runs 7]
    make bench-ab BASE=a53a5e7        # builds that commit's firmware in a worktree first

bench/run.py measures one firmware; comparing two of its reports compares
two runs, and on a shared machine the load between runs moves every
client's rate (both clients' absolute rates have been seen to halve between
two runs of the same code). Here the blocking client of each firmware and
the C client on libmosquitto are measured in the same run, against the same
broker, interleaved case by case (who goes first rotates), so each run gives
a ratio ours ÷ C for each firmware under the same load, and their quotient
(new ÷ base) is paired within the run.

Cases: bench/run.py's (QoS 0, QoS 1 and QoS 2 synchronous publish, round
trip, receive flood) at 16 B and 1 KiB, with its client scripts
(bench/mpy/device.py: only the API every version has). Prints a Markdown
table of medians over the runs; --output writes it to a file too.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402

CASES = ("pub0", "pub1", "pub2", "rtt", "flood")
SIZES = (16, 1024)
KINDS = ("new", "base", "c")


def start(ctx, kind, cid):
    """The client of `kind`: the C one, or ours on the new or base firmware."""
    if kind == "c":
        return bench.start_client(ctx, "c", cid)
    ctx.firmware = ctx.firmwares[kind]
    return bench.start_client(ctx, "ours", cid)


def measure(ctx, runs):
    """rates[(case, size)][kind] -> one rate per run."""
    rates = {(c, s): {k: [] for k in KINDS} for c in CASES for s in SIZES}
    cpu = {(c, s): {k: [] for k in KINDS} for c in CASES for s in SIZES}
    ctx.ticks = {(c, s, k): [0, 0] for c in CASES for s in SIZES for k in ("ours", "c")}
    for run in range(runs):
        t0 = time.monotonic()
        procs = {}
        try:
            for kind in KINDS:
                cid = "ab-{}-r{}".format(kind, run)
                procs[kind] = (start(ctx, kind, cid), cid)
            order = KINDS[run % 3:] + KINDS[:run % 3]
            for case in CASES:
                for size in SIZES:
                    for kind in order:
                        proc, cid = procs[kind]
                        rate, cc, _ = bench.run_case(ctx, proc, "ours" if kind != "c" else "c", cid, case, size)
                        rates[(case, size)][kind].append(rate)
                        cpu[(case, size)][kind].append(cc)
            for proc, _ in procs.values():
                proc.send_line("quit")
                proc.wait_line(r"^BYE$", timeout=20)
                proc.wait(timeout=10)
        finally:
            for proc, _ in procs.values():
                proc.close()
        bench.log("run {}/{} done in {:.0f} s".format(run + 1, runs, time.monotonic() - t0))
    return rates, cpu


def paired(xs, ys):
    """Median over the runs of x ÷ y, run by run."""
    return statistics.median(x / y for x, y in zip(xs, ys))


def table(rates, cpu, base_name, runs):
    rows = [
        "| case | size | rate new ÷ C | rate base ÷ C | rate new ÷ base | new, base, C (msg/s) "
        "| CPU new ÷ base | CPU new, base, C (µs/msg) |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for case in CASES:
        for size in SIZES:
            r, u = rates[(case, size)], cpu[(case, size)]
            rows.append("| {} | {} B | {:.2f}× | {:.2f}× | {:.2f}× | {:,.0f}, {:,.0f}, {:,.0f} | {:.2f}× "
                        "| {:.2f}, {:.2f}, {:.2f} |".format(
                            bench.CASE_NAMES[case], size, paired(r["new"], r["c"]), paired(r["base"], r["c"]),
                            paired(r["new"], r["base"]), statistics.median(r["new"]),
                            statistics.median(r["base"]), statistics.median(r["c"]),
                            paired(u["new"], u["base"]), statistics.median(u["new"]),
                            statistics.median(u["base"]), statistics.median(u["c"])))
    head = ("Blocking client of the new firmware and of the base ({}) against libmosquitto, "
            "in the same {} runs, interleaved. Each ratio is the median of the per-run ratios; rates and "
            "CPU (the client process's user + system time per message) are medians over the runs.\n\n").format(
                base_name, runs)
    return head + "\n".join(rows) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="the firmware to compare against (a micropython binary)")
    ap.add_argument("--base-name", default=None, help="what to call it in the table (default: its path)")
    ap.add_argument("--firmware", default=str(bench.REPO / "build" / "micropython"), help="the new firmware")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--max-ms", type=int, default=400, help="time budget of one measurement")
    ap.add_argument("--output", help="also write the table here")
    args = ap.parse_args()

    ctx = bench.Ctx()
    p = bench.Params()
    p.max_ms = args.max_ms
    p.count = {16: 200000, 1024: 100000}
    p.flood_count = {16: 50000, 1024: 20000}
    ctx.params = p
    ctx.firmwares = {"new": str(Path(args.firmware).resolve()), "base": str(Path(args.base).resolve())}
    ctx.mpypath, _ = bench.ensure_simple()
    ctx.mosq_bench = bench.ensure_c()
    bench.OUT.mkdir(parents=True, exist_ok=True)
    ctx.broker = bench.BenchBroker(bench.OUT / "broker-ab", name="mosquitto")
    ctx.broker.start()
    try:
        rates, cpu = measure(ctx, args.runs)
    finally:
        ctx.broker.stop()
    md = table(rates, cpu, args.base_name or args.base, args.runs)
    print(md)
    if args.output:
        Path(args.output).write_text(md)


if __name__ == "__main__":
    main()
