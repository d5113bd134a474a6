# The broker's Maximum Packet Size from mosquitto (max_packet_size 1000): a
# publish beyond it raises MQTTException(0x95) and nothing is sent; the
# connection stays up and a small publish follows.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, T, err

c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5, reconn=False)
c.connect()
print("MPS", c.connack_properties.get("maximum_packet_size"))
for qos in (0, 1):
    try:
        print("BIG", qos, c.publish(T + "/big", b"x" * 1200, qos=qos))
    except Exception as e:
        print("BIG", qos, err(e))
print("SMALL", c.publish(T + "/small", b"y" * 900, qos=1))
print("STA", c.get_mqttsta())
c.disconnect()
print("END")
