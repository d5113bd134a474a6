# Set a last will, connect, publish a control message on the will topic,
# disconnect() and exit: the broker must NOT publish the will.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import os
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC") + "/will"
c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=60)
c.set_last_will(T, "offline: " + os.getenv("MQTT_CLIENT_ID"), retain=False, qos=1)
print("CONNECT", repr(c.connect()))
c.publish(T, "alive", qos=1)
c.disconnect()
print("DISCONNECTED")
