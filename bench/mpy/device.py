# The benchmark's device script: one MQTT client (ours, or umqtt.simple 1.1)
# on the firmware, driven by bench/run.py over stdin/stdout, so that every
# client of a run is measured on the same broker, interleaved in time.
#
# Env: BENCH_CLIENT = "ours" (from umqtt import MQTTClient) or "simple"
#      (umqtt.simple 1.1, importable as usimple11.simple from MICROPYPATH),
#      MQTT_HOST, MQTT_PORT, BENCH_ID (client id; topics are bench/<id>/...),
#      BENCH_VERSION = "5": ours with MQTT 5 (MQTTClient(..., version=5)); if
#      the firmware refuses it (constructor or connect raises), the script
#      says "HELLO na <why>" and answers every case "na" (not available).
#
# Commands (one per line) and answers, the same as bench/c/mosq_bench.c:
#   pub QOS SIZE COUNT MAXMS   -> RESULT pub<QOS> SIZE N MICROSECONDS WARMUP  (or "na")
#   rtt SIZE COUNT MAXMS       -> RESULT rtt SIZE N MICROSECONDS WARMUP
#   floodprep SIZE             -> READY
#   flood SIZE COUNT           -> RESULT flood SIZE COUNT MICROSECONDS 0
#   floodbuf SIZE COUNT        -> RESULT floodbuf SIZE COUNT MICROSECONDS 0 (ours only: the
#                                 messages read into a 32 KiB buffer the script owns through
#                                 set_chunk_callback, instead of a bytes object each; "na" else)
#   quit                       -> BYE
# COUNT is an upper bound: a timed warm-up batch estimates the rate and the
# measured loop runs min(COUNT, rate * MAXMS) iterations (at least 3), so the
# slow client does not stretch the run. Timing is time.ticks_us() around a
# bare loop of client calls; the payload is a bytes object built beforehand.
import os
import sys
import time

CLIENT = os.getenv("BENCH_CLIENT")
if CLIENT == "ours":
    from umqtt import MQTTClient
else:
    from usimple11.simple import MQTTClient

ID = os.getenv("BENCH_ID")
PREFIX = "bench/" + ID

ticks_us = time.ticks_us
ticks_diff = time.ticks_diff

got = 0


def on_message(topic, msg):
    global got
    got += 1


VERSION = int(os.getenv("BENCH_VERSION") or 4)
NA = None   # why MQTT 5 is not available on this firmware, or None
if VERSION == 5:
    try:
        c = MQTTClient(ID, os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), version=5)
        c.set_callback(on_message)
        c.connect()
    except Exception as e:  # TypeError (no such keyword), ValueError, MQTTException, ...
        NA = "%s: %s" % (type(e).__name__, e)
else:
    c = MQTTClient(ID, os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")))
    c.set_callback(on_message)
    c.connect()
print("HELLO" if NA is None else "HELLO na " + NA)

_payloads = {}


def payload(size):
    p = _payloads.get(size)
    if p is None:
        b = bytearray(size)
        for i in range(size):
            b[i] = (i * 31 + 7) & 0xFF
        p = _payloads[size] = bytes(b)
    return p


def measure(loop, count, max_ms):
    # Warm up (at most max(2, count/20) iterations or a quarter of the time
    # budget), estimate the rate, then time min(count, rate * max_ms) iterations
    # of `loop` in one call. Returns (iterations, microseconds, warm-up iterations).
    w = max(2, min(200, count // 20))
    budget = max_ms * 250
    i = 0
    t0 = ticks_us()
    while i < w:
        loop(1)
        i += 1
        if ticks_diff(ticks_us(), t0) > budget:
            break
    warm_us = max(1, ticks_diff(ticks_us(), t0))
    n = min(count, max(3, i * max_ms * 1000 // warm_us))
    t0 = ticks_us()
    loop(n)
    return n, ticks_diff(ticks_us(), t0), i


def cmd_pub(qos, size, count, max_ms):
    if qos == 2 and CLIENT == "simple":
        print("RESULT pub2", size, "na")    # umqtt.simple 1.1: `assert 0` for QoS 2
        return
    topic = "%s/pub%d/%d" % (PREFIX, qos, size)
    p = payload(size)
    pub = c.publish

    def loop(n):
        for _ in range(n):
            pub(topic, p, False, qos)

    n, dt, w = measure(loop, count, max_ms)
    pub(PREFIX + "/sync", b"", False, 1)    # untimed: the broker has caught up
    print("RESULT pub%d" % qos, size, n, dt, w)


rtt_subscribed = False


def cmd_rtt(size, count, max_ms):
    global rtt_subscribed
    topic = PREFIX + "/rtt"
    if not rtt_subscribed:
        c.subscribe(topic, 0)
        rtt_subscribed = True
    p = payload(size)
    pub = c.publish
    wait = c.wait_msg

    def loop(n):
        global got
        for _ in range(n):
            want = got + 1
            pub(topic, p)
            while got < want:
                wait()

    n, dt, w = measure(loop, count, max_ms)
    print("RESULT rtt", size, n, dt, w)


def cmd_floodprep(size):
    c.subscribe("%s/flood/%d" % (PREFIX, size), 0)
    print("READY")


_chunk_buf = bytearray(32768)


def on_chunk(message, chunk, offset, total):
    global got
    if offset + len(chunk) == total:
        got += 1


def cmd_floodbuf(size, count):
    if CLIENT != "ours":
        print("RESULT floodbuf", size, "na")
        return
    c.set_chunk_callback(on_chunk, _chunk_buf)
    try:
        cmd_flood(size, count, "floodbuf")
    finally:
        c.set_chunk_callback(None, None)


def cmd_flood(size, count, name="flood"):
    global got
    wait = c.wait_msg
    target = got + count
    t0 = ticks_us()
    while got < target:
        wait()
    dt = ticks_diff(ticks_us(), t0)
    print("RESULT", name, size, count, dt, 0)


while True:
    line = sys.stdin.readline()
    if not line:
        break
    f = line.split()
    if not f:
        continue
    cmd, a = f[0], [int(x) for x in f[1:]]
    if NA is not None and cmd in ("pub", "rtt", "flood", "floodbuf"):
        print("RESULT", "pub%d" % a[0] if cmd == "pub" else cmd, a[1] if cmd == "pub" else a[0], "na")
    elif NA is not None and cmd == "floodprep":
        print("READY")
    elif cmd == "pub":
        cmd_pub(*a)
    elif cmd == "rtt":
        cmd_rtt(*a)
    elif cmd == "floodprep":
        cmd_floodprep(*a)
    elif cmd == "flood":
        cmd_flood(*a)
    elif cmd == "floodbuf":
        cmd_floodbuf(*a)
    elif cmd == "quit":
        break
    else:
        print("ERROR bad command", line)
        sys.exit(2)
if NA is None:
    c.disconnect()
print("BYE")
