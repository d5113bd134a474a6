# Long PUBLISHes from a scripted broker (transport=), read in small pieces of
# varying size, with exact bytes checked:
#   1. a chunked QoS 1 message cut in the middle: after the reconnect the
#      broker sends it again (DUP) and the chunks start again at offset 0;
#      one PUBACK, after the last chunk;
#   2. a QoS 2 message and its re-send before PUBREL: delivered once, its
#      copy's payload skipped, a PUBREC for each, the stream still in step;
#   3. a PUBLISH longer than max_packet with no chunk callback: the
#      connection is dropped (packet too large), as before;
#   4. a chunk callback that takes its buffer away in the middle: the
#      connection is dropped, and the re-send comes whole;
#   5. a PUBLISH longer than max_packet that arrives whole in one read:
#      refused all the same (decided from its fixed header, not by the
#      buffer); with a chunk callback set it is taken.
import io
from umqtt import MQTTClient


def publish(topic, payload, qos, pid, dup=False):
    var = bytes([len(topic) >> 8, len(topic) & 0xFF]) + topic
    if qos:
        var += bytes([pid >> 8, pid & 0xFF])
    n = len(var) + len(payload)
    length = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        length.append(b | (0x80 if n else 0))
        if not n:
            break
    return bytes([0x30 | (0x08 if dup else 0) | (qos << 1)]) + length + var + payload


class Stream(io.IOBase):
    # Reads come in pieces of 1, 7, 100, 1000 and 3000 bytes in turn; `cut`
    # ends the stream after that many bytes.
    SIZES = (1, 7, 100, 1000, 3000)

    def __init__(self, data, cut=None):
        self.data = bytearray(data)
        self.cut = cut
        self.given = 0
        self.sent = bytearray()
        self.i = 0

    def readinto(self, buf):
        if self.cut is not None and self.given >= self.cut or not self.data:
            return 0 if self.cut is not None else None
        n = min(len(buf), self.SIZES[self.i % 5], len(self.data))
        if self.cut is not None:
            n = min(n, self.cut - self.given)
        self.i += 1
        buf[:n] = self.data[:n]
        self.data = self.data[n:]
        self.given += n
        return n

    def write(self, buf):
        self.sent.extend(buf)
        return len(buf)

    def ioctl(self, req, arg):
        return 0


CONNACK = b"\x20\x02\x00\x00"
CONNACK_SESSION = b"\x20\x02\x01\x00"
big = bytes(range(256)) * 40                # 10,240 bytes
streams = []


def opener(*scripts):
    def open_next():
        s = Stream(*scripts[len(streams)])
        streams.append(s)
        return s
    return open_next


def hx(b):
    return "".join("%02x" % x for x in b)


# 1. Chunks, a cut, the re-send.
first = publish(b"t/big", big, 1, 5)
script1 = (CONNACK + first, len(CONNACK) + 5000)
script2 = (CONNACK_SESSION + publish(b"t/big", big, 1, 5, dup=True) + publish(b"t/s", b"ok", 0, 0),)
c = MQTTClient("c1", "unused", transport=opener(script1, script2), reconn=True, keepalive=0)
calls = []
c.set_callback(lambda t, m: calls.append(("msg", t, m)))
buf = bytearray(4096)
c.set_chunk_callback(lambda m, d, off, tot: calls.append(("chunk", m.topic, m.dup, off, len(d), bytes(d))), buf)
c.connect(clean_session=False)
while not any(x[0] == "msg" for x in calls):
    try:
        c.wait_msg()
    except OSError:
        pass
print("1 chunks", [(x[2], x[3], x[4]) for x in calls if x[0] == "chunk"])
resent = [x for x in calls if x[0] == "chunk" and x[2]]
print("1 whole", b"".join(x[5] for x in resent) == big)
print("1 puback first", hx(streams[0].sent[-4:]) if streams[0].sent[-4:-2] == b"\x40\x02" else "none")
print("1 puback second", hx(streams[1].sent[-4:]))
print("1 then", calls[-1][1], calls[-1][2])
c.close()

# 2. A QoS 2 message, its copy before PUBREL, then PUBREL and a QoS 0.
streams = []
q2 = publish(b"t/q2", big, 2, 9)
script = (CONNACK + q2 + publish(b"t/q2", big, 2, 9, dup=True) + b"\x62\x02\x00\x09"
          + publish(b"t/end", b"z", 0, 0),)
c = MQTTClient("c2", "unused", transport=opener(script), keepalive=0, reconn=False)
got = []
c.set_callback(lambda t, m: got.append((t, len(m), m == big if len(m) > 1 else m)))
c.connect()
while len(got) < 2:
    c.wait_msg()
print("2 got", got)
print("2 sent", hx(streams[0].sent[-12:]))
print("2 stats", c.stats()["duplicates_dropped"])
c.close()

# 3. Beyond max_packet with no chunk callback.
streams = []
c = MQTTClient("c3", "unused", transport=opener((CONNACK + publish(b"t/x", big, 0, 0),)), keepalive=0,
               max_packet=4096, reconn=False)
c.set_callback(lambda t, m: print("3 delivered?!"))
c.connect()
try:
    for _ in range(100):
        c.wait_msg()
    print("3 no error")
except Exception as e:
    print("3", type(e).__name__, e.args[0] if e.args else "")
# 4. The chunk callback takes its buffer away in the middle of a message:
#    the rest has nowhere to go, the connection drops (packet too large, no
#    PUBACK), and the broker's re-send reaches the ordinary callback.
streams = []
script1 = (CONNACK + publish(b"t/big", big, 1, 8),)
script2 = (CONNACK_SESSION + publish(b"t/big", big, 1, 8, dup=True),)
c = MQTTClient("c4", "unused", transport=opener(script1, script2), reconn=True, keepalive=0)
got = []
c.set_callback(lambda t, m: got.append((t, len(m), m == big)))
notes = []
c.error_register_cb(notes.append)


def take_away(m, d, off, tot):
    got.append(("chunk", off))
    c.set_chunk_callback(None, None)


c.set_chunk_callback(take_away, bytearray(4096))
c.connect(clean_session=False)
while len(got) < 2:
    try:
        c.wait_msg()
    except OSError:
        pass
print("4 got", got)
print("4 acks", [hx(s.sent[-4:]) if s.sent[-4:-2] == b"\x40\x02" else "none" for s in streams])
c.close()


# 5. 100 bytes against max_packet 64, all in the read that brings the CONNACK.
class WholeStream(Stream):
    SIZES = (4096,) * 5


for chunked in (False, True):
    s5 = WholeStream(CONNACK + publish(b"t/w", b"w" * 93, 0, 0))
    c = MQTTClient("c5", "unused", transport=lambda: s5, keepalive=0, max_packet=64, reconn=False)
    got = []
    c.set_callback(lambda t, m: got.append((t, len(m))))
    if chunked:
        c.set_chunk_callback(lambda m, d, off, tot: got.append(("chunk", off, tot)), bytearray(16))
    try:
        c.connect()                         # the message may come with the CONNACK
        c.check_msg()
        print("5", chunked, "got", got)
    except Exception as e:
        print("5", chunked, type(e).__name__, e.args[0] if e.args else "", got)
    c.close()
print("END")
