# publish()'s result per face when the acknowledgement is late (the test
# stalls the broker's replies): QuecPython's returns False while a re-send
# is coming (reconn=True), else raises OSError(ETIMEDOUT), as umqtt.simple's
# face always does. On time: True (QuecPython), None (umqtt.simple).
import os, sys
from face_common import HOST, PORT, CLIENT_ID, TOPIC, FACE, describe, face_class

RECONN = os.getenv("RECONN") == "1"
MQTTClient = face_class()
c = MQTTClient(CLIENT_ID, HOST, PORT, reconn=RECONN, timeout=1)
c.connect()
for qos in (0, 1, 2):
    print("ON_TIME", qos, repr(c.publish(TOPIC, "on time %d" % qos, qos=qos)))
print("STALL")
sys.stdin.readline()
try:
    print("LATE", repr(c.publish(TOPIC, "late", qos=1)))
except Exception as e:
    print("LATE", describe(e))
print("STATUS", c.get_mqttsta())
