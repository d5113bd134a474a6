# Defect 9: a full in-flight window makes publish() wait for a free slot
# (bounded by timeout) instead of raising. N_THREADS _threads each publish
# PER_THREAD QoS 1 messages "t<k>:<i>" to MQTT_TOPIC on one client
# (max_inflight=16, the default; timeout=10). Prints
#   DONE <threads finished> <calls that raised> <ms>
#   ERR <repr>            (the first few exceptions)
#   UNSENT <payload>      (each message whose publish() raised: not accepted)
#   INFLIGHT <n>          (publish() returned False: accepted, re-sent after a reconnect)
# then END. With SETTLE_MS the client pumps that long before disconnecting,
# so messages still in flight after connection cuts are re-sent.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, N_THREADS, PER_THREAD.
import os
import time
import _thread
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
N_THREADS = int(os.getenv("N_THREADS"))
PER = int(os.getenv("PER_THREAD"))
c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
               keepalive=30, timeout=float(os.getenv("TIMEOUT", "10")))
c.connect()
lock = _thread.allocate_lock()
st = {"done": 0, "errors": 0, "first": [], "unsent": [], "false": 0}


def worker(k):
    errors = 0
    first = []
    unsent = []
    false = 0
    for i in range(PER):
        payload = "t%02d:%03d" % (k, i)
        try:
            if c.publish(T, payload, qos=1) is False:
                false += 1
        except Exception as e:
            errors += 1
            unsent.append(payload)
            if len(first) < 3:
                first.append(repr(e))
    with lock:
        st["errors"] += errors
        st["first"].extend(first)
        st["unsent"].extend(unsent)
        st["false"] += false
        st["done"] += 1


t0 = time.ticks_ms()
for k in range(N_THREADS):
    _thread.start_new_thread(worker, (k,))
while st["done"] < N_THREADS and time.ticks_diff(time.ticks_ms(), t0) < 60000:
    time.sleep_ms(20)
print("DONE", st["done"], st["errors"], time.ticks_diff(time.ticks_ms(), t0))
for e in st["first"][:5]:
    print("ERR", e)
for p in st["unsent"]:
    print("UNSENT", p)
print("INFLIGHT", st["false"])
settle = int(os.getenv("SETTLE_MS", "0"))
t0 = time.ticks_ms()
while time.ticks_diff(time.ticks_ms(), t0) < settle:
    c.check_msg()
    time.sleep_ms(20)
c.disconnect()
print("END")
