# Ctrl-C while blocked in wait_msg() and in a QoS 1 publish waiting for a
# PUBACK that never comes: KeyboardInterrupt within about half a second, and
# the client stays usable.
import os
import sys
import time
from umqtt import MQTTClient

port = int(os.getenv("MQTT_PORT"))
topic = os.getenv("TOPIC")
c = MQTTClient(os.getenv("CLIENT_ID"), "127.0.0.1", port, keepalive=30)
c.connect()
for step in ("wait_msg", "again"):
    print("READY", step)
    t0 = time.ticks_ms()
    try:
        c.wait_msg()
        print("RETURNED")
    except KeyboardInterrupt:
        print("INTERRUPTED", step, time.ticks_diff(time.ticks_ms(), t0))
c.publish(topic, b"still usable", qos=1)
print("USABLE", c.get_mqttsta())
c.disconnect()
