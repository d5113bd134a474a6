# Connect, print what connect() returned, disconnect.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID; optional MQTT_USER, MQTT_PASSWORD,
# MQTT_KEEPALIVE (default 30), MQTT_VERSION (3 or 4), MQTT_CLEAN (1 or 0).
import os
from umqtt import MQTTClient

host = os.getenv("MQTT_HOST")
port = int(os.getenv("MQTT_PORT"))
keepalive = int(os.getenv("MQTT_KEEPALIVE") or "30")
user = os.getenv("MQTT_USER")
password = os.getenv("MQTT_PASSWORD")

if os.getenv("MQTT_VERSION"):
    c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), host, port, user, password, keepalive=keepalive,
                   version=int(os.getenv("MQTT_VERSION")))
else:
    # QuecPython's positional order: client_id, server, port, user, password
    c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), host, port, user, password, keepalive=keepalive)

r = c.connect(clean_session=(os.getenv("MQTT_CLEAN", "1") == "1"))
print("CONNECT", repr(r))
r = c.disconnect()
print("DISCONNECT", repr(r))
print("END")
