# Three tasks publish QoS 0, 1 and 2 at once while a reader task consumes
# client.messages (the client is subscribed to its own topics at QoS 2).
import asyncio
from umqtt.aio import MQTTClient
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded, Ticker

N = 50


async def publisher(client, qos, done):
    for i in range(N):
        await client.publish("{}/q{}".format(TOPIC, qos), b"q%d-%03d" % (qos, i), qos=qos)
    done.append(qos)


async def reader(client, got):
    async for m in client.messages:
        got.append(m)
        if len(got) == 3 * N:
            return


async def main():
    client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=30)
    await bounded(client.connect(), 10, "connect")
    granted = await bounded(client.subscribe(TOPIC + "/#", 2), 10, "subscribe")
    out("GRANTED", granted)
    ticker = Ticker().start()
    got, done = [], []
    r = asyncio.create_task(reader(client, got))
    await bounded(asyncio.gather(*(publisher(client, q, done) for q in (0, 1, 2))), 30, "publishers")
    out("PUBLISHED", sorted(done))
    await bounded(r, 30, "reader")
    out("GAP", ticker.stop())
    for qos in (0, 1, 2):
        mine = [m for m in got if m.topic == "{}/q{}".format(TOPIC, qos).encode()]
        payloads = [m.payload for m in mine]
        out("QOS", qos, len(mine), set(m.qos for m in mine) == {qos},
            payloads == [b"q%d-%03d" % (qos, i) for i in range(N)],
            any(m.retain for m in mine), any(m.dup for m in mine), all(m.properties == {} for m in mine))
    await bounded(client.disconnect(), 10, "disconnect")
    out("DONE")


asyncio.run(main())
