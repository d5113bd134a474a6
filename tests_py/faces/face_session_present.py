# umqtt.simple's connect() returns the session-present flag, and scripts
# branch on it (micropython-lib's example_sub.py style); QuecPython's returns 0.
from face_common import HOST, PORT, CLIENT_ID, TOPIC, FACE, face_class

MQTTClient = face_class()
c = MQTTClient(CLIENT_ID, HOST, PORT)
print("CLEAN", repr(c.connect()))
c.disconnect()
for i in range(2):
    c = MQTTClient(CLIENT_ID, HOST, PORT)
    present = c.connect(clean_session=False)
    print("PERSISTENT", i, repr(present))
    if not present:
        c.set_callback(lambda t, m: None)
        c.subscribe(TOPIC + "/x", 1)
        print("SUBSCRIBED")
    c.disconnect()
c = MQTTClient(CLIENT_ID, HOST, PORT)
print("TIMEOUT", repr(c.connect(clean_session=True, timeout=5)))
c.disconnect()
