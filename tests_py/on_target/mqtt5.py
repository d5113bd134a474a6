# MQTT 5 (version=5) against the scripted broker, with exact bytes: CONNECT
# with properties (and our max_packet advertised), the CONNACK's properties,
# a server-assigned client id, PUBLISH with properties and an outgoing topic
# alias, incoming properties and aliases, subscription options, and reason
# codes: a refused CONNACK, a PUBACK and a SUBACK with a failure code, the
# broker's DISCONNECT. No threads, no network.
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

CONNACK = b"\x20\x09\x00\x00\x06\x21\x00\x02\x22\x00\x02"   # Receive Maximum 2, Topic Alias Maximum 2


def on_packet(b, pkt):
    t = pkt[0] >> 4
    if t == 1:                                   # CONNECT
        b.feed(b.connack)
    elif t == 3 and pkt[0] & 0x06:               # PUBLISH QoS 1: PUBACK, "no" refused
        code = b"\x87" if pkt.endswith(b"no") else b""
        b.feed(bytes([0x40, 2 + len(code)]) + publish_id(pkt) + code)
    elif t == 8:                                 # SUBSCRIBE: SUBACK, "deny" refused
        code = b"\x87" if b"deny" in pkt else b"\x01"
        b.feed(b"\x90\x04" + pkt[2:4] + b"\x00" + code)
    elif t == 10:                                # UNSUBSCRIBE: UNSUBACK, "deny" refused
        code = b"\x87" if b"deny" in pkt else b"\x00"
        b.feed(b"\xb0\x04" + pkt[2:4] + b"\x00" + code)


def broker(connack=CONNACK):
    b = Broker(on_packet)
    b.connack = connack
    return b


def show(m):
    print("message", m.topic, m.payload, sorted(m.properties.items()))


b = broker()
c = MQTTClient("v5", "unused", version=5, reconn=False, transport=lambda: b)
c.set_callback(show, message=True)
c.connect(properties={"topic_alias_maximum": 2})
# The driver puts our Maximum Packet Size (131072) before the script's properties.
check("CONNECT", b.sent[0], b"\x10\x17\x00\x04MQTT\x05\x02\x00\x00\x08\x27\x00\x02\x00\x00\x22\x00\x02\x00\x02v5")
print("connack_properties", sorted(c.connack_properties.items()))
del b.sent[:]

c.publish("a/b", b"hi", qos=1, properties={"content_type": "t"})
check("PUBLISH alias set", b.sent[0], b"\x32\x11\x00\x03a/b\x00\x01\x07\x23\x00\x01\x03\x00\x01thi")
c.publish("a/b", b"x")
check("PUBLISH alias used", b.sent[1], b"\x30\x07\x00\x00\x03\x23\x00\x01x")
c.publish("a/b", b"y", False, 0, {"content_type": "t"})    # all positional
check("PUBLISH positional properties", b.sent[2], b"\x30\x0b\x00\x00\x07\x23\x00\x01\x03\x00\x01ty")
try:
    c.publish("a/b", b"no", qos=1)
    print("refused PUBACK: returned")
except MQTTException as e:
    print("refused PUBACK:", e.args)

del b.sent[:]
c.subscribe("s/#", 1, no_local=True, subscription_identifier=5)
pid = b.sent[0][2:4]
check("SUBSCRIBE options", b.sent[0], b"\x82\x0b" + pid + b"\x02\x0b\x05\x00\x03s/#\x05")
try:
    c.subscribe("deny", 0)
    print("refused SUBACK: returned")
except MQTTException as e:
    print("refused SUBACK:", e.args)
c.unsubscribe("s/#")
try:
    c.unsubscribe("deny")
    print("refused UNSUBACK: returned")
except MQTTException as e:
    print("refused UNSUBACK:", e.args)

# Incoming: properties, an alias set and then used, a subscription identifier.
b.feed(b"\x30\x13\x00\x04in/x\x0a\x23\x00\x01\x26\x00\x01k\x00\x01vp1")
c.wait_msg()
b.feed(b"\x30\x0a\x00\x00\x05\x23\x00\x01\x0b\x05p2")
c.wait_msg()

# A QoS 2 message, then the broker's duplicate of it (not delivered again)
# naming another topic under alias 2, then a message using alias 2 alone:
# it carries the duplicate's topic.
b.feed(b"\x34\x09\x00\x03q/2\x00\x09\x00p")
c.wait_msg()
b.feed(b"\x3c\x12\x00\x09dup/topic\x00\x09\x03\x23\x00\x02p" + b"\x30\x08\x00\x00\x03\x23\x00\x02p3")
c.wait_msg()

# The broker's DISCONNECT (Session taken over): the next wait raises its code.
b.feed(b"\xe0\x01\x8e")
try:
    c.wait_msg()
    print("DISCONNECT: returned")
except MQTTException as e:
    print("DISCONNECT:", e.args)

# A server-assigned client id; a refused CONNACK's reason code.
b2 = broker(b"\x20\x0b\x00\x00\x08\x12\x00\x05srv-1")
c2 = MQTTClient("", "unused", version=5, reconn=False, transport=lambda: b2)
c2.connect()
print("assigned", c2.client_id)
b3 = broker(b"\x20\x03\x00\x86\x00")
c3 = MQTTClient("c3", "unused", version=5, reconn=False, transport=lambda: b3)
try:
    c3.connect()
    print("refused CONNACK: connected")
except MQTTException as e:
    print("refused CONNACK:", e.args)

# Packets other than PUBLISH longer than the receive buffer keeps (MQTT 5's
# properties can make any packet long), arriving in parts: a CONNACK and a
# PUBACK with a 3,000-byte Reason String are handled whole, once.
def varint(n):
    out = bytearray()
    while True:
        d, n = n & 0x7F, n >> 7
        out.append(d | (0x80 if n else 0))
        if not n:
            return bytes(out)


LONG = b"r" * 3000
props = b"\x1f" + len(LONG).to_bytes(2, "big") + LONG
b4 = broker(b"\x20" + varint(2 + len(varint(len(props))) + len(props)) + b"\x00\x00" + varint(len(props)) + props)


def long_puback(b, pkt):
    if pkt[0] >> 4 == 3:
        rest = publish_id(pkt) + b"\x10" + varint(len(props)) + props
        b.feed(b"\x40" + varint(len(rest)) + rest)
    else:
        on_packet(b, pkt)


b4.on_packet = long_puback
b4.chunk = 1000                                  # arriving in parts: read from the head
c4 = MQTTClient("c4", "unused", version=5, reconn=False, transport=lambda: b4)
c4.connect()
print("long CONNACK reason_string", len(c4.connack_properties["reason_string"]))
print("long PUBACK", c4.publish("l", b"x", qos=1), c4.get_mqttsta())
print("done")
