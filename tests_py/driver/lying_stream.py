# Defect 7: a transport= stream that reports more bytes than it moved must
# not corrupt the interpreter: each call that meets the lie raises (OSError or
# MQTTException: a lost connection), and the interpreter runs on.
# MODE: read_plus100 / read_huge (readinto() reports len(buf)+100 / 10**6),
#       write_plus100 / write_huge (write() reports len(buf)+100 / 10**6).
# Steps (reconn=False, every connection through linkstream.LinkStream):
#   CONNECT   connect() with the stream lying from its first byte
#   PUBLISH   honest connect(), subscribe to T (QoS 0), then with the lie on
#             publish(T, qos=1) (write modes: the PUBLISH; read modes: the
#             message coming back and the PUBACK)
#   WAIT_MSG  (read modes) honest connect(), subscribe, publish a QoS 0 message
#             to T, then with the lie on wait_msg()
#   PING      (write modes) honest connect(), then with the lie on ping()
# Each prints "<step> <outcome>" (OK, or the exception type). Then
# OVERSIZE <lengths of buffers beyond linkstream.MAX_BUF handed to the stream>
# (each refused there with OSError(EIO), untouched), then 40 rounds
# of allocating about 200 KiB and gc.collect() (8 MB through a 2 MB heap),
# ALIVE, END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, MODE.
import gc
import os
import time
from umqtt import MQTTClient, MQTTException
from linkstream import LinkStream, new_ctl

HOST = os.getenv("MQTT_HOST")
PORT = int(os.getenv("MQTT_PORT"))
T = os.getenv("MQTT_TOPIC")
MODE = os.getenv("MODE")
EXTRA = 100 if MODE.endswith("plus100") else None


def lie(n, buf_len):
    return buf_len + 100 if EXTRA else 10 ** 6


ctl = new_ctl()


def lie_on():
    ctl["read_lie" if MODE.startswith("read") else "write_lie"] = lie


def lie_off():
    ctl["read_lie"] = ctl["write_lie"] = None


def step(name, fn):
    lie_on()
    try:
        fn()
        out = "OK"
    except (OSError, MQTTException) as e:
        out = type(e).__name__
    except Exception as e:
        out = "OTHER %s %r" % (type(e).__name__, e.args)
    lie_off()
    print(name, out)


def honest_setup(c):
    lie_off()
    try:
        c.connect()
        c.set_callback(lambda t, m: None)
        c.subscribe(T, 0)
        return True
    except Exception as e:
        print("SETUP_FAILED", type(e).__name__, e.args)
        return False


c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), "unused-host", reconn=False, keepalive=0, timeout=3,
               transport=lambda: LinkStream(HOST, PORT, ctl))
step("CONNECT", c.connect)
if honest_setup(c):
    step("PUBLISH", lambda: c.publish(T, b"p" * 20, qos=1))
if MODE.startswith("read"):
    if honest_setup(c):
        c.publish(T, b"w" * 20, qos=0)
        time.sleep_ms(200)
        step("WAIT_MSG", c.wait_msg)
else:
    if honest_setup(c):
        step("PING", c.ping)
try:
    c.close()
except Exception as e:
    print("CLOSE", type(e).__name__)
c = None
print("OVERSIZE", ctl["oversize"])
for i in range(40):
    junk = [bytearray(1024) for _ in range(200)]
    junk = {str(k): bytes(k % 256 for _ in range(8)) for k in range(100)}
    junk = None
    gc.collect()
print("ALIVE")
print("END")
