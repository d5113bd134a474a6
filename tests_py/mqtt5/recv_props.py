# Subscribe to <T>/# (version=5, QoS 1), take N_MSGS message objects
# (set_callback(f, message=True)) and print, for each:
#   MSG <topic> <payload> <qos> <sorted properties, message_expiry_interval left out>
#   EXP <message_expiry_interval or None>
#   TYPES <type name of each property value, sorted by name>
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, N_MSGS.
import os
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, T, items

N = int(os.getenv("N_MSGS"))
got = []
c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5)
c.set_callback(got.append, message=True)
c.connect()
c.subscribe(T + "/#", 1)
print("READY")
while len(got) < N:
    c.wait_msg()
for m in got:
    p = dict(m.properties)
    exp = p.pop("message_expiry_interval", None)
    print("MSG", m.topic, m.payload, m.qos, items(p))
    print("EXP", exp)
    print("TYPES", [(k, type(v).__name__) for k, v in items(m.properties)])
    ups = m.properties.get("user_properties", [])
    print("UPTYPES", [(type(a).__name__, type(b).__name__, type(kv).__name__) for kv in ups for a, b in [kv]])
c.disconnect()
print("END")
