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
    # One bit per message (10,000 payloads in a set would not fit the heap).
    dups = got = 0
    strange = []
    async for m in client.messages:
        i = int(m.payload[5:]) if m.payload[:5] == b"down-" else -1
        if not 0 <= i < COUNT:
            strange.append(m.payload)
            continue
        if seen[i >> 3] & (1 << (i & 7)):
            dups += 1
            continue
        seen[i >> 3] |= 1 << (i & 7)
        got += 1
        if got == COUNT:
            break
    out("RECEIVED", got, not strange, "dups", dups)


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
    seen = bytearray((COUNT + 7) // 8)
    await bounded(asyncio.gather(sender(client), reader(client, seen)), 120 + COUNT * PACE_MS // 500,
                  "both ways")
    out("GAP", ticker.stop())
    out("UPS", ups[0])
    counter.cancel()
    await bounded(client.disconnect(), 10, "disconnect")
    out("DONE")


asyncio.run(main())
