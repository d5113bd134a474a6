# subscribe() + wait_msg() with messages from a paho peer; check_msg() with
# nothing waiting; subscribe() without a callback.
import sys
from diffimpl import CLIENT_ID, HOST, PORT, TOPIC, kind, out, raised, simple

got = []


def cb(topic, msg):
    got.append((topic, msg))
    out("cb", "{} {} {!r}".format(type(topic).__name__, type(msg).__name__, msg))
    out("cb_topic_is_ours", topic == TOPIC.encode())


c = simple.MQTTClient(CLIENT_ID, HOST, PORT, keepalive=30)
out("connect", kind(c.connect()))
out("subscribe_without_callback", raised(c.subscribe, TOPIC, 1))
c.set_callback(cb)
out("cb_attribute_is_callback", c.cb is cb)
out("subscribe", kind(c.subscribe(TOPIC, 1)))
out("check_msg_nothing", kind(c.check_msg()))
out("ready", "")  # the test publishes two messages now (QoS 0, then QoS 1)
while len(got) < 2:
    out("wait_msg", kind(c.wait_msg()))
out("disconnect", kind(c.disconnect()))
