# publish(): QoS 0, 1 and 2, the exact bytes on the wire, each call returning
# only once its acknowledgements are in.
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

import errno
from umqtt import MQTTClient


def on_packet(b, pkt):
    t = pkt[0] >> 4
    if t == 1:                                   # CONNECT
        b.feed(b"\x20\x02\x00\x00")
    elif t == 3 and pkt[0] & 0x06:               # PUBLISH QoS 1/2: acknowledge
        b.feed((b"\x40\x02" if pkt[0] & 0x06 == 2 else b"\x50\x02") + publish_id(pkt))
    elif t == 6:                                 # PUBREL: PUBCOMP
        b.feed(b"\x70\x02" + pkt[2:4])


b = Broker(on_packet)
c = MQTTClient("pub", "unused", transport=lambda: b)
c.connect()
del b.sent[:]

c.publish("a/b", b"hello")
check("QoS 0", b.sent[-1], b"\x30\x0a\x00\x03a/bhello")
c.publish(b"a/b", "hello", retain=True)
check("QoS 0 retain", b.sent[-1], b"\x31\x0a\x00\x03a/bhello")
c.publish("a/b", bytearray(b"\x00\xff"), False, 0)
check("QoS 0 bytearray", b.sent[-1], b"\x30\x07\x00\x03a/b\x00\xff")
c.publish("a/b", memoryview(b"xyz123")[3:])
check("QoS 0 memoryview", b.sent[-1], b"\x30\x08\x00\x03a/b123")
c.publish("a/b", b"")
check("QoS 0 empty", b.sent[-1], b"\x30\x05\x00\x03a/b")
print("packets", len(b.sent))

del b.sent[:]
c.publish("q/1", b"one", qos=1)
check("QoS 1 PUBLISH", b.sent[0], b"\x32\x0a\x00\x03q/1\x00\x01one")
print("QoS 1 packets", len(b.sent), "unread", len(b.out))

del b.sent[:]
c.publish("q/2", b"two", qos=2)
check("QoS 2 PUBLISH", b.sent[0], b"\x34\x0a\x00\x03q/2\x00\x02two")
check("QoS 2 PUBREL", b.sent[1], b"\x62\x02\x00\x02")
print("QoS 2 packets", len(b.sent), "unread", len(b.out))

del b.sent[:]
c.publish("q/1", b"r", retain=True, qos=1)
check("QoS 1 retain", b.sent[0], b"\x33\x08\x00\x03q/1\x00\x03r")

# A 200-byte payload: two-byte remaining length.
del b.sent[:]
payload = bytes(range(200))
c.publish("big", payload, qos=1)
check("QoS 1 200 bytes", b.sent[0], b"\x32\xcf\x01\x00\x03big\x00\x04" + payload)

# A QoS 1 publish returns only after its PUBACK: hold the PUBACK back and the
# call times out, raising, with the message still in flight.
held = []


def slow(b, pkt):
    if pkt[0] >> 4 == 3:
        held.append(pkt)
    else:
        on_packet(b, pkt)


b2 = Broker(slow)
c2 = MQTTClient("slow", "unused", reconn=False, timeout=1, transport=lambda: b2)
c2.connect()
try:
    c2.publish("s", b"x", qos=1)
    print("no PUBACK: returned")
except Exception as e:
    print("no PUBACK:", type(e).__name__, e.args[0] == errno.ETIMEDOUT, "held", len(held))
c.disconnect()
check("DISCONNECT", b.sent[-1], b"\xe0\x00")
print("done")
