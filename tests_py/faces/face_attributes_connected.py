# Attributes that follow the session: sock, pid, topic_list, cb.
from face_common import HOST, PORT, CLIENT_ID, TOPIC, face_class

MQTTClient = face_class()
c = MQTTClient(CLIENT_ID, HOST, PORT)
c.connect()
print("SOCK", c.sock is not None and hasattr(c.sock, "setblocking"))
f = lambda t, m: None
c.set_callback(f)
print("CB", c.cb is f)
c.subscribe(TOPIC + "/a", 1)
c.subscribe(TOPIC + "/b", 0)
print("TOPICS", [t.decode()[len(TOPIC):] for t in c.topic_list])
c.publish(TOPIC + "/a", "x", qos=1)
first = c.pid
c.publish(TOPIC + "/a", "y", qos=2)
print("PID", first > 0, c.pid > 0, c.pid != first)
c.disconnect()
print("AFTER", c.sock)
