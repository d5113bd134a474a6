# Connect with version=5 and connect properties (CONNECT_PROPS, a JSON
# object; user_properties as lists of two strings), print the CONNACK's
# properties and their types; then the same with version=4: {}.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, CONNECT_PROPS.
import os
import json
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, items

props = json.loads(os.getenv("CONNECT_PROPS"))
if "user_properties" in props:
    props["user_properties"] = [tuple(x) for x in props["user_properties"]]
c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5)
print("RC", c.connect(properties=props))
print("CONNACK", items(c.connack_properties))
print("TYPES", [(k, type(v).__name__) for k, v in items(c.connack_properties)])
print("ID", c.client_id)
c.disconnect()
c = MQTTClient(CID + "-v4", HOST, PORT, keepalive=30)
c.connect()
print("V4", c.connack_properties)
c.disconnect()
print("END")
