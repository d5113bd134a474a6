# The client publishing to itself at QoS 0, 1 and 2 (a short payload and one
# of 64 KiB each, the long ones read straight into their bytes object), then
# a message longer than max_packet from a second client: refused (the
# connection drops, "packet too large"), as without a chunk callback.
# Prints "GOT <qos> <len> <ok>" per message in order, then "LARGE <exc>".
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import os
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
HOST, PORT = os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT"))
ID = os.getenv("MQTT_CLIENT_ID")
BIG = bytes(i * 7 % 251 for i in range(65536))
got = []


def cb(topic, msg):
    got.append((topic, msg))


c = MQTTClient(ID, HOST, PORT, keepalive=30, reconn=False)
c.set_callback(cb)
c.connect()
c.subscribe(T + "/#", 2)
sent = []
for qos in (0, 1, 2):
    for payload in (("qos%d" % qos).encode(), BIG):
        topic = "%s/q%d" % (T, qos)
        r = c.publish(topic, payload, qos=qos)
        sent.append((topic.encode(), payload))
        while len(got) < len(sent):
            c.wait_msg()
        t, m = got[-1]
        print("GOT", qos, len(m), (t, m) == sent[-1], r)
stats = c.stats()
print("STATS", stats["published_by_qos"], stats["received_by_qos"])

# Beyond max_packet (2 KiB here): no chunk callback can take it.
small = MQTTClient(ID + "-s", HOST, PORT, keepalive=30, reconn=False, max_packet=2048)
small.set_callback(cb)
small.connect()
small.subscribe(T + "/large", 0)
c.publish(T + "/large", BIG[:4096], qos=0)
try:
    for _ in range(50):
        small.wait_msg()
    print("LARGE no error")
except Exception as e:
    print("LARGE", type(e).__name__, e.args[0] if e.args else "")
small.close()
c.disconnect()
print("END")
