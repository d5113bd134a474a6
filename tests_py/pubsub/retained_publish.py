# Publish one retained and one plain message (QoS 1), then disconnect.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import os
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=30)
c.connect()
c.publish(T + "/kept", "kept value", retain=True, qos=1)
c.publish(T + "/notkept", "not kept", retain=False, qos=1)
c.disconnect()
print("END")
