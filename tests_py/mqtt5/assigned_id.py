# An empty client id with version=5: the broker's Assigned Client Identifier
# becomes client.client_id (same type as given: str for "", bytes for b"").
# Env: MQTT_HOST, MQTT_PORT, MQTT_TOPIC.
from umqtt import MQTTClient
from v5_common import HOST, PORT, T

for given in ("", b""):
    got = []
    c = MQTTClient(given, HOST, PORT, keepalive=30, version=5)
    c.set_callback(lambda t, m: got.append(m))
    c.connect()
    cid = c.client_id
    print("ID", type(cid).__name__, cid if isinstance(cid, str) else cid.decode())
    print("ASSIGNED", c.connack_properties.get("assigned_client_identifier"))
    # The connection works under that id.
    c.subscribe(T + "/echo", 1)
    c.publish(T + "/echo", b"under " + (cid if isinstance(cid, bytes) else cid.encode()), qos=1)
    while not got:
        c.wait_msg()
    print("ECHO", got[0].decode())
    c.disconnect()
print("END")
