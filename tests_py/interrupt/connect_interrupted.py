# Ctrl-C while connect() waits for a CONNACK that never comes (a server that
# accepts and stays silent): KeyboardInterrupt at once, no half-open attempt
# left behind (get_mqttsta() -1), and the same client connects to the real
# broker afterwards.
import os
import time
from umqtt import MQTTClient

c = MQTTClient(os.getenv("CLIENT_ID"), "127.0.0.1", int(os.getenv("SILENT_PORT")), keepalive=30, timeout=30)
print("READY connect")
t0 = time.ticks_ms()
try:
    c.connect()
    print("RETURNED")
except KeyboardInterrupt:
    print("INTERRUPTED", time.ticks_diff(time.ticks_ms(), t0))
print("STA", c.get_mqttsta())
c2 = MQTTClient(os.getenv("CLIENT_ID") + "-2", "127.0.0.1", int(os.getenv("MQTT_PORT")), keepalive=30)
c2.connect()
c2.publish(os.getenv("TOPIC"), b"after ctrl-c", qos=1)
print("USABLE", c2.get_mqttsta())
c2.disconnect()
