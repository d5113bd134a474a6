# The event loop keeps running while the client works: a 10 ms ticker's
# largest gap, measured in one scenario (SCENARIO):
#   publish    300 publishes (QoS 0, 1, 2 from three tasks, 1 KiB each)
#   receive    COUNT messages flooded in by the test's paho peer
#   blackhole  connect to a server that accepts TCP and never answers
#   noaccept   connect to a listener that never accepts
#   cut        the fault proxy cuts the connection (reconn=True)
#   killed     the broker is killed, then restarted (reconn=True)
#   stalled    the broker stops reading (the proxy stalls): QoS 0 publishes
#              of 64 KiB fill the socket buffers, then wait
import asyncio
import os
from time import ticks_ms, ticks_diff
from umqtt.aio import MQTTClient
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded, Ticker

SCENARIO = os.getenv("SCENARIO")
COUNT = int(os.getenv("COUNT", "500"))


async def publish(client):
    async def one(qos):
        for i in range(100):
            await client.publish("{}/q{}".format(TOPIC, qos), b"%d" % i + b"." * 1020, qos=qos)

    await bounded(asyncio.gather(one(0), one(1), one(2)), 60, "publishers")
    out("PUBLISHED 300")


async def receive(client):
    await bounded(client.subscribe(TOPIC, 1), 10, "subscribe")
    out("READY")
    n = 0

    async def read():
        nonlocal n
        async for m in client.messages:
            n += 1
            if n == COUNT:
                break

    try:
        await bounded(read(), 40, "messages", client)
    finally:
        out("RECEIVED", n)


async def goes_away(client):
    out("READY")
    await bounded(client.down.wait(), 20, "down")
    out("DOWN", client.up.is_set(), client.down.is_set())
    await bounded(client.up.wait(), 40, "up again")
    out("UP", client.up.is_set(), client.down.is_set())
    await bounded(client.publish(TOPIC, b"after", qos=1), 10, "publish after")
    out("PUBLISHED after")


async def stalled(client):
    out("READY")
    await asyncio.sleep_ms(300)         # the test stalls the proxy meanwhile
    payload = b"s" * 65536
    sent = 0

    async def flood():
        nonlocal sent
        while True:
            await client.publish(TOPIC, payload, qos=0)
            sent += 1

    t = asyncio.create_task(flood())
    await asyncio.sleep_ms(3000)
    t.cancel()
    out("STALLED", sent > 0)


async def never_answers(client):
    t0 = ticks_ms()
    try:
        await bounded(client.connect(), 20, "connect")
        out("CONNECTED?!")
    except OSError as e:
        out("FAILED OSError", e.errno, ticks_diff(ticks_ms(), t0) // 100 / 10)
    out("UP", client.up.is_set(), client.down.is_set())


async def main():
    ticker = Ticker().start()
    timeout = 2 if SCENARIO in ("blackhole", "noaccept") else 10
    client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=2, timeout=timeout)
    if SCENARIO in ("blackhole", "noaccept"):
        await never_answers(client)
    else:
        await bounded(client.connect(), 10, "connect")
        out("CONNECTED", client.up.is_set(), client.down.is_set())
        if SCENARIO == "publish":
            await publish(client)
        elif SCENARIO == "receive":
            await receive(client)
        elif SCENARIO == "stalled":
            await stalled(client)
            client.close()
            out("GAP", ticker.stop(), ticker.ticks)
            return
        else:
            await goes_away(client)
        await bounded(client.disconnect(), 10, "disconnect")
    out("GAP", ticker.stop(), ticker.ticks)


asyncio.run(main())
