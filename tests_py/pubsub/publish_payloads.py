# Publish payloads of several sizes and types, each to <MQTT_TOPIC>/<name>,
# at QoS PUB_QOS; the paho peer checks the exact bytes it receives.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, PUB_QOS.
import os
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
QOS = int(os.getenv("PUB_QOS"))


def pattern(n, seed=0):
    # same bytes as mqtt_harness.pattern_bytes()
    b = bytearray(n)
    for i in range(n):
        b[i] = (i * 31 + 7 + seed) & 0xFF
    return b


big = bytes(pattern(65536))
cases = [
    ("empty", b""),
    ("one", b"\xa5"),
    ("big", big),
    ("str", "h\u00e9llo \u2713"),
    ("bytearray", bytearray(b"ba\x00\xff")),
    ("memoryview", memoryview(big)[1000:1100]),
]

c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=30)
c.connect()
for name, payload in cases:
    c.publish(T + "/" + name, payload, qos=QOS)
    print("PUB", name)
c.disconnect()
print("END")
