# Fuzz target (c) of issue 14: the whole shim, through transport=, against
# random broker streams on the unix firmware. Each iteration makes a client
# whose transport is a Hostile stream: it answers with a random mix of
# well-formed broker packets (CONNACK, PUBLISH at QoS 0/1/2, acknowledgements
# with random ids, SUBACK, UNSUBACK, PINGRESP), truncated packets and
# garbage, in random read sizes, with EAGAIN gaps, end of stream, errors and
# byte counts that lie (more than the buffer holds, more than it was given).
# The client is then driven with random commands. Allowed outcomes: a
# result, OSError, MQTTException, ValueError, AssertionError (subscribe with
# no callback is not exercised). Anything else is printed as UNEXPECTED; a
# crash ends the process (the test sees the exit code).
# Prints "ITER <n> UNEXPECTED <k> HEAP <bytes after gc.collect()>" every
# 200 iterations and "DONE <n> <k> <seconds>" at the end.
# Env: FUZZ_SEED, FUZZ_SECONDS.
import gc
import io
import os
import random
import time
from umqtt import MQTTClient, MQTTException

SEED = int(os.getenv("FUZZ_SEED") or "1")
SECONDS = float(os.getenv("FUZZ_SECONDS") or "10")
random.seed(SEED)
r = random.getrandbits


def rnd(n):
    return r(16) % n if n > 0 else 0


def varlen(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(kind):
    pid = bytes([rnd(3), rnd(8)]) if rnd(4) else bytes([r(8), r(8)])
    if kind == 0:
        return b"\x20\x02" + bytes([rnd(2), rnd(7) if rnd(4) == 0 else 0])   # CONNACK, sometimes refused
    if kind == 1:
        qos = rnd(3)
        topic = b"t/" + bytes(97 + rnd(26) for _ in range(rnd(12)))
        body = len(topic).to_bytes(2, "big") + topic + (pid if qos else b"") + bytes(r(8) for _ in range(rnd(40)))
        return bytes([0x30 | (qos << 1) | rnd(2) | (8 if rnd(4) == 0 else 0)]) + varlen(len(body)) + body
    if kind in (2, 3, 4, 5):
        return bytes([(0x40, 0x50, 0x62, 0x70)[kind - 2], 2]) + pid
    if kind == 6:
        codes = bytes((0, 1, 2, 0x80)[rnd(4)] for _ in range(1 + rnd(3)))
        return b"\x90" + varlen(2 + len(codes)) + pid + codes
    if kind == 7:
        return b"\xb0\x02" + pid
    if kind == 8:
        return b"\xd0\x00"
    if kind == 9:
        return bytes(r(8) for _ in range(1 + rnd(8)))                      # garbage
    p = packet(rnd(9))
    return p[:rnd(len(p))]                                                 # truncated


class Hostile(io.IOBase):
    def __init__(self):
        self.data = bytearray(packet(0) if rnd(8) else packet(9))
        for _ in range(rnd(30)):
            self.data += packet(1 + rnd(10))

    def readinto(self, buf):
        roll = rnd(100)
        if roll < 15:
            return None                                  # EAGAIN
        if roll < 17:
            raise OSError(104)
        if roll < 19:
            return len(buf) + 1 + rnd(100)               # a lie: more than the buffer
        if not self.data:
            return 0 if rnd(4) == 0 else None            # end of stream, or quiet
        n = min(len(buf), len(self.data), 1 + rnd(64))
        buf[:n] = self.data[:n]
        self.data = self.data[n:]
        return n

    def write(self, buf):
        roll = rnd(100)
        if roll < 5:
            return None
        if roll < 7:
            raise OSError(32)
        if roll < 9:
            return len(buf) + 1 + rnd(10)                # a lie: more than it was given
        if roll < 15 and len(buf) > 1:
            return 1 + rnd(len(buf) - 1)                 # a short write
        return len(buf)

    def ioctl(self, req, arg):
        return 0


ALLOWED = (OSError, MQTTException, ValueError, AssertionError)
got = []
n = unexpected = 0
t0 = time.ticks_ms()
while time.ticks_diff(time.ticks_ms(), t0) < SECONDS * 1000:
    stream = Hostile()
    c = MQTTClient("fz%d" % n, "fuzz", transport=lambda: stream, reconn=False, timeout=0.05,
                   keepalive=rnd(3), max_inflight=1 + rnd(16), max_packet=64 + rnd(512))
    c.set_callback(lambda *a: got.append(len(a)), message=bool(rnd(2)))
    for step in range(1 + rnd(8)):
        op = rnd(6) if step else 0
        try:
            if op == 0:
                c.connect(clean_session=bool(rnd(2)))
            elif op == 1:
                c.publish("p/%d" % rnd(4), bytes(rnd(50)), qos=rnd(3), retain=bool(rnd(2)))
            elif op == 2:
                c.subscribe("s/#", rnd(3))
            elif op == 3:
                c.unsubscribe("s/#")
            elif op == 4:
                c.check_msg()
            else:
                c.ping()
        except ALLOWED:
            pass
        except Exception as e:
            unexpected += 1
            print("UNEXPECTED", n, op, repr(e))
    c.close()
    n += 1
    if len(got) > 1000:
        got = []
    if n % 200 == 0:
        gc.collect()
        print("ITER", n, "UNEXPECTED", unexpected, "HEAP", gc.mem_alloc())
print("DONE", n, unexpected, time.ticks_diff(time.ticks_ms(), t0) // 1000)
