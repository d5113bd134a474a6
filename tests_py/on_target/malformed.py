# Malformed or hostile broker bytes: a clear exception (MQTTException for bad
# bytes, OSError for a silent or vanished broker), the interpreter alive, and
# the same client object connecting again through a broker that behaves.
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

import gc
from umqtt import MQTTClient, MQTTException

CONNACK_OK = b"\x20\x02\x00\x00"
CLOSE = "close"

# case: (bytes after CONNECT, or CLOSE; reply to the first PUBLISH; expected)
CASES = (
    ("connack_short", b"\x20\x00", None, "MQTTException"),
    ("connack_bad_code", b"\x20\x02\x00\x07", None, "MQTTException"),
    ("connack_garbage", b"\xff\xff\xff\xff\xff", None, "MQTTException"),
    ("connack_never", b"", None, "OSError"),
    ("close_before_connack", CLOSE, None, "OSError"),
    ("puback_short", CONNACK_OK, b"\x40\x00", "MQTTException"),
    ("publish_length_5_bytes", CONNACK_OK + b"\x30\xff\xff\xff\xff\x01", None, "MQTTException"),
    ("publish_topic_overrun", CONNACK_OK + b"\x30\x04\x00\x10ab", None, "MQTTException"),
    ("publish_qos1_no_id", CONNACK_OK + b"\x32\x02\x00\x00", None, "MQTTException"),
    ("publish_qos3", CONNACK_OK + b"\x36\x05\x00\x01a\x00\x01", None, "MQTTException"),
    ("suback_unsolicited_short", CONNACK_OK + b"\x90\x02\x00\x01", None, "MQTTException"),
    ("server_sends_connect", CONNACK_OK + b"\x10\x02\x00\x00", None, "MQTTException"),
    ("publish_too_large", CONNACK_OK + b"\x30\xff\xff\xff\x7f", None, "MQTTException"),
    ("pingresp_long", CONNACK_OK + b"\xd0\x01\x00", None, "MQTTException"),
    ("server_closes", CONNACK_OK + b"close", None, "OSError"),
)


def hostile(first, publish_reply):
    def on_packet(b, pkt):
        t = pkt[0] >> 4
        if t == 1:
            if first is CLOSE:
                b.eof = True
            elif isinstance(first, tuple):
                b.feed(first[0])
                b.eof = True
            else:
                b.feed(first)
        elif t == 3 and publish_reply is not None:
            b.feed(publish_reply)
    return Broker(on_packet)


def good():
    def on_packet(b, pkt):
        t = pkt[0] >> 4
        if t == 1:
            b.feed(CONNACK_OK)
        elif t == 3 and pkt[0] & 0x06 == 2:
            b.feed(b"\x40\x02" + publish_id(pkt))
    return Broker(on_packet)


for name, first, publish_reply, expected in CASES:
    if first is not CLOSE and first.endswith(b"close"):            # the bytes, then end of stream
        first = (first[:-5],)
    brokers = [hostile(first, publish_reply), good()]
    used = []

    def transport():
        used.append(brokers[len(used)])
        return used[-1]

    c = MQTTClient("hostile", "unused", timeout=1, reconn=False, transport=transport)
    try:
        c.connect()
        if name == "puback_short":
            c.publish("t", "x", qos=1)
        else:
            c.wait_msg()
        result = "none"
    except MQTTException:
        result = "MQTTException"
    except OSError:
        result = "OSError"
    sta = c.get_mqttsta()
    closed = used[0].closed
    again = c.connect()
    c.publish("t/ok", "fine", qos=1)
    c.disconnect()
    second = [hx(p[:1]) for p in used[1].sent]
    print(name, result, "ok" if result == expected else "BAD", "sta", sta, "closed", closed,
          "again", again, second)
    gc.collect()


# A transport whose read raises: a lost connection (OSError), not a crash.
class Raising(Broker):
    def readinto(self, buf):
        if self.out:
            raise ValueError("link dropped")
        return None


def raising():
    def on_packet(b, pkt):
        if pkt[0] >> 4 == 1:
            b.feed(CONNACK_OK)
    return Raising(on_packet)


c = MQTTClient("hostile", "unused", timeout=1, reconn=False, transport=raising)
try:
    c.connect()
    print("raising stream: connected")
except OSError:
    print("raising stream: OSError", "sta", c.get_mqttsta())
print("alive", gc.mem_free() > 0)
