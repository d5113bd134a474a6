# micropython-lib's umqtt.robust: reconnect() resumes the session through
# self.connect(False), so a subclass's connect() override is the one called
# (and sees clean_session=False); log() prints "mqtt reconnect: %r" /
# "mqtt: %r" of the exception when DEBUG is true, nothing when it is false.
# Each expected log line is printed first ("EXPECT ..."), formatted here as
# micropython-lib formats it, and the test compares it with the next line.
from face_common import HOST, PORT, CLIENT_ID
from umqtt.robust import MQTTClient


class MyClient(MQTTClient):
    def connect(self, clean_session=True, timeout=None):
        print("CONNECT", clean_session)
        return super().connect(clean_session)


c = MyClient(CLIENT_ID, HOST, PORT)
c.connect()
print("RECONNECT", c.reconnect())
for e in (OSError(104), OSError("no route")):
    c.log(True, e)                  # DEBUG false: prints nothing
    c.DEBUG = True
    print("EXPECT", "mqtt reconnect: %r" % e)
    c.log(True, e)
    print("EXPECT", "mqtt: %r" % e)
    c.log(False, e)
    c.DEBUG = False
c.disconnect()
print("DONE")
