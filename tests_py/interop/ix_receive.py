# Subscribe to <MQTT_TOPIC>/# at SUB_QOS, print READY, then handle packets
# with wait_msg() until N_MSGS messages reached the callback, then go on
# polling with check_msg() for DRAIN_MS more (default 0) to catch any extra
# message; print each (in arrival order) as
# MSG <hex(topic)> <len(msg)> <sha256(msg)>, then END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, SUB_QOS, N_MSGS, DRAIN_MS.
import os
import time
import hashlib
import binascii
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
N = int(os.getenv("N_MSGS"))
got = []


def cb(topic, msg):
    got.append((topic, msg))


c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=30)
c.set_callback(cb)
c.connect()
c.subscribe(T + "/#", int(os.getenv("SUB_QOS")))
print("READY")
while len(got) < N:
    c.wait_msg()
t0 = time.ticks_ms()
while time.ticks_diff(time.ticks_ms(), t0) < int(os.getenv("DRAIN_MS") or "0"):
    if c.check_msg() is None:
        time.sleep_ms(10)
for topic, msg in got:
    print("MSG", binascii.hexlify(topic).decode(), len(msg), binascii.hexlify(hashlib.sha256(msg).digest()).decode())
c.disconnect()
print("END")
