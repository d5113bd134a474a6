# Publishing allocates nothing on the MicroPython heap in steady state: with
# micropython.heap_lock() held (any allocation raises MemoryError), QoS 0, 1
# and 2 publishes of str/bytes topics, small and 1 KiB payloads, positional
# and keyword calls. The broker here is written to allocate nothing either:
# it checks each PUBLISH's first byte and length in place (publish.py checks
# every byte) and answers from preallocated state.
import gc
import io
import micropython
import sys
from umqtt import MQTTClient

N = 200


class QuietBroker(io.IOBase):
    def __init__(self):
        self.first = 0
        self.length = 0
        self.ok = 0
        self.bad = 0
        self.reply = 0          # 0x40 PUBACK, 0x50 PUBREC, 0x70 PUBCOMP, or 0
        self.hi = 0
        self.lo = 0
        self.connack = 0
        self.closed = False

    def write(self, buf):
        t = buf[0] >> 4
        if t == 1:
            self.connack = 1
        elif t == 3:
            qos = (buf[0] >> 1) & 3
            if qos:
                i = 2 if buf[1] < 0x80 else 3
                j = i + 2 + ((buf[i] << 8) | buf[i + 1])
                self.hi = buf[j]
                self.lo = buf[j + 1]
                self.reply = 0x40 if qos == 1 else 0x50
            if len(buf) == self.length and buf[0] == self.first:
                self.ok += 1
            else:
                self.bad += 1
        elif t == 6:
            self.reply = 0x70
        return len(buf)

    def readinto(self, buf):
        if self.connack:
            self.connack = 0
            buf[0] = 0x20
            buf[1] = 2
            buf[2] = 0
            buf[3] = 0
            return 4
        if not self.reply:
            return None
        buf[0] = self.reply
        buf[1] = 2
        buf[2] = self.hi
        buf[3] = self.lo
        self.reply = 0
        return 4

    def ioctl(self, req, arg):
        if req == 3:
            return arg & (5 if self.connack or self.reply else 4)
        if req == 4:
            self.closed = True
        return 0


b = QuietBroker()
c = MQTTClient("locked", "unused", keepalive=30, reconn=False, transport=lambda: b)
c.connect()

PAYLOADS = {"small": b"0123456789abcdef", "1k": bytes(range(256)) * 4}


def run_positional(pub, topic, payload, qos, n):
    i = 0
    while i < n:
        pub(topic, payload, False, qos)
        i += 1


def run_keyword(pub, topic, payload, qos, n):
    i = 0
    while i < n:
        pub(topic, payload, qos=qos)
        i += 1


def case(qos, tname, pname, fname, run):
    topic = "t/q%d/%s/%s" % (qos, tname, pname)
    if tname == "bytes":
        topic = topic.encode()
    payload = PAYLOADS[pname]
    n = len(topic) + 2 + len(payload) + (2 if qos else 0)
    b.first = 0x30 | (qos << 1)
    b.length = n + (3 if n > 127 else 2)
    pub = c.publish
    run(pub, topic, payload, qos, 20)       # warm-up: buffers reach their size
    b.ok = 0
    b.bad = 0
    err = None
    gc.collect()
    before = gc.mem_alloc()
    micropython.heap_lock()
    try:
        run(pub, topic, payload, qos, N)
    except Exception as e:
        err = e
    micropython.heap_unlock()
    after = gc.mem_alloc()
    label = "CASE %d %s %s %s" % (qos, tname, pname, fname)
    if err is None:
        print(label, "OK", after - before, "published", b.ok, "bad", b.bad)
    else:
        print(label, "RAISED", repr(err))
        sys.print_exception(err, sys.stdout)


# The lock works on this firmware: an allocation under it raises.
micropython.heap_lock()
try:
    bytearray(16)
    print("CONTROL NOT RAISED")
except MemoryError:
    print("CONTROL RAISED")
micropython.heap_unlock()

for qos in (0, 1, 2):
    for tname in ("str", "bytes"):
        for pname in ("small", "1k"):
            for fname, run in (("positional", run_positional), ("keyword", run_keyword)):
                case(qos, tname, pname, fname, run)
c.disconnect()
print("END", b.closed)
