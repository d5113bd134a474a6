# The blocking umqtt.MQTTClient and the asyncio client in one program, each
# receiving what the other publishes.
import asyncio
import umqtt
from umqtt.aio import MQTTClient
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded

got_b = []
b = umqtt.MQTTClient(CLIENT_ID + "-b", HOST, PORT, keepalive=30)
b.set_callback(lambda topic, msg: got_b.append((topic, msg)))
out("B CONNECT", b.connect())
b.subscribe(TOPIC + "/to-b", 1)


async def main():
    async with MQTTClient(CLIENT_ID + "-a", HOST, PORT, keepalive=30) as a:
        await bounded(a.subscribe(TOPIC + "/to-a", 1), 10, "subscribe")
        out("B PUBLISH", b.publish(TOPIC + "/to-a", b"from blocking", qos=1))
        m = await bounded(a.messages.__anext__(), 10, "message from the blocking client")
        out("A GOT", m.topic, m.payload, m.qos)
        await bounded(a.publish(TOPIC + "/to-b", b"from asyncio", qos=1), 10, "publish")
        for _ in range(500):            # the blocking client, polled from a task
            b.check_msg()
            if got_b:
                break
            await asyncio.sleep_ms(10)
        out("B GOT", got_b)
        out("A STA", a.get_mqttsta(), "B STA", b.get_mqttsta())


asyncio.run(main())
b.disconnect()
out("DONE")
