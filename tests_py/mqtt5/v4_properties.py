# Without version=5, properties and MQTT 5 subscription options raise
# ValueError (nothing is sent): the constructor's default (4) and version=3,
# each call on its own line: <label> <exception type> or <label> OK.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import umqtt
import umqtt.simple
from v5_common import HOST, PORT, CID, T


def check(label, f, *a, **kw):
    try:
        f(*a, **kw)
        print(label, "OK")
    except Exception as e:
        print(label, type(e).__name__)


for face, cls in (("umqtt", umqtt.MQTTClient), ("simple", umqtt.simple.MQTTClient)):
    for version in (4, 3):
        tag = "%s v%d" % (face, version)
        c = cls(CID, HOST, PORT, keepalive=30, version=version)
        check(tag + " connect(properties)", c.connect, properties={"session_expiry_interval": 10})
        check(tag + " connect(properties=None)", c.connect, properties=None)
        check(tag + " publish(properties)", c.publish, T + "/x", b"p", qos=1,
              properties={"content_type": "text/plain"})
        check(tag + " publish(properties={})", c.publish, T + "/x", b"empty", qos=1, properties={})
        check(tag + " subscribe(no_local)", c.subscribe, T + "/y", 1, no_local=True)
        check(tag + " subscribe(retain_handling)", c.subscribe, T + "/y", 1, retain_handling=2)
        check(tag + " subscribe(subscription_identifier)", c.subscribe, T + "/y", 1, subscription_identifier=5)
        check(tag + " set_last_will(properties)", c.set_last_will, T + "/w", b"w", properties={"will_delay_interval": 5})
        check(tag + " publish plain", c.publish, T + "/x", b"after", qos=1)
        c.disconnect()
print("END")
