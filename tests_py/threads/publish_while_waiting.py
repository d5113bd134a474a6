# One _thread loops wait_msg() while the main thread publishes N_PUB QoS 1
# messages with distinct payloads to <MQTT_TOPIC>/out. The listener also
# receives N_IN messages the paho peer sends to <MQTT_TOPIC>/in meanwhile.
# Prints READY, PUBLISHED <n> <errors>, IN <payload>..., LISTENER_ERRORS <n>, END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, N_PUB, N_IN.
import os
import time
import _thread
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
N = int(os.getenv("N_PUB"))
N_IN = int(os.getenv("N_IN") or "0")

received = []
state = {"entered": 0, "errors": []}


def cb(topic, msg):
    received.append(msg)


c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=60)
c.set_callback(cb)
c.connect()
c.subscribe(T + "/in", 1)


def listener():
    while True:
        state["entered"] += 1
        try:
            c.wait_msg()
        except Exception as e:
            state["errors"].append(repr(e))
            if len(state["errors"]) >= 5:
                return
            time.sleep_ms(10)


_thread.start_new_thread(listener, ())
t0 = time.ticks_ms()
while state["entered"] == 0 and time.ticks_diff(time.ticks_ms(), t0) < 5000:
    time.sleep_ms(1)
time.sleep_ms(50)  # let the listener block inside wait_msg()
print("READY")

pub_errors = 0
t0 = time.ticks_ms()
for i in range(N):
    payload = "m{:04d}:".format(i) + "abcdefghij" * (i % 13)
    try:
        c.publish(T + "/out", payload, qos=1)
    except Exception as e:
        pub_errors += 1
        if pub_errors <= 5:
            print("PUBERR", i, repr(e))
print("PUBLISHED", N, pub_errors)
print("PUBLISH_MS", time.ticks_diff(time.ticks_ms(), t0))

t0 = time.ticks_ms()
while len(received) < N_IN and time.ticks_diff(time.ticks_ms(), t0) < 20000:
    time.sleep_ms(10)
for m in sorted(received):
    print("IN", m.decode())
print("LISTENER_ERRORS", len(state["errors"]))
for e in state["errors"]:
    print("LERR", e)
print("END")
