# Publish a few messages, at QoS 0 and QoS 1, then disconnect.
#
# Copy to the board and run. Settings come from the environment where the
# port has one (the unix port's os.getenv), else the defaults below:
#   MQTT_HOST (test.mosquitto.org), MQTT_PORT (1883),
#   MQTT_CLIENT_ID (umqtt-publish-example), MQTT_TOPIC (umqtt/example)
import os
from umqtt import MQTTClient


def setting(name, default):
    getenv = getattr(os, "getenv", None)
    value = getenv(name) if getenv else None
    return value if value else default


HOST = setting("MQTT_HOST", "test.mosquitto.org")
PORT = int(setting("MQTT_PORT", "1883"))
CLIENT_ID = setting("MQTT_CLIENT_ID", "umqtt-publish-example")
TOPIC = setting("MQTT_TOPIC", "umqtt/example")

client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=60)
print("connect:", client.connect())  # 0 once the broker accepted us

for i, qos in enumerate((0, 1, 1)):
    # True: written (QoS 0) or acknowledged by the broker (QoS 1/2).
    # False: no acknowledgement within the timeout; the message stays in
    # flight and is sent again after a reconnect.
    ok = client.publish(TOPIC, "hello {} qos {}".format(i, qos), qos=qos)
    print("publish", i, "qos", qos, "->", ok)

client.disconnect()
print("done")
