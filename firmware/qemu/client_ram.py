# RAM of one MQTTClient on the target (run by tools/size-arm.py through
# MicroPython's pyboard.py): GC heap bytes taken by the object itself, by its
# first connect() (receive/transmit buffers), and after a subscription, a
# steady stream of QoS 1 publishes and a received message (buffers at their
# working size). Measured for an MQTT 3.1.1 client (line "RAM object ...")
# and, when the firmware has MQTT 5 (MQTTClient(..., version=5) raises
# ValueError without it: then no line), for an MQTT 5 one ("RAM5 object ...").
# The scripted broker answers each packet the client writes (one packet per
# write) in the client's protocol version. Each version is measured after one
# unmeasured run of the same steps: the first client in a fresh interpreter
# leaves 16 bytes on the heap for good that later clients do not (seen on
# both boards), and its "working" figure came out 16-32 bytes higher than
# every later run's; neither is the client's own state.
import gc
import io
from umqtt import MQTTClient


class Stream(io.IOBase):
    def __init__(self, v5):
        self.v5 = v5
        self.out = bytearray(64)
        self.n = 0

    def feed(self, pkt):
        k = len(pkt)
        self.out[self.n:self.n + k] = pkt
        self.n += k

    def write(self, buf):
        t = buf[0] >> 4
        v5 = self.v5
        if t == 1:
            # CONNACK: session present 0, return/reason code 0; MQTT 5 adds
            # an empty property block.
            self.feed(b"\x20\x03\x00\x00\x00" if v5 else b"\x20\x02\x00\x00")
        elif t == 3 and buf[0] & 6:
            # PUBACK for a QoS 1 PUBLISH (one-byte remaining length; the
            # packet id follows the topic in both versions). MQTT 5: reason
            # code 0 (Success) and an empty property block (3.4.2).
            i = 2 + ((buf[2] << 8) | buf[3]) + 2
            self.feed((b"\x40\x04" if v5 else b"\x40\x02") + bytes(buf[i:i + 2])
                      + (b"\x00\x00" if v5 else b""))
        elif t == 8:
            # SUBACK granting QoS 0 (MQTT 5: an empty property block first).
            self.feed(b"\x90" + (b"\x04" if v5 else b"\x03") + bytes(buf[2:4])
                      + (b"\x00\x00" if v5 else b"\x00"))
        return len(buf)

    def readinto(self, buf):
        n = self.n
        if not n:
            return None
        k = min(n, len(buf))
        buf[:k] = self.out[:k]
        self.out[0:n - k] = self.out[k:n]
        self.n = n - k
        return k

    def ioctl(self, req, arg):
        return 0


# A QoS 0 PUBLISH on s/t (payload "21.5"); MQTT 5: an empty property block
# after the topic.
MSG = b"\x30\x09\x00\x03s/t21.5"
MSG5 = b"\x30\x0a\x00\x03s/t\x0021.5"
got = [0]


def cb(t, m):
    got[0] += 1


def measure(version):
    s = Stream(version == 5)

    def transport():
        return s

    gc.collect()
    a0 = gc.mem_alloc()
    try:
        c = MQTTClient("dev-0001", "unused", keepalive=60, transport=transport, version=version)
    except ValueError:
        return None     # no MQTT 5 in this firmware
    gc.collect()
    a1 = gc.mem_alloc()
    c.set_callback(cb)
    c.connect()
    gc.collect()
    a2 = gc.mem_alloc()
    c.subscribe("s/t", 0)
    for i in range(20):
        c.publish("sensors/device-0001/temperature", b"21.5", qos=1)
    n = got[0]
    s.feed(MSG5 if version == 5 else MSG)
    c.wait_msg()
    if got[0] != n + 1:
        raise RuntimeError("no message arrived")
    gc.collect()
    a3 = gc.mem_alloc()
    c.disconnect()
    return a1 - a0, a2 - a0, a3 - a0


measure(4)              # warm-up, not reported
gc.collect()
r = measure(4)
print("RAM object", r[0], "connected", r[1], "working", r[2])
gc.collect()
if measure(5):          # warm-up; None without MQTT 5
    gc.collect()
    r = measure(5)
    print("RAM5 object", r[0], "connected", r[1], "working", r[2])
