# QoS 1 both ways through a fault proxy that keeps cutting the connection
# (reconn=True, a persistent session): COUNT messages each way, none lost.
import asyncio
import os
from umqtt.aio import MQTTClient
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded, Ticker

COUNT = int(os.getenv("COUNT", "200"))
PACE_MS = int(os.getenv("PACE_MS", "20"))    # so that the cuts fall all through the exchange


async def sender(client):
    for i in range(COUNT):
        await client.publish(TOPIC + "/up", b"up-%03d" % i, qos=1)
        await asyncio.sleep_ms(PACE_MS)
    out("SENT", COUNT)


async def reader(client, seen):
    dups = 0
    async for m in client.messages:
        if m.payload in seen:
            dups += 1
        seen.add(m.payload)
        if len(seen) == COUNT:
            break
    out("RECEIVED", len(seen), sorted(seen) == sorted(b"down-%03d" % i for i in range(COUNT)), "dups", dups)


async def main():
    client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=2, timeout=3)
    ups = [0]

    async def count_ups():
        while True:
            await client.up.wait()
            ups[0] += 1
            await client.down.wait()

    await bounded(client.connect(clean_session=False), 10, "connect")
    counter = asyncio.create_task(count_ups())
    await bounded(client.subscribe(TOPIC + "/down", 1), 10, "subscribe")
    ticker = Ticker().start()
    out("READY")
    seen = set()
    await bounded(asyncio.gather(sender(client), reader(client, seen)), 120, "both ways")
    out("GAP", ticker.stop())
    out("UPS", ups[0])
    counter.cancel()
    await bounded(client.disconnect(), 10, "disconnect")
    out("DONE")


asyncio.run(main())
