# umqtt.aio, the asyncio client, against the scripted broker: connect
# (CONNACK), subscribe (SUBACK, and a refusal), publish QoS 0, 1 and 2, each
# await completing only once its acknowledgements are in (PUBACK; PUBREC,
# then PUBCOMP: the broker holds them back until the script lets them go),
# and disconnect; the exact bytes on the wire. No threads: the boards have
# none.
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


held = []
hold = [False]


def answer(pkt):
    t = pkt[0] >> 4
    if t == 1:                                   # CONNECT
        return b"\x20\x02\x00\x00"
    if t == 8:                                   # SUBSCRIBE: grant, or refuse "deny/#"
        v = body(pkt)
        return b"\x90\x03" + v[0:2] + (b"\x80" if b"deny" in v else bytes((v[-1],)))
    if t == 3 and pkt[0] & 0x06:                 # PUBLISH QoS 1: PUBACK, QoS 2: PUBREC
        return (b"\x40\x02" if pkt[0] & 0x06 == 2 else b"\x50\x02") + publish_id(pkt)
    if t == 6:                                   # PUBREL: PUBCOMP
        return b"\x70\x02" + pkt[2:4]
    return None


def on_packet(b, pkt):
    reply = answer(pkt)
    if reply is not None:
        if hold[0]:
            held.append(reply)
        else:
            b.feed(reply)


def release(b):
    for reply in held:
        b.feed(reply)
    del held[:]


async def settle():
    # Let the client's pump run a while (it has nothing to read).
    for _ in range(5):
        await asyncio.sleep_ms(5)


async def main():
    b = Transport(on_packet)
    c = MQTTClient("aio-pub", "unused", transport=lambda: b)
    print("connect", await c.connect(), "up", c.up.is_set())
    check("CONNECT", b.sent[0], b"\x10\x13\x00\x04MQTT\x04\x02\x00\x00\x00\x07aio-pub")

    print("granted", await c.subscribe("cmd/#", 1))
    check("SUBSCRIBE", b.sent[-1], b"\x82\x0a\x00\x01\x00\x05cmd/#\x01")
    try:
        await c.subscribe("deny/#", 2)
        print("refused: returned")
    except MQTTException as e:
        print("refused", e.args[0] == 0x80)
    check("SUBSCRIBE deny", b.sent[-1], b"\x82\x0b\x00\x02\x00\x06deny/#\x02")

    del b.sent[:]
    await c.publish("a/b", b"hello")
    check("QoS 0", b.sent[-1], b"\x30\x0a\x00\x03a/bhello")
    await c.publish(b"a/b", "hello", retain=True)
    check("QoS 0 retain", b.sent[-1], b"\x31\x0a\x00\x03a/bhello")
    print("QoS 0 packets", len(b.sent))

    # QoS 1: the await ends on PUBACK, not before.
    del b.sent[:]
    hold[0] = True
    t = asyncio.create_task(c.publish("q/1", b"one", qos=1))
    await settle()
    check("QoS 1 PUBLISH", b.sent[0], b"\x32\x0a\x00\x03q/1\x00\x03one")
    print("QoS 1 before PUBACK: done", t.done(), "packets", len(b.sent))
    release(b)
    await t
    print("QoS 1 after PUBACK: done", t.done(), "packets", len(b.sent))

    # QoS 2: PUBREC brings PUBREL, and the await ends on PUBCOMP.
    del b.sent[:]
    t = asyncio.create_task(c.publish("q/2", b"two", qos=2))
    await settle()
    check("QoS 2 PUBLISH", b.sent[0], b"\x34\x0a\x00\x03q/2\x00\x04two")
    print("QoS 2 before PUBREC: done", t.done(), "packets", len(b.sent))
    release(b)
    await settle()
    check("QoS 2 PUBREL", b.sent[1], b"\x62\x02\x00\x04")
    print("QoS 2 before PUBCOMP: done", t.done(), "packets", len(b.sent))
    release(b)
    await t
    print("QoS 2 after PUBCOMP: done", t.done(), "packets", len(b.sent))
    hold[0] = False

    # Several at once, QoS 1 and 2 interleaved: all complete.
    del b.sent[:]
    await asyncio.gather(c.publish("m/1", b"x", qos=1), c.publish("m/2", b"y", qos=2),
                         c.publish("m/0", b"z"))
    print("gathered", [hx(p[:1]) for p in b.sent])

    await c.disconnect()
    check("DISCONNECT", b.sent[-1], b"\xe0\x00")
    print("closed", b.closed, "up", c.up.is_set(), "down", c.down.is_set())
    n = 0
    async for m in c.messages:
        n += 1
    print("messages after disconnect", n)


asyncio.run(main())
print("done")
