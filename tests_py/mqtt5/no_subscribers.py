# QoS 1 and 2 publishes nobody is subscribed to: mosquitto answers the QoS 1
# one with PUBACK 0x10 No matching subscribers, a success code (below 0x80):
# publish() returns True in the QuecPython face, None in the simple face.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
from umqtt import MQTTClient
import umqtt.simple
from v5_common import HOST, PORT, CID, T, err

for face, c in (("umqtt", MQTTClient(CID, HOST, PORT, keepalive=30, version=5, reconn=False)),
                ("simple", umqtt.simple.MQTTClient(CID + "-s", HOST, PORT, keepalive=30, version=5))):
    c.connect()
    for qos in (1, 2):
        try:
            print(face, qos, c.publish(T + "/nobody", b"x", qos=qos))
        except Exception as e:
            print(face, qos, err(e))
    c.disconnect()
print("END")
