# A QuecPython-style application: checkNet first, then the client with its
# own reconnection (reconn=True), told of trouble through error_register_cb,
# publishing at QoS 1 and checking what publish() returns.
#
# Settings from the environment where the port has one, else defaults:
#   MQTT_HOST (test.mosquitto.org), MQTT_PORT (1883),
#   MQTT_CLIENT_ID (umqtt-quecpython-example), MQTT_TOPIC (umqtt/example),
#   MQTT_COUNT: messages to publish (5), MQTT_INTERVAL_MS: between them (1000)
import os
import utime
import checkNet
from umqtt import MQTTClient

PROJECT_NAME = "QuecPython_MQTT_example"
PROJECT_VERSION = "1.0.0"

checknet = checkNet.CheckNetwork(PROJECT_NAME, PROJECT_VERSION)


def setting(name, default):
    getenv = getattr(os, "getenv", None)
    value = getenv(name) if getenv else None
    return value if value else default


HOST = setting("MQTT_HOST", "test.mosquitto.org")
PORT = int(setting("MQTT_PORT", "1883"))
CLIENT_ID = setting("MQTT_CLIENT_ID", "umqtt-quecpython-example")
TOPIC = setting("MQTT_TOPIC", "umqtt/example")
COUNT = int(setting("MQTT_COUNT", "5"))
INTERVAL_MS = int(setting("MQTT_INTERVAL_MS", "1000"))


def on_error(err):
    # With reconn=True: "reconnect_start" when the connection is lost and the
    # client starts reconnecting, "reconnect_success" once it is back. With
    # reconn=False the error's text comes here and the application decides.
    print("mqtt error callback:", err)


if __name__ == "__main__":
    checknet.poweron_print_once()
    stagecode, subcode = checknet.wait_network_connected(30)
    if stagecode == 3 and subcode == 1:
        print("network ready")
        client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=30, reconn=True)
        client.error_register_cb(on_error)
        print("connect:", client.connect())
        for i in range(COUNT):
            if client.publish(TOPIC, "reading {}".format(i), qos=1):
                print("publish", i, "acknowledged")
            else:
                # Not acknowledged within the timeout: still in flight, the
                # client sends it again once it has reconnected.
                print("publish", i, "pending")
            utime.sleep_ms(INTERVAL_MS)
        client.disconnect()
        print("done")
    else:
        print("network not ready: stagecode={}, subcode={}".format(stagecode, subcode))
