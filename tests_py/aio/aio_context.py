# async with connects and disconnects (DISCONNECT reaches the broker).
import asyncio
from umqtt.aio import MQTTClient
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded


async def main():
    async with MQTTClient(CLIENT_ID, HOST, PORT) as client:
        out("INSIDE", client.up.is_set(), client.get_mqttsta())
        await bounded(client.publish(TOPIC, b"in context", qos=1), 10, "publish")
    out("AFTER", client.up.is_set(), client.down.is_set(), client.get_mqttsta())
    try:
        await client.publish(TOPIC, b"after", qos=1)
        out("PUBLISHED AFTER?!")
    except OSError as e:
        out("AFTER PUBLISH OSError")
    n = 0
    async for m in client.messages:
        n += 1
    out("MESSAGES END", n)


asyncio.run(main())
