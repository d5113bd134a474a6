# Connect over TLS and check the broker's certificate against a CA you
# trust (pinned), then publish one message at QoS 1.
#
# Without a CA, ssl=True encrypts but does NOT authenticate the broker:
# anyone in the path can pose as it. Give the CA that signed the broker's
# certificate (PEM or DER, read from a file as a device would):
# the connection is refused if the certificate is not signed by it, has
# expired, or is not for MQTT_HOST.
#
# Settings from the environment where the port has one, else defaults:
#   MQTT_HOST (test.mosquitto.org), MQTT_PORT (8883),
#   MQTT_CA: the CA certificate file (ca.crt),
#   MQTT_CLIENT_ID (umqtt-tls-example), MQTT_TOPIC (umqtt/example)
import os
from umqtt import MQTTClient, MQTTException


def setting(name, default):
    getenv = getattr(os, "getenv", None)
    value = getenv(name) if getenv else None
    return value if value else default


HOST = setting("MQTT_HOST", "test.mosquitto.org")
PORT = int(setting("MQTT_PORT", "8883"))
CA_FILE = setting("MQTT_CA", "ca.crt")
CLIENT_ID = setting("MQTT_CLIENT_ID", "umqtt-tls-example")
TOPIC = setting("MQTT_TOPIC", "umqtt/example")

with open(CA_FILE, "rb") as f:
    ca = f.read()

# QuecPython's ssl_params form; the host name checked (and sent as SNI) is
# MQTT_HOST unless ssl_params has "server_hostname".
client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=60, reconn=False,
                    ssl=True, ssl_params={"cadata": ca})
try:
    print("connect:", client.connect())
except (OSError, MQTTException) as e:
    # A certificate that fails the check ends here.
    print("TLS connection refused:", type(e).__name__)
    raise SystemExit(1)

print("publish ->", client.publish(TOPIC, "hello over TLS", qos=1))
client.disconnect()
print("done")
