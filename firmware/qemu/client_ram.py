# RAM of one MQTTClient on the target (run by tools/size-arm.py through
# MicroPython's pyboard.py): GC heap bytes taken by the object itself, by its
# first connect() (receive/transmit buffers), and after a steady stream of
# QoS 1 publishes and a received message (buffers at their working size).
import gc
import io
from umqtt import MQTTClient


class Stream(io.IOBase):
    def __init__(self):
        self.out = bytearray(8)
        self.n = 0

    def write(self, buf):
        t = buf[0] >> 4
        if t == 1:
            self.out[0:4] = b"\x20\x02\x00\x00"
            self.n = 4
        elif t == 3 and buf[0] & 6:
            i = 2 + ((buf[2] << 8) | buf[3]) + 2
            self.out[0:4] = b"\x40\x02" + bytes(buf[i:i + 2])
            self.n = 4
        elif t == 8:
            self.out[0:5] = b"\x90\x03" + bytes(buf[2:4]) + b"\x00"
            self.n = 5
        return len(buf)

    def readinto(self, buf):
        if not self.n:
            return None
        n = self.n
        buf[:n] = self.out[:n]
        self.n = 0
        return n

    def ioctl(self, req, arg):
        return 0


s = Stream()
got = []


def cb(t, m):
    got.append(len(m))


def transport():
    return s


gc.collect()
a0 = gc.mem_alloc()
c = MQTTClient("dev-0001", "unused", keepalive=60, transport=transport)
gc.collect()
a1 = gc.mem_alloc()
c.set_callback(cb)
c.connect()
gc.collect()
a2 = gc.mem_alloc()
c.subscribe("s/t", 0)
for i in range(20):
    c.publish("sensors/device-0001/temperature", b"21.5", qos=1)
gc.collect()
a3 = gc.mem_alloc()
print("RAM object", a1 - a0, "connected", a2 - a0, "working", a3 - a0)
c.disconnect()
