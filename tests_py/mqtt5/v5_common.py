# Shared by the MQTT 5 test scripts (run on the firmware).
import io
import os
import time

HOST = os.getenv("MQTT_HOST")
PORT = int(os.getenv("MQTT_PORT") or "0")
CID = os.getenv("MQTT_CLIENT_ID")
T = os.getenv("MQTT_TOPIC")


def items(d):
    # A dict as a sorted list of (key, value): the same text on both sides.
    return sorted(d.items())


def pump(c, cond, ms):
    # check_msg() until cond() is true or ms passed; returns cond().
    t0 = time.ticks_ms()
    while not cond() and time.ticks_diff(time.ticks_ms(), t0) < ms:
        c.check_msg()
        time.sleep_ms(5)
    return cond()


def err(e):
    # An exception as "<type> <args[0]> <text>".
    return "{} {} {}".format(type(e).__name__, e.args[0] if e.args else None, e)


class Script(io.IOBase):
    # A scripted broker for transport=: reads come from `data` in pieces of
    # 1, 7, 100 and 1000 bytes in turn, then end of stream; writes are kept
    # in `sent`.
    SIZES = (1, 7, 100, 1000)

    def __init__(self, data):
        self.data = bytearray(data)
        self.sent = bytearray()
        self.i = 0

    def readinto(self, buf):
        if not self.data:
            return 0
        n = min(len(buf), self.SIZES[self.i % 4], len(self.data))
        self.i += 1
        buf[:n] = self.data[:n]
        self.data = self.data[n:]
        return n

    def write(self, buf):
        self.sent.extend(buf)
        return len(buf)

    def ioctl(self, req, arg):
        return 0

    def close(self):
        pass


def opener(data, made):
    # transport= factory: one Script per connection, appended to `made`.
    def open_next():
        s = Script(data)
        made.append(s)
        return s
    return open_next


def hx(b):
    return "".join("%02x" % x for x in b)
