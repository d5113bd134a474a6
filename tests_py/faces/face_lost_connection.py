# A broker that closes the connection (reconn=False) is an OSError in
# wait_msg(), as a closed socket is in umqtt.simple, every time it is called.
from face_common import HOST, PORT, CLIENT_ID, TOPIC, describe, face_class

MQTTClient = face_class()
c = MQTTClient(CLIENT_ID, HOST, PORT, reconn=False)
c.set_callback(lambda t, m: None)
c.connect()
c.subscribe(TOPIC)
print("READY")
for i in range(2):
    try:
        c.wait_msg()
        c.wait_msg()
        print("NO ERROR")
    except Exception as e:
        print("LOST", i, describe(e), isinstance(e, OSError))
