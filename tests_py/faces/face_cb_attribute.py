# umqtt.simple's public attribute `cb`, read and set by scripts instead of
# set_callback() (`c.cb = on_msg`, `if c.cb is None`), on the face under
# test or (CB_KIND=subclass) on a script's subclass of it whose __init__
# sets self.cb: it is the callback the client calls, and reads back what
# set_callback() set.
import os
from face_common import HOST, PORT, CLIENT_ID, TOPIC, face_class

Base = face_class()
got = []


def on_msg(topic, msg):
    got.append(("on_msg", msg))


def other(topic, msg):
    got.append(("other", msg))


class Sub(Base):
    def __init__(self, *args):
        super().__init__(*args)
        self.cb = on_msg


def exchange(c, payload):
    c.publish(TOPIC, payload, qos=1)
    while len(got) < 1:
        c.wait_msg()
    r = got[:]
    got.clear()
    return r


name = os.getenv("CB_KIND", "face")
make = Sub if name == "subclass" else Base
c = make(CLIENT_ID, HOST, PORT)
print(name, "INITIAL", c.cb is (on_msg if make is Sub else None))
c.cb = on_msg
print(name, "SET", c.cb is on_msg)
c.connect()
c.subscribe(TOPIC, 1)               # needs a callback
print(name, "GOT", exchange(c, b"one"))
c.set_callback(other)
print(name, "SET_CALLBACK", c.cb is other, exchange(c, b"two"))
c.cb = on_msg
print(name, "AGAIN", c.cb is on_msg, exchange(c, b"three"))
c.cb = None
print(name, "NONE", c.cb is None)
c.disconnect()
