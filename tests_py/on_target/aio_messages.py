# umqtt.aio, the asyncio client, receiving from the scripted broker:
# messages QoS 0, 1 and 2 delivered through `async for m in client.messages`
# (.topic .payload .qos .retain), the acknowledgements the client writes for
# them (PUBACK; PUBREC, then PUBCOMP on PUBREL), one PUBLISH split over
# reads; a ticker task keeps running while the client waits (the broker
# speaks only at the ticker's ticks); then disconnect. No threads.
# --- scripted broker (the same block in every script of tests_py/on_target) ---
import io


def hx(b):
    return "".join("%02x" % x for x in b)


def packet_len(buf):
    # Length of the first whole MQTT packet in buf, or 0 if incomplete.
    n, shift, i = 0, 0, 1
    while True:
        if i >= len(buf):
            return 0
        b = buf[i]
        n |= (b & 0x7F) << shift
        shift += 7
        i += 1
        if not b & 0x80:
            break
    return i + n if len(buf) >= i + n else 0


def body(pkt):
    # A packet's bytes after its fixed header.
    i = 1
    while pkt[i] & 0x80:
        i += 1
    return pkt[i + 1:]


def publish_id(pkt):
    # The packet identifier of a QoS 1/2 PUBLISH, as its two bytes.
    v = body(pkt)
    tl = (v[0] << 8) | v[1]
    return v[2 + tl:4 + tl]


class Broker(io.IOBase):
    # The client's transport: what the client writes is cut into packets and
    # kept in .sent (each handed to .on_packet, which may queue a reply with
    # .feed); the client reads what was fed, at most .chunk bytes a read.
    def __init__(self, on_packet=None, chunk=4096):
        self.on_packet = on_packet
        self.chunk = chunk
        self.pending = bytearray()
        self.out = bytearray()
        self.sent = []
        self.reads = 0
        self.eof = False
        self.closed = False

    def feed(self, data):
        self.out.extend(data)

    def write(self, buf):
        if self.closed:
            raise OSError(9)
        self.pending.extend(buf)
        while True:
            n = packet_len(self.pending)
            if not n:
                break
            pkt = bytes(self.pending[:n])
            self.pending = self.pending[n:]
            self.sent.append(pkt)
            if self.on_packet:
                self.on_packet(self, pkt)
        return len(buf)

    def readinto(self, buf):
        if not self.out:
            return 0 if self.eof else None
        n = min(len(buf), self.chunk, len(self.out))
        buf[:n] = self.out[:n]
        self.out = self.out[n:]
        self.reads += 1
        return n

    def ioctl(self, req, arg):
        if req == 3:  # MP_STREAM_POLL
            return arg & (4 | (1 if self.out or self.eof else 0))
        if req == 4:  # MP_STREAM_CLOSE
            self.closed = True
        return 0


def check(name, got, want):
    print(name, "ok" if got == want else "BAD got %s want %s" % (hx(got), hx(want)))
# --- end of scripted broker ---

import asyncio
from umqtt import MQTTException
from umqtt.aio import MQTTClient


class Transport(Broker):
    # The scripted broker as asyncio waits on it: a stream with no file
    # descriptor (MP_STREAM_GET_FILENO answered EINVAL), so select.poll asks
    # its ioctl whether it is readable, on the unix port as on the boards.
    def ioctl(self, req, arg):
        if req == 10:  # MP_STREAM_GET_FILENO
            return -22
        return super().ioctl(req, arg)


def on_packet(b, pkt):
    t = pkt[0] >> 4
    if t == 1:                                   # CONNECT
        b.feed(b"\x20\x02\x00\x00")
    elif t == 8:                                 # SUBSCRIBE: grant
        v = body(pkt)
        b.feed(b"\x90\x03" + v[0:2] + bytes((v[-1],)))
    elif t == 5:                                 # PUBREC: PUBREL
        b.feed(b"\x62\x02" + pkt[2:4])


# What the broker sends, and at which tick of the ticker.
SCRIPT = {
    3: b"\x30\x0c\x00\x05dev/0zero!",                       # QoS 0
    5: b"\x33\x0c\x00\x05dev/1\x12\x34one",                  # QoS 1, retained
    7: b"\x34\x0c\x00\x05dev/2\xab\xcdtwo",                  # QoS 2
    9: b"\x32\x89\x01\x00\x05dev/3\x00\x07" + bytes(range(128)),  # QoS 1, 128 bytes
}
LAST = 9
ticks = [0]


async def ticker(b):
    while True:
        await asyncio.sleep_ms(10)
        ticks[0] += 1
        if ticks[0] in SCRIPT:
            if ticks[0] == LAST:
                b.chunk = 16                     # this one comes in 16-byte reads
            b.feed(SCRIPT[ticks[0]])


async def read(c, b):
    n = 0
    async for m in c.messages:
        n += 1
        print("message", m.topic, m.payload if len(m.payload) < 16 else len(m.payload), "qos", m.qos,
              "retain", m.retain, "after its tick", ticks[0] >= sorted(SCRIPT)[n - 1])
        if len(m.payload) > 16:
            print("payload ok", m.payload == bytes(range(128)))
        if n == len(SCRIPT):
            break


async def main():
    b = Transport(on_packet)
    c = MQTTClient("aio-sub", "unused", transport=lambda: b)
    print("connect", await c.connect())
    print("granted", await c.subscribe("dev/#", 2))
    check("SUBSCRIBE", b.sent[-1], b"\x82\x0a\x00\x01\x00\x05dev/#\x02")
    del b.sent[:]

    tick_task = asyncio.create_task(ticker(b))
    try:
        await asyncio.wait_for_ms(read(c, b), 10000)
    except asyncio.TimeoutError:
        print("messages: timed out at tick", ticks[0])

    # The acknowledgements: written by the pump, between the ticks.
    start = ticks[0]
    while len(b.sent) < 4 and ticks[0] < start + 20:
        await asyncio.sleep_ms(10)
    check("PUBACK", b.sent[0], b"\x40\x02\x12\x34")
    check("PUBREC", b.sent[1], b"\x50\x02\xab\xcd")
    check("PUBCOMP", b.sent[2], b"\x70\x02\xab\xcd")
    check("PUBACK 128", b.sent[3], b"\x40\x02\x00\x07")
    print("acknowledgements", len(b.sent))

    # The ticker ran on while the client waited for each message.
    print("ticker running", not tick_task.done(), "ticks", ticks[0] >= LAST)
    tick_task.cancel()

    await c.disconnect()
    check("DISCONNECT", b.sent[-1], b"\xe0\x00")
    print("closed", b.closed, "sta", c.get_mqttsta())
    left = []
    async for m in c.messages:
        left.append(m)
    print("messages end", len(left))


asyncio.run(main())
print("done")
