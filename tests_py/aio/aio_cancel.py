# Calls cancelled by asyncio.wait_for:
#   publish  a QoS 1 publish whose PUBACK is held back times out; the
#            message stays in flight and goes again after the reconnect
#   mutable  the same with a bytearray payload (its PUBLISH held back): the
#            script reuses the buffer once the call is given up on, and the
#            re-send must carry what was published
#   connect  a connect to a server that never answers is given up on: no
#            attempt goes on in the background
import asyncio
import os
from umqtt.aio import MQTTClient
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded

SCENARIO = os.getenv("SCENARIO")


async def publish(mutable=False):
    client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=30, timeout=3)
    await bounded(client.connect(clean_session=False), 10, "connect")
    payload = bytearray(b"held") if mutable else b"held"
    try:
        await asyncio.wait_for(client.publish(TOPIC, payload, qos=1), 0.5)
        out("PUBLISHED?!")
    except asyncio.TimeoutError:
        out("TIMEOUT", client.up.is_set())
    if mutable:
        payload[:] = b"next"    # the buffer's next use
    out("READY")        # the test cuts the connection now
    await bounded(client.down.wait(), 10, "down")
    await bounded(client.up.wait(), 10, "up")
    await bounded(client.publish(TOPIC, b"after", qos=1), 10, "publish after")
    out("AFTER")
    await client.disconnect()


async def connect():
    client = MQTTClient(CLIENT_ID, HOST, PORT, timeout=5)
    try:
        await asyncio.wait_for(client.connect(), 0.5)
        out("CONNECTED?!")
    except asyncio.TimeoutError:
        out("TIMEOUT", client.up.is_set(), client.down.is_set(), client.get_mqttsta())
    await asyncio.sleep_ms(2000)
    out("LATER", client.get_mqttsta())


asyncio.run(connect() if SCENARIO == "connect" else publish(SCENARIO == "mutable"))
out("DONE")
