# The benchmark's device script for the asyncio client (umqtt.aio.MQTTClient),
# driven by bench/run.py over stdin/stdout with the same line protocol as
# bench/mpy/device.py and bench/c/mosq_bench.c, so that it is measured in the
# same run, on the same broker, interleaved with the other clients.
#
# Env: MQTT_HOST, MQTT_PORT, BENCH_ID (client id; topics are bench/<id>/...).
#
# Commands (one per line) and answers (as device.py, plus `pubtasks`):
#   pub QOS SIZE COUNT MAXMS   -> RESULT pub<QOS> SIZE N MICROSECONDS WARMUP GAPMS
#   pubtasks QOS SIZE COUNT MAXMS TASKS
#                              -> RESULT pub<QOS>t<TASKS> SIZE N MICROSECONDS WARMUP GAPMS
#   rtt SIZE COUNT MAXMS       -> RESULT rtt SIZE N MICROSECONDS WARMUP GAPMS
#   floodprep SIZE             -> READY
#   flood SIZE COUNT           -> RESULT flood SIZE COUNT MICROSECONDS 0 GAPMS
#   quit                       -> BYE
# pub: `await client.publish(...)` one after the other (QoS 1 / 2: each
# returns once acknowledged). pubtasks: TASKS tasks publish at once, N in all
# (asyncio.gather), so up to TASKS messages are in flight. rtt: publish at
# QoS 0 to the client's own subscribed topic, then the next message of
# `client.messages`. flood: `client.messages` until COUNT messages.
# GAPMS: the largest gap (ms) between two wake-ups of a task that sleeps
# 10 ms in a loop all along (the longest the work held the event loop), over
# the whole command (warm-up included). The ticker runs during every command.
#
# Between commands the script blocks in sys.stdin.readline(), so the event
# loop (the client's pump task included) does not run: like the blocking
# clients, the client reads nothing while it waits for the next command.
# Timing and the warm-up rule are device.py's (time.ticks_us() around the
# loop; a warm-up batch sets its length to about MAXMS).
import asyncio
import os
import sys
import time

from umqtt.aio import MQTTClient

ID = os.getenv("BENCH_ID")
PREFIX = "bench/" + ID

ticks_us = time.ticks_us
ticks_diff = time.ticks_diff
ticks_ms = time.ticks_ms

_payloads = {}


def payload(size):
    p = _payloads.get(size)
    if p is None:
        b = bytearray(size)
        for i in range(size):
            b[i] = (i * 31 + 7) & 0xFF
        p = _payloads[size] = bytes(b)
    return p


gap = [0, 0]        # largest gap (ms), last wake-up


def tick():
    now = ticks_ms()
    d = ticks_diff(now, gap[1])
    if d > gap[0]:
        gap[0] = d
    gap[1] = now


def gap_reset():
    gap[0] = 0
    gap[1] = ticks_ms()


async def ticker():
    while True:
        await asyncio.sleep_ms(10)
        tick()


async def measure(loop, count, max_ms, step=1):
    # device.py's rule: warm up (at most max(2, count/20) batches of `step`
    # iterations, or a quarter of the budget), estimate the rate, then time
    # min(count, rate * max_ms) iterations in one call.
    w = max(2, min(200, count // 20 // step))
    budget = max_ms * 250
    i = 0
    t0 = ticks_us()
    while i < w * step:
        await loop(step)
        i += step
        if ticks_diff(ticks_us(), t0) > budget:
            break
    warm_us = max(1, ticks_diff(ticks_us(), t0))
    n = min(count, max(3, i * max_ms * 1000 // warm_us))
    n = max(step, n // step * step)
    t0 = ticks_us()
    await loop(n)
    return n, ticks_diff(ticks_us(), t0), i


async def cmd_pub(c, qos, size, count, max_ms, tasks=0):
    gap_reset()
    topic = "%s/pub%d/%d" % (PREFIX, qos, size)
    p = payload(size)
    pub = c.publish

    async def publisher(k):
        for _ in range(k):
            await pub(topic, p, False, qos)

    if tasks:
        async def loop(n):
            await asyncio.gather(*[publisher(n // tasks) for _ in range(tasks)])
    else:
        loop = publisher

    n, dt, w = await measure(loop, count, max_ms, tasks or 1)
    await pub(PREFIX + "/sync", b"", False, 1)    # untimed: the broker has caught up
    tick()
    name = "pub%d" % qos if not tasks else "pub%dt%d" % (qos, tasks)
    print("RESULT", name, size, n, dt, w, gap[0])


rtt_subscribed = [False]


async def cmd_rtt(c, size, count, max_ms):
    gap_reset()
    topic = PREFIX + "/rtt"
    if not rtt_subscribed[0]:
        await c.subscribe(topic, 0)
        rtt_subscribed[0] = True
    p = payload(size)
    pub = c.publish
    nxt = c.messages.__anext__

    async def loop(n):
        for _ in range(n):
            await pub(topic, p)
            await nxt()

    n, dt, w = await measure(loop, count, max_ms)
    tick()
    print("RESULT rtt", size, n, dt, w, gap[0])


async def cmd_floodprep(c, size):
    await c.subscribe("%s/flood/%d" % (PREFIX, size), 0)
    print("READY")


async def cmd_flood(c, size, count):
    gap_reset()
    nxt = c.messages.__anext__
    t0 = ticks_us()
    for _ in range(count):
        await nxt()
    dt = ticks_diff(ticks_us(), t0)
    tick()
    print("RESULT flood", size, count, dt, 0, gap[0])


async def main():
    c = MQTTClient(ID, os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")))
    await c.connect()
    asyncio.create_task(ticker())
    await asyncio.sleep_ms(0)       # the ticker starts before the first command
    print("HELLO")
    while True:
        line = sys.stdin.readline()     # blocks the event loop: see the top
        if not line:
            break
        f = line.split()
        if not f:
            continue
        cmd, a = f[0], [int(x) for x in f[1:]]
        if cmd == "pub":
            await cmd_pub(c, *a)
        elif cmd == "pubtasks":
            await cmd_pub(c, *a[:4], tasks=a[4])
        elif cmd == "rtt":
            await cmd_rtt(c, *a)
        elif cmd == "floodprep":
            await cmd_floodprep(c, *a)
        elif cmd == "flood":
            await cmd_flood(c, *a)
        elif cmd == "quit":
            break
        else:
            print("ERROR bad command", line)
            sys.exit(2)
    await c.disconnect()
    print("BYE")


asyncio.run(main())
