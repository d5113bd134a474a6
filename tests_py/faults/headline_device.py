# The device side of the headline test (test_headline.py), through the fault
# proxy: reconn=True, clean_session=False. One _thread loops wait_msg() and
# records every message the peer sends to <T>/down/q1 (QoS 1) and <T>/down/q2
# (QoS 2); the main thread publishes N QoS 1 messages to <T>/up/q1 and N QoS 2
# messages to <T>/up/q2 (interleaved). Each payload carries its index and is
# checked byte for byte against payload(). Then it waits (bounded) for all
# 2 * N incoming messages, prints RECEIVED_ALL / RECEIVE_TIMEOUT, waits for
# the line FINISH on stdin, prints "HL <key> <values>" summary lines and END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, MQTT_VERSION (4 or 5), N, RX_WAIT_S,
#      PUB_TIMEOUT_S, KEEPALIVE.
import os
import sys
import time
import _thread
import hashlib
import binascii
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
N = int(os.getenv("N"))
RX_WAIT_MS = int(float(os.getenv("RX_WAIT_S") or "120") * 1000)
PUB_TIMEOUT = float(os.getenv("PUB_TIMEOUT_S") or "30")
KEEPALIVE = int(os.getenv("KEEPALIVE") or "30")

ALPHA = "abcdefghijklmnopqrstuvwxyz" * 16


# Same function in test_headline.py.
def payload(direction, qos, i):
    n = (i * 7 + qos * 3) % 41
    if i % 97 == 13:
        n += 300
    k = i % 26
    return "{}{}:{:06d}:{}".format(direction, qos, i, ALPHA[k:k + n])


TOPIC_IN = {(T + "/down/q1").encode(): 1, (T + "/down/q2").encode(): 2}
counts = {1: bytearray(N), 2: bytearray(N)}
st = {"rx": 0, "corrupt": 0, "foreign": 0, "dup1": 0, "dup2": 0, "distinct1": 0, "distinct2": 0,
      "rs": 0, "rok": 0, "other_err": 0}
lock = _thread.allocate_lock()


def on_message(topic, msg):
    qos = TOPIC_IN.get(topic, 0)
    with lock:
        st["rx"] += 1
        if qos == 0:
            st["foreign"] += 1
            return
        try:
            i = int(msg[3:9])
        except ValueError:
            i = -1
        if i < 0 or i >= N or msg != payload("d", qos, i).encode():
            st["corrupt"] += 1
            if st["corrupt"] <= 5:
                print("CORRUPT", qos, topic, msg[:80])
            return
        c = counts[qos]
        if c[i]:
            st["dup%d" % qos] += 1
            if qos == 2:
                print("DUP2", i)            # each one: the test tells who made it
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
        print("ERRCB", text)


c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
               keepalive=KEEPALIVE, reconn=True, timeout=PUB_TIMEOUT,
               version=int(os.getenv("MQTT_VERSION") or "4"))
c.set_callback(on_message)
c.error_register_cb(on_error)
c.connect(clean_session=False)
c.subscribe(T + "/down/q1", 1)
c.subscribe(T + "/down/q2", 2)

state = {"run": True, "entered": 0, "errors": [], "done": False}


def listener():
    while state["run"]:
        state["entered"] += 1
        try:
            c.wait_msg()
        except Exception as e:
            if not state["run"]:
                break
            state["errors"].append(repr(e))
            if len(state["errors"]) > 200:
                break
            time.sleep_ms(50)
    state["done"] = True


_thread.start_new_thread(listener, ())
t0 = time.ticks_ms()
while state["entered"] == 0 and time.ticks_diff(time.ticks_ms(), t0) < 5000:
    time.sleep_ms(1)
print("READY")

t_start = time.ticks_ms()
pub_errors = 0
for i in range(N):
    for qos in (1, 2):
        try:
            c.publish(T + "/up/q%d" % qos, payload("u", qos, i), qos=qos)
        except Exception as e:
            pub_errors += 1
            if pub_errors <= 10:
                print("PUBERR", qos, i, repr(e))
    if i % 1000 == 999:
        print("PROGRESS", i + 1, st["distinct1"], st["distinct2"])
print("PUBLISHED", 2 * N, pub_errors, time.ticks_diff(time.ticks_ms(), t_start))

t0 = time.ticks_ms()
while (st["distinct1"] < N or st["distinct2"] < N) and time.ticks_diff(time.ticks_ms(), t0) < RX_WAIT_MS:
    time.sleep_ms(10)
print("RECEIVED_ALL" if st["distinct1"] == N and st["distinct2"] == N else "RECEIVE_TIMEOUT",
      st["distinct1"], st["distinct2"], time.ticks_diff(time.ticks_ms(), t_start))

line = sys.stdin.readline()
mqttsta = c.get_mqttsta()
with lock:
    for qos in (1, 2):
        cnt = counts[qos]
        h = hashlib.sha256()
        missing = []
        n_missing = 0
        for i in range(N):
            if cnt[i]:
                h.update(payload("d", qos, i).encode())
            else:
                n_missing += 1
                if len(missing) < 10:
                    missing.append(i)
        print("HL rx_q%d" % qos, st["distinct%d" % qos], st["dup%d" % qos])
        print("HL missing_q%d" % qos, n_missing, " ".join(str(i) for i in missing))
        print("HL hash_q%d" % qos, binascii.hexlify(h.digest()).decode())
    print("HL corrupt", st["corrupt"])
    print("HL foreign", st["foreign"])
print("HL reconnect", st["rs"], st["rok"], st["other_err"])
print("HL listener_errors", len(state["errors"]), " | ".join(state["errors"][:5]))
print("HL pub_errors", pub_errors)
print("HL mqttsta", mqttsta)
print("HL finish", line.strip())
state["run"] = False
c.disconnect()
t0 = time.ticks_ms()
while not state["done"] and time.ticks_diff(time.ticks_ms(), t0) < 5000:
    time.sleep_ms(10)
print("HL listener_stopped", 1 if state["done"] else 0)
print("END")
