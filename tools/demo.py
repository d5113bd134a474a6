#!/usr/bin/env python3
"""The "demo" command: the application note's two-client exchange, on this machine.

    python3 tools/demo.py [FIRMWARE] [--port N]

Starts a private mosquitto on 127.0.0.1 (port 18830, the note's port, when it
is free; otherwise a free port), runs examples/seed_demo.py (the note's
complete example, port substituted) on FIRMWARE (default: $UMQTT_FIRMWARE or
build/micropython) as "Client B", and runs paho-mqtt as "Client A" beside it:
Client A subscribes to /public/TEST/QuecPython2023_A and publishes to
/public/TEST/QuecPython2023_B. Both sides' traffic is printed as it happens.

Exit status: 0 when messages went both ways, 1 otherwise.
Needs: mosquitto (Debian package), paho-mqtt 2.x.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests_py"))

import mqtt_harness as h  # noqa: E402

CLIENT_A_MESSAGES = ["Hello, QuecPython", "Greetings from Client A"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("firmware", nargs="?", default=h.default_firmware(),
                    help="MicroPython unix binary with the umqtt module (default: %(default)s)")
    ap.add_argument("--port", type=int, default=None,
                    help="broker port (default: 18830 if free, else any free port)")
    args = ap.parse_args(argv)

    problem = h.check_firmware(args.firmware)
    if problem:
        print("demo: " + problem, file=sys.stderr)
        return 2

    port = args.port or (h.SEED_PORT if h.port_is_free(h.SEED_PORT) else h.free_port())
    t0 = time.monotonic()
    lock = threading.Lock()

    def show(side, text):
        with lock:
            print("{:6.2f}s  [{:<13}] {}".format(time.monotonic() - t0, side, text), flush=True)

    with tempfile.TemporaryDirectory(prefix="umqtt-demo-") as work:
        broker = h.Broker(work, port=port, name="mosquitto")
        try:
            broker.start()
        except RuntimeError as e:
            print("demo: could not start mosquitto: {}".format(e), file=sys.stderr)
            return 1
        show("broker", "mosquitto on {}:{}".format(broker.host, broker.port))
        try:
            res = h.seed_exchange(args.firmware, broker, work, client_a_messages=CLIENT_A_MESSAGES, on_event=show)
        except (AssertionError, RuntimeError, OSError) as e:
            show("demo", "FAILED: {}".format(e))
            return 1
        finally:
            broker.stop()

    a_got = [m for m in res.client_a_received if m.payload.startswith(b"Hello, PC")]
    b_got = [r for r in res.device_received if r["topic"] == h.SEED_TOPIC_B and r["msg"] in CLIENT_A_MESSAGES]
    print()
    print("Client A received {} of {} messages from the device on {}".format(
        len(a_got), h.SEED_DEMO_MESSAGES, h.SEED_TOPIC_A))
    print("The device received {} of {} messages from Client A on {}".format(
        len(b_got), len(CLIENT_A_MESSAGES), h.SEED_TOPIC_B))
    print("Device exit code: {}".format(res.returncode))
    if res.device_stderr.strip():
        print("Device stderr:\n" + res.device_stderr.rstrip())
    ok = res.returncode == 0 and a_got and len(b_got) == len(CLIENT_A_MESSAGES)
    print("demo: {}".format("OK, messages went both ways" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
