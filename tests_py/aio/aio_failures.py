# Failures: a lost connection with reconn=False makes the pending and the
# later calls raise OSError; a refused CONNECT raises MQTTException.
import asyncio
import os
import sys
from umqtt.aio import MQTTClient, MQTTException
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded

SCENARIO = os.getenv("SCENARIO")


def name(e):
    return "{} {}".format(type(e).__name__, e.args[0] if e.args else "")


async def lost():
    client = MQTTClient(CLIENT_ID, HOST, PORT, reconn=False, keepalive=0)
    await bounded(client.connect(), 10, "connect")
    await bounded(client.subscribe(TOPIC, 1), 10, "subscribe")
    pending = asyncio.create_task(client.publish(TOPIC, b"pending", qos=1))

    async def read():
        async for m in client.messages:
            out("MESSAGE", m.payload)

    reader = asyncio.create_task(read())
    await asyncio.sleep_ms(200)
    out("PENDING", pending.done() if hasattr(pending, "done") else "?")
    out("READY")    # the test stalled the PUBACK direction; now it cuts
    await bounded(client.down.wait(), 10, "down")
    out("DOWN", client.up.is_set(), client.down.is_set(), client.get_mqttsta())
    for what, aw in (("PENDING", pending), ("READER", reader)):
        try:
            await bounded(aw, 10, what)
            out(what, "RETURNED?!")
        except Exception as e:
            out(what, name(e), isinstance(e, OSError))
    for what, coro in (("LATER PUBLISH", client.publish(TOPIC, b"later", qos=0)),
                       ("LATER SUBSCRIBE", client.subscribe(TOPIC + "/x", 0))):
        try:
            await bounded(coro, 10, what)
            out(what, "RETURNED?!")
        except Exception as e:
            out(what, name(e), isinstance(e, OSError))


async def refused():
    client = MQTTClient(CLIENT_ID, HOST, PORT, user="alice", password="wrong")
    try:
        await bounded(client.connect(), 10, "connect")
        out("CONNECTED?!")
    except MQTTException as e:
        out("REFUSED MQTTException", e.args[0])
    out("STATE", client.up.is_set(), client.down.is_set())
    client = MQTTClient(CLIENT_ID, HOST, PORT, user="alice", password=os.getenv("GOOD_PASSWORD"))
    out("GOOD", await bounded(client.connect(), 10, "connect"))
    await client.disconnect()


asyncio.run(lost() if SCENARIO == "lost" else refused())
out("DONE")
