# A client closed within a tick of its connect() is collected by the next
# gc.collect(): its keep-alive thread, still in its first sleep, holds no
# copy of the client's address (it starts with its creator's registers,
# which held one: seen under AddressSanitizer).
# Measures one client's heap (made, not connected: its object and buffers),
# then connects and closes K clients over a stream that answers CONNACK,
# runs gc.collect() and prints "RETAINED <bytes> ONE <bytes> MS <elapsed>";
# the elapsed time must stay under the keep-alive thread's first tick
# (200 ms), or the threads have woken and forgotten the clients anyway.
# Env: K (clients, default 20).
import gc
import io
import os
import time
from umqtt import MQTTClient

K = int(os.getenv("K") or "20")


class Connack(io.IOBase):
    def __init__(self):
        self.data = bytearray(b"\x20\x02\x00\x00")

    def readinto(self, buf):
        n = min(len(buf), len(self.data))
        if not n:
            return None
        buf[:n] = self.data[:n]
        self.data = self.data[n:]
        return n

    def write(self, buf):
        return len(buf)

    def ioctl(self, req, arg):
        return 0


def one(i, keepalive):
    s = Connack()
    c = MQTTClient("soon-%d" % i, "unused", transport=lambda: s, keepalive=keepalive, reconn=False)
    c.connect()
    c.close()


def churn(depth=40):
    # Fresh frames over the stale slots connect() left deeper than here.
    if depth:
        return churn(depth - 1)
    return len([0] * 32)


one(-1, 0)                  # warm-up, without a thread: nothing of it is measured
churn()
gc.collect()
base = gc.mem_alloc()
c = MQTTClient("size", "unused", transport=Connack, keepalive=0)
gc.collect()
size = gc.mem_alloc() - base
c = None
churn()
gc.collect()
base = gc.mem_alloc()
t0 = time.ticks_ms()
for i in range(K):
    one(i, 60)
churn()
gc.collect()
ms = time.ticks_diff(time.ticks_ms(), t0)
print("RETAINED", gc.mem_alloc() - base, "ONE", size, "MS", ms)
