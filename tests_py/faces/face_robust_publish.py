# umqtt.robust's publish() retried after a cut waits on the message already
# in flight (its packet identifier) and never sends a second copy.
import os
from face_common import HOST, PORT, CLIENT_ID, TOPIC
from umqtt.robust import MQTTClient


class Quiet(MQTTClient):
    DELAY = 0.1

    def log(self, in_reconnect, e):
        print("LOG", in_reconnect, type(e).__name__)


QOS = int(os.getenv("QOS"))
c = Quiet(CLIENT_ID, HOST, PORT, timeout=3)
c.connect(clean_session=False)
print("PUBLISH", repr(c.publish(TOPIC, b"exactly one", qos=QOS)))
c.disconnect()
