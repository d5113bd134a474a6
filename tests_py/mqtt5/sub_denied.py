# A subscription the broker's ACL refuses (SUBACK 0x87) raises
# MQTTException(0x87); the connection stays usable: an allowed subscription
# and a message through it follow. Under 3.1.1 the refusal is SUBACK 0x80:
# MQTTException(0x80, "subscription refused by the broker").
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, T, err
import umqtt.simple

got = []
c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5, reconn=False)
c.set_callback(lambda t, m: got.append((t, m)))
c.connect()
try:
    c.subscribe(T + "/denied/x", 1)
    print("SUB denied accepted?!")
except Exception as e:
    print("SUB denied", err(e))
try:
    c.subscribe(T + "/denied/#", 2, no_local=True)
    print("SUB denied2 accepted?!")
except Exception as e:
    print("SUB denied2", err(e))
c.subscribe(T + "/ok/x", 1)
c.publish(T + "/ok/x", b"through", qos=1)
while not got:
    c.wait_msg()
print("GOT", got[0][1])
print("STA", c.get_mqttsta())
c.disconnect()
# The simple face the same.
s = umqtt.simple.MQTTClient(CID + "-s", HOST, PORT, keepalive=30, version=5)
s.set_callback(lambda t, m: None)
s.connect()
try:
    s.subscribe(T + "/denied/y", 0)
    print("SIMPLE accepted?!")
except Exception as e:
    print("SIMPLE", err(e))
s.disconnect()
for face, cls in (("V4", MQTTClient), ("V4SIMPLE", umqtt.simple.MQTTClient)):
    c = cls(CID + "-4", HOST, PORT, keepalive=30)
    c.set_callback(lambda t, m: None)
    c.connect()
    try:
        c.subscribe(T + "/denied/z", 1)
        print(face, "accepted?!")
    except Exception as e:
        print(face, err(e))
    c.subscribe(T + "/ok/z", 1)
    print(face, "STA", c.get_mqttsta())
    c.disconnect()
print("END")
