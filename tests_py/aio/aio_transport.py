# transport=: the application opens the connection (here a plain socket);
# the asyncio client runs over it and asks for a new one on reconnecting.
import asyncio
import socket
from umqtt.aio import MQTTClient
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded

opened = []


def opener():
    s = socket.socket()
    s.connect(socket.getaddrinfo(HOST, PORT)[0][-1])
    opened.append(s)
    return s


async def main():
    async with MQTTClient(CLIENT_ID, "unused.invalid", 1, transport=opener, keepalive=30) as client:
        await bounded(client.subscribe(TOPIC, 1), 10, "subscribe")
        await bounded(client.publish(TOPIC, b"over the application's stream", qos=1), 10, "publish")
        m = await bounded(client.messages.__anext__(), 10, "message")
        out("GOT", m.payload, m.qos)
        out("READY")    # the test cuts the connection
        await bounded(client.down.wait(), 10, "down")
        await bounded(client.up.wait(), 10, "up")
        await bounded(client.publish(TOPIC, b"again", qos=1), 10, "publish again")
        m = await bounded(client.messages.__anext__(), 10, "message again")
        out("GOT", m.payload, m.qos)
    out("OPENED", len(opened))


asyncio.run(main())
