# Keep-alive and flow control while the application awaits other things:
#   idle   keepalive=1, the application only sleeps: PINGREQs keep the
#          connection up, `down` never set
#   slow   a reader that takes 5 ms per message while COUNT arrive: all
#          arrive in order; messages held by the client stay bounded
import asyncio
import os
from umqtt.aio import MQTTClient
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded, Ticker

SCENARIO = os.getenv("SCENARIO")
COUNT = int(os.getenv("COUNT", "300"))


async def idle(client):
    downs = [0]

    async def watch():
        while True:
            await client.down.wait()
            downs[0] += 1
            await client.up.wait()

    w = asyncio.create_task(watch())
    await asyncio.sleep_ms(4500)
    w.cancel()
    out("DOWNS", downs[0], client.up.is_set())
    await bounded(client.publish(TOPIC, b"still here", qos=1), 10, "publish")
    out("PUBLISHED")


async def slow(client):
    await bounded(client.subscribe(TOPIC, 1), 10, "subscribe")
    out("READY")
    payloads, held = [], 0
    async def read():
        nonlocal held
        async for m in client.messages:
            held = max(held, client.messages._n + 1)
            payloads.append(m.payload)
            if len(payloads) == COUNT:
                return
            await asyncio.sleep_ms(5)

    await bounded(read(), 60, "slow reader")
    out("RECEIVED", len(payloads), payloads == [b"%04d" % i for i in range(COUNT)])
    out("HELD", held)


async def main():
    ticker = Ticker().start()
    client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=1 if SCENARIO == "idle" else 10)
    await bounded(client.connect(), 10, "connect")
    await (idle(client) if SCENARIO == "idle" else slow(client))
    await bounded(client.disconnect(), 10, "disconnect")
    out("GAP", ticker.stop())


asyncio.run(main())
