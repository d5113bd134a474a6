# Defect 5: one refused CONNACK with reconn=False tells error_register_cb
# once. Prints REFUSED <code> (or CONNECTED / OTHER ...), then
# CALLS <n> <texts>, then END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_USER, MQTT_PASSWORD.
import os
from umqtt import MQTTClient, MQTTException

calls = []
c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
               os.getenv("MQTT_USER"), os.getenv("MQTT_PASSWORD"), reconn=False)
c.error_register_cb(calls.append)
try:
    c.connect()
    print("CONNECTED")
except MQTTException as e:
    print("REFUSED", e.args[0] if e.args else "-")
except Exception as e:
    print("OTHER", type(e).__name__, e.args)
print("CALLS", len(calls), calls)
print("END")
