# The simple face (umqtt.simple, or umqtt.robust with FACE=robust) with
# version=5: connect properties, a publish with properties, a subscription
# with an identifier, a message object with .properties. Prints CONNECT, RM,
# PUB, READY, MSG, END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, FACE.
import os
if os.getenv("FACE") == "robust":
    from umqtt.robust import MQTTClient
else:
    from umqtt.simple import MQTTClient
from v5_common import HOST, PORT, CID, T, items

FACE = os.getenv("FACE")

got = []
c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5)
c.set_callback(got.append, message=True)
c.connect(properties={"user_properties": [("face", FACE)]})
print("CONNECT properties accepted")
print("RM", c.connack_properties.get("receive_maximum"))
c.subscribe(T + "/in", 1, subscription_identifier=3)
print("PUB", c.publish(T + "/out", b"from " + FACE.encode(), qos=1, properties={
    "content_type": "text/plain", "correlation_data": FACE[0].encode() + b"1", "user_properties": [("face", FACE)]}))
print("READY")
while not got:
    c.wait_msg()
m = got[0]
print("MSG", m.topic, m.payload, m.qos, items(m.properties))
c.disconnect()
print("END")
