# subscribe()/unsubscribe() and receiving: the SUBSCRIBE bytes, SUBACK, the
# callback for QoS 0, 1 and 2 messages with the acknowledgements the client
# sends, a QoS 2 message delivered once although the broker re-sends it, and
# a refused subscription.
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

from umqtt import MQTTClient, MQTTException

suback_code = [None]


def on_packet(b, pkt):
    t = pkt[0] >> 4
    if t == 1:
        b.feed(b"\x20\x02\x00\x00")
    elif t == 8:                                  # SUBSCRIBE: SUBACK with the granted QoS
        v = body(pkt)
        code = v[-1] if suback_code[0] is None else suback_code[0]
        b.feed(b"\x90\x03" + v[0:2] + bytes((code,)))
    elif t == 10:                                 # UNSUBSCRIBE: UNSUBACK
        b.feed(b"\xb0\x02" + body(pkt)[0:2])


got = []
b = Broker(on_packet)
c = MQTTClient("sub", "unused", transport=lambda: b)
c.set_callback(lambda topic, msg: got.append((topic, msg)))
c.connect()
del b.sent[:]

c.subscribe("s/0")
check("SUBSCRIBE QoS 0", b.sent[-1], b"\x82\x08\x00\x01\x00\x03s/0\x00")
c.subscribe("s/+/#", qos=1)
check("SUBSCRIBE QoS 1", b.sent[-1], b"\x82\x0a\x00\x02\x00\x05s/+/#\x01")
c.subscribe("s/2", 2)
check("SUBSCRIBE QoS 2", b.sent[-1], b"\x82\x08\x00\x03\x00\x03s/2\x02")
print("unread", len(b.out))

# QoS 0 message.
del b.sent[:]
b.feed(b"\x30\x0a\x00\x03s/0hello")
c.wait_msg()
print("QoS 0", got, "client sent", len(b.sent))

# QoS 1 message: the client answers PUBACK.
del got[:]
b.feed(b"\x32\x0a\x00\x05s/1/x\x12\x34m")
c.wait_msg()
print("QoS 1", got)
check("PUBACK", b.sent[-1], b"\x40\x02\x12\x34")

# QoS 2 message: PUBREC, then PUBREL from the broker, PUBCOMP; the broker
# re-sends the PUBLISH (DUP) before its PUBREL: delivered once.
del got[:]
del b.sent[:]
b.feed(b"\x34\x0b\x00\x03s/2\xab\xcdonce")
c.wait_msg()
check("PUBREC", b.sent[-1], b"\x50\x02\xab\xcd")
b.feed(b"\x3c\x0b\x00\x03s/2\xab\xcdonce")
c.wait_msg()
check("PUBREC again", b.sent[-1], b"\x50\x02\xab\xcd")
b.feed(b"\x62\x02\xab\xcd")
c.wait_msg()
check("PUBCOMP", b.sent[-1], b"\x70\x02\xab\xcd")
print("QoS 2", got)

# check_msg(): nothing waiting returns None at once; a retained message.
del got[:]
print("check_msg idle", c.check_msg(), got)
b.feed(b"\x31\x06\x00\x03s/0r")
c.check_msg()
print("check_msg", got)

# Two messages in one read, both delivered.
del got[:]
b.feed(b"\x30\x06\x00\x03s/0a\x30\x06\x00\x03s/0b")
c.wait_msg()
c.wait_msg()
print("two in one read", got)

# A binary topic payload with every byte value.
del got[:]
payload = bytes(range(256))
b.feed(b"\x30\x85\x02\x00\x03s/0" + payload)
c.wait_msg()
print("binary", got[0][0], got[0][1] == payload, len(got[0][1]))

# unsubscribe(): UNSUBSCRIBE bytes, returns after UNSUBACK.
del b.sent[:]
c.unsubscribe("s/0")
check("UNSUBSCRIBE", b.sent[-1], b"\xa2\x07\x00\x04\x00\x03s/0")
print("unread", len(b.out))

# A refused subscription raises MQTTException(0x80); the client goes on.
suback_code[0] = 0x80
try:
    c.subscribe("denied")
    print("refused: no exception")
except MQTTException as e:
    print("refused", hex(e.args[0]))
suback_code[0] = None
c.subscribe("s/again", 1)
c.publish("s/again", b"still fine")
check("after refusal", b.sent[-1], b"\x30\x13\x00\x07s/againstill fine")
c.disconnect()
print("done")
