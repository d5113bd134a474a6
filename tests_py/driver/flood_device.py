# Defect 12: the device side of the flood run (test_flood.py), through the
# fault proxy; adapted from faults/headline_device.py. reconn=True,
# clean_session=False. A _thread loops wait_msg() and counts every message
# the peer sends to <T>/down/q1 (QoS 1) and <T>/down/q2 (QoS 2), checked byte
# for byte against payload(); the main thread publishes N QoS 1 messages to
# <T>/up/q1 and N QoS 2 to <T>/up/q2 (interleaved), giving up once
# PUB_DEADLINE_S has passed. Then it waits (up to RX_WAIT_S) for all 2 * N
# incoming messages and prints
#   PUBLISHED <calls> <raised> <ms> <all published: 1/0>
#   RECEIVED_ALL|RECEIVE_TIMEOUT <distinct q1> <distinct q2> <ms>
# then waits for a line on stdin and prints "FL <key> <values>" lines, END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, N, PUB_DEADLINE_S,
#      RX_WAIT_S, PUB_TIMEOUT_S, KEEPALIVE.
import os
import sys
import time
import _thread
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
N = int(os.getenv("N"))
PUB_DEADLINE_MS = int(float(os.getenv("PUB_DEADLINE_S")) * 1000)
RX_WAIT_MS = int(float(os.getenv("RX_WAIT_S")) * 1000)
PUB_TIMEOUT = float(os.getenv("PUB_TIMEOUT_S"))
KEEPALIVE = int(os.getenv("KEEPALIVE"))

ALPHA = "abcdefghijklmnopqrstuvwxyz" * 16


# Same function in test_flood.py.
def payload(direction, qos, i):
    n = (i * 7 + qos * 3) % 41
    if i % 97 == 13:
        n += 300
    k = i % 26
    return "{}{}:{:06d}:{}".format(direction, qos, i, ALPHA[k:k + n])


TOPIC_IN = {(T + "/down/q1").encode(): 1, (T + "/down/q2").encode(): 2}
counts = {1: bytearray(N), 2: bytearray(N)}
st = {"corrupt": 0, "foreign": 0, "dup1": 0, "dup2": 0, "distinct1": 0, "distinct2": 0,
      "rs": 0, "rok": 0, "other_err": 0}
lock = _thread.allocate_lock()


def on_message(topic, msg):
    qos = TOPIC_IN.get(topic, 0)
    with lock:
        if qos == 0:
            st["foreign"] += 1
            return
        try:
            i = int(msg[3:9])
        except ValueError:
            i = -1
        if i < 0 or i >= N or msg != payload("d", qos, i).encode():
            st["corrupt"] += 1
            return
        c = counts[qos]
        if c[i]:
            st["dup%d" % qos] += 1
        else:
            st["distinct%d" % qos] += 1
        if c[i] < 255:
            c[i] += 1


def on_error(text):
    if text == "reconnect_start":
        st["rs"] += 1
    elif text == "reconnect_success":
        st["rok"] += 1
    else:
        st["other_err"] += 1


c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
               keepalive=KEEPALIVE, reconn=True, timeout=PUB_TIMEOUT)
c.set_callback(on_message)
c.error_register_cb(on_error)
c.connect(clean_session=False)
c.subscribe(T + "/down/q1", 1)
c.subscribe(T + "/down/q2", 2)

state = {"run": True, "entered": 0, "errors": 0, "first_errors": [], "done": False}


def listener():
    while state["run"]:
        state["entered"] += 1
        try:
            c.wait_msg()
        except Exception as e:
            if not state["run"]:
                break
            state["errors"] += 1
            if len(state["first_errors"]) < 5:
                state["first_errors"].append(repr(e))
            time.sleep_ms(50)
    state["done"] = True


_thread.start_new_thread(listener, ())
t0 = time.ticks_ms()
while state["entered"] == 0 and time.ticks_diff(time.ticks_ms(), t0) < 5000:
    time.sleep_ms(1)
print("READY")

t_start = time.ticks_ms()
calls = 0
pub_errors = 0
complete = 1
for i in range(N):
    if time.ticks_diff(time.ticks_ms(), t_start) > PUB_DEADLINE_MS:
        complete = 0
        break
    for qos in (1, 2):
        calls += 1
        try:
            c.publish(T + "/up/q%d" % qos, payload("u", qos, i), qos=qos)
        except Exception as e:
            pub_errors += 1
            if pub_errors <= 5:
                print("PUBERR", qos, i, repr(e))
print("PUBLISHED", calls, pub_errors, time.ticks_diff(time.ticks_ms(), t_start), complete)

t0 = time.ticks_ms()
while (st["distinct1"] < N or st["distinct2"] < N) and time.ticks_diff(time.ticks_ms(), t0) < RX_WAIT_MS:
    time.sleep_ms(10)
print("RECEIVED_ALL" if st["distinct1"] == N and st["distinct2"] == N else "RECEIVE_TIMEOUT",
      st["distinct1"], st["distinct2"], time.ticks_diff(time.ticks_ms(), t_start))

sys.stdin.readline()
with lock:
    for qos in (1, 2):
        missing = [i for i in range(N) if not counts[qos][i]]
        print("FL rx_q%d" % qos, st["distinct%d" % qos], st["dup%d" % qos])
        print("FL missing_q%d" % qos, len(missing), " ".join(str(i) for i in missing[:10]))
    print("FL corrupt", st["corrupt"], st["foreign"])
print("FL reconnect", st["rs"], st["rok"], st["other_err"])
print("FL listener_errors", state["errors"], " | ".join(state["first_errors"]))
print("FL mqttsta", c.get_mqttsta())
state["run"] = False
c.disconnect()
t0 = time.ticks_ms()
while not state["done"] and time.ticks_diff(time.ticks_ms(), t0) < 5000:
    time.sleep_ms(10)
print("FL listener_stopped", 1 if state["done"] else 0)
print("END")
