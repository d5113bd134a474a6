# A bytearray topic works everywhere a str or bytes one does (umqtt.simple
# takes any bytes-like topic).
from face_common import HOST, PORT, CLIENT_ID, TOPIC, face_class

MQTTClient = face_class()
got = []
c = MQTTClient(CLIENT_ID, HOST, PORT)
c.set_callback(lambda t, m: got.append((t, m)))
c.set_last_will(bytearray((TOPIC + "/will").encode()), "w")
c.connect()
t = bytearray((TOPIC + "/in").encode())
c.subscribe(t, 1)
t[0:1] = b"X"       # changing the caller's bytearray afterwards changes nothing
c.publish(bytearray((TOPIC + "/in").encode()), b"to self", qos=1)
while not got:
    c.wait_msg()
print("GOT", got[0][0] == (TOPIC + "/in").encode(), got[0][1])
c.publish(bytearray((TOPIC + "/out").encode()), b"q2", qos=2)
c.unsubscribe(bytearray((TOPIC + "/in").encode()))
print("TOPICS", c.topic_list)
c.disconnect()
