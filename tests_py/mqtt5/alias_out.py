# Publish N QoS 1 messages "m00".. to LONG_TOPIC with MQTT version VERSION
# (through the fault proxy, which counts the bytes). Prints the CONNACK's
# topic_alias_maximum, then PUBLISHED <n> and END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, LONG_TOPIC, VERSION, N.
import os
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID

V = int(os.getenv("VERSION"))
N = int(os.getenv("N"))
topic = os.getenv("LONG_TOPIC")
c = MQTTClient(CID, HOST, PORT, keepalive=30, version=V)
c.connect()
print("TAM", c.connack_properties.get("topic_alias_maximum"))
n = 0
for i in range(N):
    if c.publish(topic, "m%02d" % i, qos=1):
        n += 1
print("PUBLISHED", n)
c.disconnect()
print("END")
