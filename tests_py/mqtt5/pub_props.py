# Publish with every PUBLISH property (version=5) to <T>/props at PUB_QOS,
# then one without properties to <T>/plain; the paho v5 peer checks them.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, PUB_QOS.
import os
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, T

QOS = int(os.getenv("PUB_QOS"))
c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5)
c.connect()
r = c.publish(T + "/props", "h\u00e9llo", qos=QOS, properties={
    "payload_format_indicator": 1,
    "message_expiry_interval": 3600,
    "content_type": "text/plain; charset=utf-8",
    "response_topic": T + "/reply",
    "correlation_data": b"\x00\x01corr\xff",
    "user_properties": [("k1", "v1"), ("k2", b"v2"), ("k1", "again")],
})
print("PUB props", r)
r = c.publish(T + "/plain", b"no props", qos=QOS)
print("PUB plain", r)
c.disconnect()
print("END")
