# connect() to a port where nothing listens must raise (OSError or
# MQTTException) promptly, and the interpreter must keep running.
# Prints: REFUSED <ExceptionType> <ms>  (or CONNECTED ...), then ALIVE.
# Env: MQTT_HOST, MQTT_PORT (a closed port), MQTT_CLIENT_ID.
import os
import time
from umqtt import MQTTClient, MQTTException

c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=30)
t0 = time.ticks_ms()
try:
    r = c.connect()
    print("CONNECTED", repr(r))
except Exception as e:
    print("REFUSED", type(e).__name__, time.ticks_diff(time.ticks_ms(), t0))
print("ALIVE")
