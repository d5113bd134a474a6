# micropython-lib's robust pattern: a subclass overriding log() and
# reconnect() (which calls super().reconnect()) and delay(); wait_msg()
# survives cuts of the connection, with the overrides the ones called.
from face_common import HOST, PORT, CLIENT_ID, TOPIC
from umqtt.robust import MQTTClient


class MyClient(MQTTClient):
    DELAY = 0.2

    def log(self, in_reconnect, e):
        print("LOG", in_reconnect, type(e).__name__)

    def delay(self, i):
        print("DELAY", i)
        super().delay(i)

    def reconnect(self):
        print("RECONNECT")
        return super().reconnect()


got = []
c = MyClient(CLIENT_ID, HOST, PORT)
c.set_callback(lambda t, m: got.append(m))
if not c.connect(clean_session=False):
    c.subscribe(TOPIC, 1)
print("READY")
while len(got) < 2:
    c.wait_msg()
print("GOT", got)
c.disconnect()
