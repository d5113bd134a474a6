# umqtt.robust subclassed as applications do: log(), delay() and reconnect()
# overridden. The broker is killed while the client waits in wait_msg() and
# restarted: robust calls our log(False, e), then our reconnect(), whose
# super().reconnect() loops connect(False) with our log(True, e) and our
# delay(i) until the broker is back. Our reconnect() subscribes again (the
# restarted broker kept no session) and the message after it arrives.
import time
from diffimpl import CLIENT_ID, HOST, PORT, TOPIC, kind, out, robust

got = []


class Client(robust.MQTTClient):
    def delay(self, i):
        out("delay", i > 0)
        time.sleep_ms(200)

    def log(self, in_reconnect, e):
        out("log", "{} {}".format(in_reconnect, type(e).__name__))

    def reconnect(self):
        out("reconnect", "start")
        r = super().reconnect()
        out("reconnect_returned", "{} {}".format(kind(r), bool(r)))
        out("resubscribe", kind(self.subscribe(TOPIC, 1)))
        out("reconnected", "")  # the test publishes the second message now
        return r


def cb(topic, msg):
    got.append(msg)
    out("message", repr(msg))


c = Client(CLIENT_ID, HOST, PORT)
c.set_callback(cb)
out("connect", kind(c.connect()))
out("subscribe", kind(c.subscribe(TOPIC, 1)))
out("ready", "")  # the test publishes the first message now
while len(got) < 1:
    c.wait_msg()
out("killing", "")  # the test kills the broker now and restarts it 1.5 s later
while len(got) < 2:
    c.wait_msg()
out("publish_after", kind(c.publish(TOPIC + "/after", b"after restart", qos=1)))
out("disconnect", kind(c.disconnect()))
