# subscribe() options out of range raise ValueError naming the argument and
# the range its value must be in (the driver checks and packs the options,
# the shim names the one refused), before anything is sent and before the
# callback check; MQTT 5's options without version=5 say so, after the
# ranges; good options go on to the callback check. Each call on its own
# line: <label> <exception type> <message>, or <label> OK.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import umqtt
import umqtt.simple
from v5_common import HOST, PORT, CID, T


def check(label, f, *a, **kw):
    try:
        f(*a, **kw)
        print(label, "OK")
    except Exception as e:
        print(label, type(e).__name__, e)


for face, cls in (("umqtt", umqtt.MQTTClient), ("simple", umqtt.simple.MQTTClient)):
    c5 = cls(CID, HOST, PORT, keepalive=30, version=5)
    c4 = cls(CID, HOST, PORT, keepalive=30)
    check(face + " v5 retain_handling=3", c5.subscribe, T, 1, retain_handling=3)
    check(face + " v5 retain_handling=-1", c5.subscribe, T, 1, retain_handling=-1)
    check(face + " v5 subscription_identifier=0", c5.subscribe, T, 1, subscription_identifier=0)
    check(face + " v5 subscription_identifier=268435456", c5.subscribe, T, 1, subscription_identifier=268435456)
    check(face + " v5 qos=3", c5.subscribe, T, 3, no_local=True)
    check(face + " v4 no_local", c4.subscribe, T, 1, no_local=True)
    check(face + " v4 subscription_identifier=7", c4.subscribe, T, 1, subscription_identifier=7)
    check(face + " v4 retain_handling=3", c4.subscribe, T, 1, retain_handling=3)
    check(face + " v5 good", c5.subscribe, T, 1, no_local=True, retain_as_published=True, retain_handling=2,
          subscription_identifier=268435455)
print("END")
