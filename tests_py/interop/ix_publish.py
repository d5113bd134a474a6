# Publish the payloads of test_interop.PAYLOADS to <MQTT_TOPIC>/<name> at
# PUB_QOS, then SEQ messages "seq-NNN" to <MQTT_TOPIC>/seq (same QoS, in
# order); print "PUB <name>" after each publish() returned, then END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, PUB_QOS, SEQ.
import os
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
QOS = int(os.getenv("PUB_QOS"))
SEQ = int(os.getenv("SEQ"))


def pattern(n, seed=0):
    return bytes(((i * 31 + 7 + seed) & 0xFF) for i in range(n))


PAYLOADS = [
    ("empty", b""),
    ("one", b"\xa5"),
    ("str", "h\u00e9llo \u2713"),
    ("bytearray", bytearray(b"ba\x00\xff")),
    ("big", pattern(20000)),
]

c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=30)
c.connect()
for name, payload in PAYLOADS:
    c.publish(T + "/" + name, payload, qos=QOS)
    print("PUB", name)
for i in range(SEQ):
    c.publish(T + "/seq", "seq-%03d" % i, qos=QOS)
print("PUB seq")
c.disconnect()
print("END")
