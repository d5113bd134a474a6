# A connect the broker refuses must raise MQTTException(<CONNACK code>), and
# the interpreter (and the module) must keep working afterwards.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID; MQTT_USER/MQTT_PASSWORD (may be
# unset: anonymous); MQTT_GOOD_USER/MQTT_GOOD_PASSWORD for the retry.
import os
from umqtt import MQTTClient, MQTTException

host = os.getenv("MQTT_HOST")
port = int(os.getenv("MQTT_PORT"))
cid = os.getenv("MQTT_CLIENT_ID")

print("SUBCLASS", issubclass(MQTTException, Exception))

c = MQTTClient(cid, host, port, os.getenv("MQTT_USER"), os.getenv("MQTT_PASSWORD"))
try:
    r = c.connect()
    print("CONNECTED", repr(r))
except MQTTException as e:
    print("REFUSED", type(e).__name__, repr(e.args[0]) if e.args else "no-args")
except Exception as e:
    print("OTHER", type(e).__name__, repr(e.args))

print("ALIVE")

good_user = os.getenv("MQTT_GOOD_USER")
if good_user:
    c2 = MQTTClient(cid + "-retry", host, port, good_user, os.getenv("MQTT_GOOD_PASSWORD"))
    print("RETRY", repr(c2.connect()))
    c2.disconnect()
print("END")
