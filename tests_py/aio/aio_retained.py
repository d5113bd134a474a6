# A retained message arrives with .retain true; a live one after it with
# .retain false.
import asyncio
from umqtt.aio import MQTTClient
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded


async def main():
    async with MQTTClient(CLIENT_ID, HOST, PORT) as client:
        await bounded(client.subscribe(TOPIC, 1), 10, "subscribe")
        m = await bounded(client.messages.__anext__(), 10, "retained message")
        out("FIRST", m.topic, m.payload, m.qos, m.retain, m.dup)
        out("READY")
        m = await bounded(client.messages.__anext__(), 10, "live message")
        out("SECOND", m.topic, m.payload, m.qos, m.retain, m.dup)
    out("DONE")


asyncio.run(main())
