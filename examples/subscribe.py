# Subscribe to a topic and print every message that arrives.
#
# Settings from the environment where the port has one, else defaults:
#   MQTT_HOST (test.mosquitto.org), MQTT_PORT (1883),
#   MQTT_CLIENT_ID (umqtt-subscribe-example), MQTT_TOPIC (umqtt/example),
#   MQTT_COUNT: stop after this many messages (0, the default: never stop)
import os
from umqtt import MQTTClient


def setting(name, default):
    getenv = getattr(os, "getenv", None)
    value = getenv(name) if getenv else None
    return value if value else default


HOST = setting("MQTT_HOST", "test.mosquitto.org")
PORT = int(setting("MQTT_PORT", "1883"))
CLIENT_ID = setting("MQTT_CLIENT_ID", "umqtt-subscribe-example")
TOPIC = setting("MQTT_TOPIC", "umqtt/example")
COUNT = int(setting("MQTT_COUNT", "0"))

received = 0


def on_message(topic, msg):
    # topic and msg are bytes
    global received
    received += 1
    print("message", received, topic.decode(), msg.decode())


client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=60)
client.set_callback(on_message)  # before subscribe(): it raises without one
print("connect:", client.connect())
client.subscribe(TOPIC, qos=1)  # returns once the broker granted it
print("subscribed", TOPIC)

# wait_msg() blocks until a message has gone to the callback; the client's
# own keep-alive pings are handled inside and never end it.
while COUNT == 0 or received < COUNT:
    client.wait_msg()

client.disconnect()
print("done")
