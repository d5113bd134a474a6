# subscribe() with no callback set is refused, as umqtt.simple asserts and
# QuecPython refuses: its messages would be dropped silently.
from face_common import HOST, PORT, CLIENT_ID, TOPIC, describe, face_class

for face in ("quecpython", "simple", "robust"):
    c = face_class(face)(CLIENT_ID, HOST, PORT)
    c.connect()
    try:
        c.subscribe(TOPIC)
        print(face, "SUBSCRIBED")
    except Exception as e:
        print(face, type(e).__name__)
    c.set_callback(lambda t, m: None)
    c.subscribe(TOPIC)
    print(face, "OK")
    c.disconnect()
