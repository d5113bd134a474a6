# Publishes an ACL file denies: at QoS 1 (PUBACK 0x87) and QoS 2 (PUBREC
# 0x87) publish() raises MQTTException(0x87); at QoS 0 nothing comes back;
# allowed publishes go through afterwards on the same connection. The simple
# face the same; and a 3.1.1 client, whose PUBACK carries no reason, returns
# True.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, T, err
import umqtt.simple


def try_pub(label, c, topic, payload, qos):
    try:
        print(label, "RETURNED", c.publish(topic, payload, qos=qos))
    except Exception as e:
        print(label, "RAISED", err(e))


c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5, reconn=False)
c.connect()
try_pub("Q1", c, T + "/denied/q1", b"no1", 1)
try_pub("Q2", c, T + "/denied/q2", b"no2", 2)
try_pub("Q0", c, T + "/denied/q0", b"no0", 0)
try_pub("OK1", c, T + "/ok/a", b"yes1", 1)
try_pub("OK2", c, T + "/ok/a", b"yes2", 2)
print("STA", c.get_mqttsta())
c.disconnect()
s = umqtt.simple.MQTTClient(CID + "-s", HOST, PORT, keepalive=30, version=5)
s.connect()
try_pub("SIMPLE1", s, T + "/denied/s", b"no3", 1)
try_pub("SIMPLE_OK", s, T + "/ok/b", b"yes3", 1)
s.disconnect()
v4 = MQTTClient(CID + "-4", HOST, PORT, keepalive=30, reconn=False)
v4.connect()
try_pub("V4", v4, T + "/denied/v4", b"no4", 1)
v4.disconnect()
print("END")
