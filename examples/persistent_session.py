# A persistent session (clean_session=False) with micropython-lib's
# umqtt.robust face: the broker keeps our subscription and queues QoS 1
# messages while we are away; connect() tells whether it kept the session.
# robust.MQTTClient reconnects by itself (with the same session) when the
# connection is lost inside wait_msg()/publish().
#
# Run it once (it subscribes), stop it, publish to the topic at QoS 1 while
# it is away, run it again: it gets those messages.
#
# Settings from the environment where the port has one, else defaults:
#   MQTT_HOST (test.mosquitto.org), MQTT_PORT (1883),
#   MQTT_CLIENT_ID (umqtt-session-example; must stay the same between runs),
#   MQTT_TOPIC (umqtt/example),
#   MQTT_COUNT: messages to wait for before leaving (0, the default: none)
import os
from umqtt.robust import MQTTClient


def setting(name, default):
    getenv = getattr(os, "getenv", None)
    value = getenv(name) if getenv else None
    return value if value else default


HOST = setting("MQTT_HOST", "test.mosquitto.org")
PORT = int(setting("MQTT_PORT", "1883"))
CLIENT_ID = setting("MQTT_CLIENT_ID", "umqtt-session-example")
TOPIC = setting("MQTT_TOPIC", "umqtt/example")
COUNT = int(setting("MQTT_COUNT", "0"))

received = []


def on_message(topic, msg):
    received.append(msg)
    print("message", topic.decode(), msg.decode())


client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=60)
client.DEBUG = True  # robust: print why it reconnects
client.set_callback(on_message)

# As in umqtt.simple, connect() returns the session-present flag.
if client.connect(clean_session=False):
    print("session present: the broker kept our subscription")
else:
    print("new session: subscribing")
    client.subscribe(TOPIC, qos=1)

while len(received) < COUNT:
    client.wait_msg()  # robust: on a lost connection, reconnect and go on

client.disconnect()  # the session stays on the broker (clean_session=False)
print("done")
