# A set_last_will() call that fails its checks raises and leaves the will
# set before it whole: set a valid will, try invalid ones (each must raise),
# connect, then close() (socket only, no DISCONNECT): the broker must
# publish the first will, as it was set. Stays alive until a line arrives
# on stdin.
# Prints <case> <exception type> per invalid call, CONNECT 0, CLOSED, END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, MQTT_VERSION.
import os
import sys
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
VERSION = int(os.getenv("MQTT_VERSION"))
# Properties these calls refuse: any below version 5, an unknown name at 5.
BAD_PROPS = {"will_delay_interval": 5} if VERSION == 4 else {"no_such_property": 5}
INVALID = (
    ("qos-3", (T + "/other", b"other", True, 3), {}),
    ("qos-negative", (T + "/other", b"other", True, -1), {}),
    ("topic-wildcard", (T + "/+/x", b"other", True, 2), {}),
    ("topic-int", (42, b"other", True, 2), {}),
    ("topic-empty", ("", b"other", True, 2), {}),
    ("msg-int", (T + "/other", 42, True, 2), {}),
    ("properties", (T + "/other", b"other", True, 2), {"properties": BAD_PROPS}),
    ("misspelt-keyword", (T + "/other", b"other"), {"qos": 2, "retian": True}),
)

c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=60,
               version=VERSION)
c.set_last_will(T + "/will", b"original", False, 0)
for name, args, kw in INVALID:
    try:
        c.set_last_will(*args, **kw)
        print(name, "ACCEPTED")
    except Exception as e:
        print(name, type(e).__name__)
print("CONNECT", repr(c.connect()))
c.close()
print("CLOSED")
sys.stdin.readline()
print("END")
