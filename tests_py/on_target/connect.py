# connect(): the CONNECT bytes, CONNACK accepted and refused, disconnect().
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

CONNACK_OK = b"\x20\x02\x00\x00"


def replying(connack):
    def on_packet(b, pkt):
        if pkt[0] == 0x10:
            b.feed(connack)
    return on_packet


brokers = []


def transport(connack):
    def make():
        b = Broker(replying(connack))
        brokers.append(b)
        return b
    return make


# Accepted: MQTT 3.1.1, clean session, keepalive 60, no credentials.
c = MQTTClient("dev-1", "unused", keepalive=60, transport=transport(CONNACK_OK))
print("connect", c.connect())
print("sta", c.get_mqttsta(), "session_present", c.session_present)
b = brokers[-1]
check("CONNECT", b.sent[0], b"\x10\x11\x00\x04MQTT\x04\x02\x00\x3c\x00\x05dev-1")
c.disconnect()
check("DISCONNECT", b.sent[1], b"\xe0\x00")
print("closed", b.closed, "packets", len(b.sent), "sta", c.get_mqttsta())

# Credentials, a will, a persistent session, MQTT 3.1.
c = MQTTClient(b"dev-2", "unused", user="u", password=b"pw", keepalive=0, version=3,
               transport=transport(CONNACK_OK))
c.set_last_will("w/t", "gone", retain=True, qos=1)
print("connect", c.connect(clean_session=False))
check("CONNECT 3.1", brokers[-1].sent[0],
      b"\x10\x25\x00\x06MQIsdp\x03\xec\x00\x00\x00\x05dev-2\x00\x03w/t\x00\x04gone\x00\x01u\x00\x02pw")
c.disconnect()

# Session present.
c = MQTTClient("dev-3", "unused", transport=transport(b"\x20\x02\x01\x00"))
print("connect", c.connect(clean_session=False), "session_present", c.session_present)
c.disconnect()

# Refused: every CONNACK return code raises MQTTException(code), the
# transport is closed, and the same client object connects afterwards.
answer = [b""]


def next_broker():
    b = Broker(replying(answer[0]))
    brokers.append(b)
    return b


c = MQTTClient("dev-4", "unused", reconn=False, transport=next_broker)
for code in (1, 2, 3, 4, 5):
    answer[0] = bytes((0x20, 2, 0, code))
    try:
        c.connect()
        print("refused", code, "no exception")
    except MQTTException as e:
        print("refused", code, "MQTTException", e.args[0], "closed", brokers[-1].closed,
              "sta", c.get_mqttsta())
answer[0] = CONNACK_OK
print("again", c.connect(), "sta", c.get_mqttsta())
c.publish("t", "ok")
check("PUBLISH after refusals", brokers[-1].sent[1], b"\x30\x05\x00\x01tok")
c.disconnect()
print("done")
