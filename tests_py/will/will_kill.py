# Set a last will, connect, print READY, then idle (bounded) until the test
# kills the process with SIGKILL: the broker must publish the will.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, WILL_QOS.
import os
import time
from umqtt import MQTTClient

c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=60)
c.set_last_will(os.getenv("MQTT_TOPIC") + "/will", "offline: " + os.getenv("MQTT_CLIENT_ID"),
                retain=False, qos=int(os.getenv("WILL_QOS")))
print("CONNECT", repr(c.connect()))
print("READY")
t0 = time.ticks_ms()
while time.ticks_diff(time.ticks_ms(), t0) < 30000:
    time.sleep_ms(50)
print("NOT KILLED")
