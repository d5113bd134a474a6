# Large messages in the asyncio client. MODE=chunks: a message longer than
# the 4 KiB chunk buffer comes through set_chunk_callback (the callback
# raises once, at offset RAISE_AT, and the other chunks must still come); a
# small message then comes through client.messages. MODE=memory: with the
# heap filled up to 1 KiB holes, a 10 KiB message cannot be made (the pump
# gets MemoryError); once memory is back it must arrive, on the same
# connection. MODE=never: memory never comes back; after the client's
# timeout (2 s) the connection counts as lost. Prints READY when subscribed (the peer then publishes), and
# result lines for the test. Exceptions the client reports go to the loop's
# exception handler, printed as HANDLER <message> <exception type>.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, MODE, RAISE_AT.
import asyncio
import binascii
import gc
import hashlib
import os
from time import ticks_ms, ticks_diff
from umqtt.aio import MQTTClient

from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded

MODE = os.getenv("MODE")
handled = []


def handler(loop, context):
    handled.append(context["exception"])
    out("HANDLER", context["message"], type(context["exception"]).__name__)


def hexdigest(h):
    return binascii.hexlify(h.digest()).decode()


class Chunks:
    def __init__(self, raise_at):
        self.raise_at = raise_at
        self.h = hashlib.sha256()
        self.n = self.calls = 0
        self.done = asyncio.Event()

    def __call__(self, m, data, offset, total):
        assert offset == self.n, (offset, self.n)
        self.h.update(data)
        self.n += len(data)
        self.calls += 1
        if offset + len(data) == total:
            out("CHUNKED", m.topic.decode(), m.qos, total, self.calls, hexdigest(self.h))
            self.done.set()
        if offset == self.raise_at:
            raise ValueError("the application's bug")


def fill_heap():
    """Every free block taken in 1 KiB pieces, then 12 KiB given back in
    1 KiB holes: small objects still fit, a 10 KiB payload does not."""
    gc.collect()
    ballast = []
    try:
        while True:
            ballast.append(bytearray(1024))
    except MemoryError:
        pass
    for i in range(0, 48, 4):
        ballast[-1 - i] = None
    return ballast


async def next_message(c):
    async for m in c.messages:
        return m


async def main():
    asyncio.get_event_loop().set_exception_handler(handler)
    c = MQTTClient(CLIENT_ID, HOST, port=PORT, keepalive=30, reconn=False, timeout=2)
    await bounded(c.connect(), 10, "connect")
    await bounded(c.subscribe(TOPIC + "/#", qos=1), 10, "subscribe")
    if MODE == "chunks":
        chunks = Chunks(int(os.getenv("RAISE_AT")))
        c.set_chunk_callback(chunks, bytearray(4096))
        out("READY")
        await bounded(chunks.done.wait(), 30, "the last chunk")
        m = await bounded(next_message(c), 10, "the small message")
        out("MSG", m.topic.decode(), m.payload)
    elif MODE == "never":
        ballast = fill_heap()
        out("READY")
        t0 = ticks_ms()
        try:
            await bounded(next_message(c), 20, "the loss")
            r = "a message"
        except OSError as e:
            r = "OSError"
        ms = ticks_diff(ticks_ms(), t0)
        ballast = None
        gc.collect()
        # The peer publishes once READY is seen: `timeout` (2 s) after the
        # first MemoryError, give or take the publish's way and a 50 ms step.
        out("LOST", r, c.get_mqttsta(), 2000 <= ms < 6000)
        out("END")
        return
    else:
        ballast = fill_heap()
        out("READY")
        for _ in range(500):
            await asyncio.sleep_ms(10)
            if handled:
                break
        ballast = None
        gc.collect()
        m = await bounded(next_message(c), 10, "the message")
        out("MSG", m.topic.decode(), len(m.payload), hexdigest(hashlib.sha256(m.payload)), m.dup)
    st = c.stats()
    out("STATE", c.get_mqttsta(), st["connects"], st["received"])
    await c.disconnect()
    out("END")


asyncio.run(main())
