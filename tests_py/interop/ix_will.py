# Set a last will (<MQTT_TOPIC>/will, "offline: <client id>", WILL_QOS,
# WILL_RETAIN), connect, publish "alive" (QoS 1) to <MQTT_TOPIC>/status, print
# READY. MODE=kill: idle (bounded) until the test kills the process.
# MODE=disconnect: disconnect() and print DISCONNECTED.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, WILL_QOS, WILL_RETAIN, MODE.
import os
import time
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
cid = os.getenv("MQTT_CLIENT_ID")
c = MQTTClient(cid, os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=60)
c.set_last_will(T + "/will", "offline: " + cid, retain=os.getenv("WILL_RETAIN") == "1",
                qos=int(os.getenv("WILL_QOS")))
print("CONNECT", c.connect())
c.publish(T + "/status", b"alive", qos=1)
print("READY")
if os.getenv("MODE") == "disconnect":
    c.disconnect()
    print("DISCONNECTED")
else:
    t0 = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t0) < 30000:
        time.sleep_ms(50)
    print("NOT KILLED")
