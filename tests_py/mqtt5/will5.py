# A version=5 last will with properties (will_delay_interval WILL_DELAY,
# content_type, correlation_data, user_properties, message_expiry_interval,
# payload_format_indicator), a session that outlives the connection
# (session_expiry_interval 30), then READY and sleep until killed.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, WILL_DELAY.
import os
import time
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, T

c = MQTTClient(CID, HOST, PORT, keepalive=60, version=5)
c.set_last_will(T + "/will", "gone: " + CID, qos=1, properties={
    "will_delay_interval": int(os.getenv("WILL_DELAY")),
    "payload_format_indicator": 1,
    "message_expiry_interval": 120,
    "content_type": "text/plain",
    "correlation_data": b"w\x00",
    "user_properties": [("why", "killed")],
})
print("CONNECT", c.connect(properties={"session_expiry_interval": 30}))
print("READY")
while True:
    time.sleep(1)
