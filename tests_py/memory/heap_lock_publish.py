# Steady-state publishing allocates nothing on the MicroPython heap.
#
# For each (qos, topic type, call form): warm up, then publish N_PUB times
# with micropython.heap_lock() held around the loop (any allocation raises
# MemoryError), and compare gc.mem_alloc() before and after.
# Prints one line per case:
#   CASE <qos> <topic type> <form> OK <alloc delta>
#   CASE <qos> <topic type> <form> RAISED <exception repr>   (+ traceback)
# then END. First a control line, CONTROL RAISED: an allocation under the
# lock does raise on this firmware.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, N_PUB (default 200),
# MQTT_VERSION (default 4; 5: with the broker's topic aliases in use).
import gc
import micropython
import os
import sys
from umqtt import MQTTClient

N = int(os.getenv("N_PUB") or "200")
T = os.getenv("MQTT_TOPIC")
PAYLOADS = {
    "small": b"0123456789abcdef",
    "1k": bytes(range(256)) * 4,
}

c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=30,
               version=int(os.getenv("MQTT_VERSION") or "4"))
c.connect()


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


FORMS = (("positional", run_positional), ("keyword", run_keyword))


def case(qos, tname, pname, fname, run):
    # A function, so that nothing here creates a global (a dict slot) while
    # the allocation is counted.
    topic = "%s/q%d/%s/%s" % (T, qos, tname, pname)
    if tname == "bytes":
        topic = topic.encode()
    payload = PAYLOADS[pname]
    pub = c.publish
    run(pub, topic, payload, qos, 20)       # warm-up: buffers reach their size
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
        print(label, "OK", after - before)
    else:
        print(label, "RAISED", repr(err))
        sys.print_exception(err, sys.stdout)


def control():
    # The lock works on this firmware: an allocation under it raises.
    micropython.heap_lock()
    try:
        bytearray(16)
        print("CONTROL NOT RAISED")
    except MemoryError:
        print("CONTROL RAISED")
    micropython.heap_unlock()


control()
for qos in (0, 1):
    for tname in ("str", "bytes"):
        for pname in ("small", "1k"):
            for fname, run in FORMS:
                case(qos, tname, pname, fname, run)
c.disconnect()
print("END")
