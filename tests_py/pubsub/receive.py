# Subscribe to <MQTT_TOPIC>/# at SUB_QOS, print READY, then handle packets
# with wait_msg() until N_MSGS messages reached the callback; print each as
# MSG <type(topic)> <type(msg)> <hex(topic)> <len(msg)> <sha256(msg)>.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, SUB_QOS, N_MSGS.
import os
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
for topic, msg in got:
    print("MSG", type(topic).__name__, type(msg).__name__, binascii.hexlify(topic).decode(), len(msg),
          binascii.hexlify(hashlib.sha256(msg).digest()).decode())
c.disconnect()
print("END")
