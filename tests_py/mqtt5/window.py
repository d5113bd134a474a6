# Receive Maximum: the broker allows 2 messages in flight; N_THREADS
# _threads publish PER_THREAD messages each at once (QoS 1 and QoS 2 in
# turn, payload "t<k>:<i>") on one version=5 client. Prints
#   RM <connack receive_maximum>
#   DONE <threads finished> <calls that raised> <ms>
#   ERR <repr>   (the first few exceptions)
# then END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, N_THREADS, PER_THREAD.
import os
import time
import _thread
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, T

N_THREADS = int(os.getenv("N_THREADS"))
PER = int(os.getenv("PER_THREAD"))
c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5, timeout=15)
c.connect()
print("RM", c.connack_properties.get("receive_maximum"))
lock = _thread.allocate_lock()
st = {"done": 0, "errors": 0, "first": []}


def worker(k):
    errors = 0
    first = []
    for i in range(PER):
        try:
            c.publish(T + "/q%d" % (1 + (i + k) % 2), "t%02d:%03d" % (k, i), qos=1 + (i + k) % 2)
        except Exception as e:
            errors += 1
            if len(first) < 3:
                first.append(repr(e))
    with lock:
        st["errors"] += errors
        st["first"].extend(first)
        st["done"] += 1


t0 = time.ticks_ms()
for k in range(N_THREADS):
    _thread.start_new_thread(worker, (k,))
while st["done"] < N_THREADS and time.ticks_diff(time.ticks_ms(), t0) < 30000:
    time.sleep_ms(10)
print("DONE", st["done"], st["errors"], time.ticks_diff(time.ticks_ms(), t0))
for e in st["first"][:5]:
    print("ERR", e)
c.disconnect()
print("END")
