# Set a last will, connect, then close() (socket only, no DISCONNECT) and stay
# alive until a line arrives on stdin: the broker must publish the will
# while the process still runs.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import os
import sys
from umqtt import MQTTClient

c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=60)
c.set_last_will(os.getenv("MQTT_TOPIC") + "/will", b"closed \x00\xff", retain=False, qos=1)
print("CONNECT", repr(c.connect()))
c.close()
print("CLOSED")
sys.stdin.readline()
print("END")
