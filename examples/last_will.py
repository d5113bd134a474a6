# Last will: the broker publishes "offline" on <topic>/status if this client
# goes away without a DISCONNECT (power lost, network gone). Here the
# connection is closed without one (close()), so the broker sends the will.
#
# Settings from the environment where the port has one, else defaults:
#   MQTT_HOST (test.mosquitto.org), MQTT_PORT (1883),
#   MQTT_CLIENT_ID (umqtt-will-example), MQTT_TOPIC (umqtt/example)
import os
from umqtt import MQTTClient


def setting(name, default):
    getenv = getattr(os, "getenv", None)
    value = getenv(name) if getenv else None
    return value if value else default


HOST = setting("MQTT_HOST", "test.mosquitto.org")
PORT = int(setting("MQTT_PORT", "1883"))
CLIENT_ID = setting("MQTT_CLIENT_ID", "umqtt-will-example")
STATUS = setting("MQTT_TOPIC", "umqtt/example") + "/status"

# reconn=False: once closed, the client stays closed (no reconnect).
client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=30, reconn=False)
# Retained, so a subscriber that comes later still sees the last status.
client.set_last_will(STATUS, "offline", retain=True, qos=1)
print("connect:", client.connect())
print("publish online ->", client.publish(STATUS, "online", retain=True, qos=1))

# disconnect() would tell the broker we leave on purpose: no will. close()
# drops the connection as a failure would, and the broker publishes the will.
client.close()
print("closed without DISCONNECT")
