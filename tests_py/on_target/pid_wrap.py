# Packet identifiers run 1..65535 and wrap to 1 (never 0), across QoS 1 and 2
# publishes and subscriptions.
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

state = {"last": 0, "count": 0, "bad": 0, "zero": 0}
seen = []


def on_packet(b, pkt):
    t = pkt[0] >> 4
    if t == 1:
        b.feed(b"\x20\x02\x00\x00")
        return
    if t == 3:
        pid = publish_id(pkt)
        b.feed((b"\x40\x02" if pkt[0] & 0x06 == 2 else b"\x50\x02") + pid)
    elif t == 6:
        b.feed(b"\x70\x02" + pkt[2:4])
        del b.sent[:]
        return
    elif t == 8:
        pid = body(pkt)[0:2]
        b.feed(b"\x90\x03" + pid + b"\x01")
    else:
        del b.sent[:]
        return
    n = (pid[0] << 8) | pid[1]
    if n == 0:
        state["zero"] += 1
    expect = state["last"] + 1 if state["last"] < 65535 else 1
    if n != expect:
        state["bad"] += 1
    state["last"] = n
    state["count"] += 1
    if state["count"] <= 2 or state["count"] >= 65534:
        seen.append(n)
    del b.sent[:]


b = Broker(on_packet)
c = MQTTClient("wrap", "unused", transport=lambda: b)
c.connect()
c.set_callback(lambda t, m: None)
c.subscribe("w/1", 1)                      # id 1
for i in range(65532):                      # ids 2..65533
    c.publish("w", b"x", qos=1)
    if i % 16384 == 0:
        print("progress", i)
c.publish("w", b"y", qos=2)                 # 65534
c.subscribe("w/2", 1)                       # 65535
c.publish("w", b"z", qos=2)                 # wraps: 1
c.publish("w", b"z", qos=1)                 # 2
c.subscribe("w/3", 0)                       # 3
print("ids", seen)
print("count", state["count"], "out of order", state["bad"], "zero", state["zero"])
c.disconnect()
print("done")
