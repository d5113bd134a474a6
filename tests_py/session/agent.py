# A MicroPython MQTT client driven line by line from stdin, for the session and
# fault tests (pytest drives it with mqtt_harness.Agent).
#
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, KEEPALIVE (0), RECONN (1),
#      VERSION (4), TIMEOUT (s, unset = default), CLEAN (1), PINGMAXNUM (0).
#
# Output, one line each (written whole, under a lock):
#   READY                           the client object exists
#   OK <cmd> [values] / ERR <cmd> <exception>   result of each command
#   MSG <topic> <len> <sha256 hex> <first 40 bytes hex>   each delivery
#   ERRCB <time.time()> <text>      each error_register_cb call
#   PKT <time.time()>               each wait_msg() return of the listener (PKT=1)
#   LERR <time.time()> <exception>  the listener's wait_msg() raised
#
# Commands (args separated by single spaces):
#   connect                  -> OK connect <session_present>
#   sub <topic> <qos>        unsub <topic>
#   pub <topic> <qos> <hex payload or - for empty>    -> OK pub <ms>
#   pubpat <topic> <qos> <n> <seed>    payload pattern_bytes(n, seed) (harness)
#   pubbg <tag> <topic> <qos> <hex>    publish in a new thread: OK pubbg <tag> at once, then
#                            OK pubbg <tag> <ms> / ERR pubbg <tag> <exception> when publish() returns
#   listen                   start the wait_msg() thread
#   waitloop                 call wait_msg() here until it raises -> RAISED <time.time()> <exception>
#   watchsta <from> <to> <ms>  poll get_mqttsta() until it is <to> -> OK watchsta <time.time()> / ERR
#   sta                      -> OK sta <get_mqttsta()>
#   sp                       -> OK sp <session_present>
#   ping  check  disconnect  close
#   count                    -> OK count <deliveries>
#   quit
import os
import sys
import time
import _thread
import hashlib
import binascii
from umqtt import MQTTClient

plock = _thread.allocate_lock()


def out(*parts):
    line = " ".join(str(p) for p in parts) + "\n"
    with plock:
        sys.stdout.write(line)


def env_int(name, default):
    v = os.getenv(name)
    return int(v) if v else default


kw = {}
if os.getenv("TIMEOUT"):
    kw["timeout"] = float(os.getenv("TIMEOUT"))
c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
               keepalive=env_int("KEEPALIVE", 0), reconn=bool(env_int("RECONN", 1)),
               version=env_int("VERSION", 4), pingmaxnum=env_int("PINGMAXNUM", 0), **kw)
CLEAN = bool(env_int("CLEAN", 1))
PKT = bool(env_int("PKT", 0))
st = {"n": 0, "listening": False, "run": True}


def hexs(b):
    return binascii.hexlify(b).decode()


def on_message(topic, msg):
    st["n"] += 1
    out("MSG", topic.decode(), len(msg), hexs(hashlib.sha256(msg).digest()), hexs(msg[:40]) or "-")


def on_error(text):
    out("ERRCB", time.time(), text)


c.set_callback(on_message)
c.error_register_cb(on_error)


def listener():
    while st["run"]:
        try:
            c.wait_msg()
            if PKT:
                out("PKT", time.time())
        except Exception as e:
            out("LERR", time.time(), repr(e))
            if not st["run"]:
                break
            time.sleep_ms(100)
    st["listening"] = False


def pattern_bytes(n, seed):
    b = bytearray(n)
    for i in range(n):
        b[i] = (i * 31 + 7 + seed) & 0xFF
    return b


def payload_of(h):
    return b"" if h == "-" else binascii.unhexlify(h)


def pub_bg(tag, topic, qos, data):
    t0 = time.ticks_ms()
    try:
        c.publish(topic, data, qos=qos)
        out("OK pubbg", tag, time.ticks_diff(time.ticks_ms(), t0))
    except Exception as e:
        out("ERR pubbg", tag, repr(e))


def run(cmd, a):
    if cmd == "connect":
        c.connect(clean_session=CLEAN)
        return c.session_present
    if cmd == "sub":
        c.subscribe(a[0], int(a[1]))
        return ""
    if cmd == "unsub":
        c.unsubscribe(a[0])
        return ""
    if cmd in ("pub", "pubpat"):
        data = payload_of(a[2]) if cmd == "pub" else pattern_bytes(int(a[2]), int(a[3]))
        t0 = time.ticks_ms()
        c.publish(a[0], data, qos=int(a[1]))
        return time.ticks_diff(time.ticks_ms(), t0)
    if cmd == "pubbg":
        _thread.start_new_thread(pub_bg, (a[0], a[1], int(a[2]), payload_of(a[3])))
        return a[0]
    if cmd == "listen":
        if not st["listening"]:
            st["listening"] = True
            _thread.start_new_thread(listener, ())
        return ""
    if cmd == "waitloop":
        while True:
            try:
                c.wait_msg()
                out("PKT", time.time())
            except Exception as e:
                out("RAISED", time.time(), repr(e))
                return ""
    if cmd == "watchsta":
        want, limit = int(a[1]), int(a[2])
        t0 = time.ticks_ms()
        while time.ticks_diff(time.ticks_ms(), t0) < limit:
            if c.get_mqttsta() == want:
                return time.time()
            time.sleep_ms(5)
        raise OSError("get_mqttsta() stayed %d" % c.get_mqttsta())
    if cmd == "sta":
        return c.get_mqttsta()
    if cmd == "sp":
        return c.session_present
    if cmd == "ping":
        c.ping()
        return ""
    if cmd == "check":
        c.check_msg()
        return ""
    if cmd == "disconnect":
        st["run"] = False
        c.disconnect()
        return ""
    if cmd == "close":
        c.close()
        return ""
    if cmd == "count":
        return st["n"]
    raise ValueError("unknown command " + cmd)


out("READY")
while True:
    line = sys.stdin.readline()
    if not line:
        break
    parts = line.strip().split(" ")
    cmd, args = parts[0], parts[1:]
    if cmd == "quit":
        break
    try:
        r = run(cmd, args)
        out("OK", cmd, r)
    except Exception as e:
        out("ERR", cmd, repr(e))
st["run"] = False
out("BYE")
