# The device side of the hostile-broker tests: one attempt against a fake
# broker that misbehaves, then a second connect() on the same client object
# (the fake broker behaves the second time) to show the client is still usable.
import os
from umqtt import MQTTClient, MQTTException

port = int(os.getenv("FAKE_PORT"))
case = os.getenv("CASE")
c = MQTTClient("hostile", "127.0.0.1", port, timeout=2, reconn=False)
try:
    c.connect()
    if case == "puback_short":
        c.publish("t", "x", qos=1)
    else:
        c.wait_msg()
    print("RESULT none")
except MQTTException as e:
    print("RESULT MQTTException", e.args)
except OSError as e:
    print("RESULT OSError", e.args)
print("STA", c.get_mqttsta())
print("RECONNECT", c.connect())
c.publish("t/ok", "fine", qos=1)
c.disconnect()
print("ALIVE")
