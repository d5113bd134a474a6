# Publish a retained QoS 1 message to <MQTT_TOPIC>/kept and a non-retained
# one to <MQTT_TOPIC>/live, disconnect, print END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import os
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=30)
c.connect()
c.publish(T + "/kept", b"kept value", retain=True, qos=1)
c.publish(T + "/live", b"not kept", retain=False, qos=1)
c.disconnect()
print("END")
