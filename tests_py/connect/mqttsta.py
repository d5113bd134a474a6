# QuecPython's get_mqttsta(): 0 while connected, -1 once closed.
import os
from umqtt import MQTTClient

c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=30)
print("CONNECT", repr(c.connect()))
print("STA_CONNECTED", repr(c.get_mqttsta()))
c.disconnect()
print("STA_DISCONNECTED", repr(c.get_mqttsta()))
print("END")
