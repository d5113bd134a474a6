# Defect 1 (connect): connect() to a server that never completes the MQTT
# handshake must raise within its bound. Prints START just before the call,
# then CONNECT <ms> <outcome> (OK, or the exception type and args), then END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, TIMEOUT.
import os
import time
from umqtt import MQTTClient

c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
               keepalive=0, timeout=float(os.getenv("TIMEOUT")))
print("START")
t0 = time.ticks_ms()
try:
    c.connect()
    out = "OK"
except Exception as e:
    out = "%s %r" % (type(e).__name__, e.args)
print("CONNECT", time.ticks_diff(time.ticks_ms(), t0), out)
print("END")
