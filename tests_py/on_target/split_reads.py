# A PUBLISH split across many small reads (down to one byte a read), and
# several packets in one read: every message arrives whole, once.
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

from umqtt import MQTTClient


def on_packet(b, pkt):
    t = pkt[0] >> 4
    if t == 1:
        b.feed(b"\x20\x02\x00\x00")
    elif t == 8:
        v = body(pkt)
        b.feed(b"\x90\x03" + v[0:2] + bytes((v[-1],)))
    elif t == 3 and pkt[0] & 0x06 == 2:
        b.feed(b"\x40\x02" + publish_id(pkt))


def publish_packet(topic, payload, qos=0, pid=1):
    v = bytearray()
    v.extend(bytes((len(topic) >> 8, len(topic) & 0xFF)))
    v.extend(topic)
    if qos:
        v.extend(bytes((pid >> 8, pid & 0xFF)))
    v.extend(payload)
    n = len(v)
    head = bytearray((0x30 | (qos << 1),))
    while True:
        d = n & 0x7F
        n >>= 7
        head.append(d | (0x80 if n else 0))
        if not n:
            break
    return bytes(head + v)


got = []
b = Broker(on_packet)
c = MQTTClient("split", "unused", transport=lambda: b)
c.set_callback(lambda topic, msg: got.append((topic, msg)))
c.connect()
c.subscribe("split/#", 1)

payload = bytes((i * 7) & 0xFF for i in range(300))
for chunk in (1, 2, 3, 7, 64):
    for qos in (0, 1):
        del got[:]
        del b.sent[:]
        b.chunk = chunk
        b.reads = 0
        pkt = publish_packet(b"split/%d" % chunk, payload, qos, pid=1000 + chunk)
        b.feed(pkt)
        c.wait_msg()
        ack = hx(b.sent[-1]) if b.sent else "-"
        print("chunk", chunk, "qos", qos, "messages", len(got), "topic", got[0][0],
              "payload ok", got[0][1] == payload, "reads", b.reads == (len(pkt) + chunk - 1) // chunk,
              "ack", ack)

# The header itself split: a 16 KiB payload (three-byte remaining length)
# fed one byte at a time for the header, then in 1000-byte pieces.
del got[:]
big = bytes(i & 0xFF for i in range(16384))
pkt = publish_packet(b"split/big", big)
b.chunk = 1
b.feed(pkt[:6])
while b.out:
    c.check_msg()
b.chunk = 1000
b.feed(pkt[6:])
c.wait_msg()
print("big", len(got), got[0][0], len(got[0][1]), got[0][1] == big)

# Five packets in one read of one buffer, then fed one byte at a time.
for chunk in (4096, 1):
    del got[:]
    b.chunk = chunk
    for i in range(5):
        b.feed(publish_packet(b"split/many", b"m%d" % i))
    for i in range(5):
        c.wait_msg()
    print("five, chunk", chunk, [m for t, m in got])

c.disconnect()
print("done")
