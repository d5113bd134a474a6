# The asyncio client's benchmark, device side (run by bench/aio_bench.py):
# one case, one client kind, on the firmware; prints one RESULT line.
#
# Env: BENCH_KIND  "blocking" (umqtt.MQTTClient) or "aio" (umqtt.aio.MQTTClient)
#      BENCH_CASE  pub0 | pub1 | pub1x8 (aio only: 8 tasks) | flood
#      BENCH_SIZE, BENCH_COUNT, BENCH_ID, MQTT_HOST, MQTT_PORT
# Output: READY (flood: subscribed, the host may publish now), then
#         RESULT <case> <size> <count> <microseconds> <largest ticker gap ms, aio; -1 blocking>
import os
import time

KIND = os.getenv("BENCH_KIND")
CASE = os.getenv("BENCH_CASE")
SIZE = int(os.getenv("BENCH_SIZE"))
COUNT = int(os.getenv("BENCH_COUNT"))
ID = os.getenv("BENCH_ID")
HOST = os.getenv("MQTT_HOST")
PORT = int(os.getenv("MQTT_PORT"))
TOPIC = "bench/" + ID
PAYLOAD = bytes((i * 31 + 7) & 0xFF for i in range(SIZE))
ticks_us, ticks_diff = time.ticks_us, time.ticks_diff


def result(us, gap):
    print("RESULT", CASE, SIZE, COUNT, us, gap)


def blocking():
    from umqtt import MQTTClient

    got = [0, 0]

    def on_message(topic, msg):
        if got[0] == 0:
            got[1] = ticks_us()
        got[0] += 1

    c = MQTTClient(ID, HOST, PORT, keepalive=60)
    c.set_callback(on_message)
    c.connect()
    if CASE == "flood":
        c.subscribe(TOPIC, 0)
        print("READY")
        while got[0] < COUNT:
            c.wait_msg()
        result(ticks_diff(ticks_us(), got[1]), -1)
    else:
        qos = 1 if CASE == "pub1" else 0
        t0 = ticks_us()
        for _ in range(COUNT):
            c.publish(TOPIC, PAYLOAD, qos=qos)
        result(ticks_diff(ticks_us(), t0), -1)
    c.disconnect()


def aio():
    import asyncio
    from umqtt.aio import MQTTClient

    gap = [0, time.ticks_ms()]      # largest gap, last tick

    def tick():
        now = time.ticks_ms()
        gap[0] = max(gap[0], time.ticks_diff(now, gap[1]))
        gap[1] = now

    async def ticker():
        gap[1] = time.ticks_ms()
        while True:
            await asyncio.sleep_ms(10)
            tick()

    async def publisher(c, qos, n):
        for _ in range(n):
            await c.publish(TOPIC, PAYLOAD, qos=qos)

    async def main():
        c = MQTTClient(ID, HOST, PORT, keepalive=60)
        await c.connect()
        ticking = asyncio.create_task(ticker())
        await asyncio.sleep_ms(0)   # the ticker starts before the work
        if CASE == "flood":
            await c.subscribe(TOPIC, 0)
            print("READY")
            n, t0 = 0, 0
            async for m in c.messages:
                if n == 0:
                    t0 = ticks_us()
                n += 1
                if n == COUNT:
                    break
            us = ticks_diff(ticks_us(), t0)
        else:
            t0 = ticks_us()
            if CASE == "pub1x8":
                await asyncio.gather(*(publisher(c, 1, COUNT // 8) for _ in range(8)))
            else:
                await publisher(c, 1 if CASE == "pub1" else 0, COUNT)
            us = ticks_diff(ticks_us(), t0)
        ticking.cancel()
        tick()                      # the stall up to the end counts too
        result(us, gap[0])
        await c.disconnect()

    asyncio.run(main())


blocking() if KIND == "blocking" else aio()
