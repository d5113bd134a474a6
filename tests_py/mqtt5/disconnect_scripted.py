# A DISCONNECT from the (scripted) broker: reason 0x8E Session taken over,
# without and with properties (a Reason String), and 0x8B Server shutting
# down; the simple face's check_msg() and the QuecPython face's wait_msg()
# (reconn=False) raise MQTTException(<reason>), and so does the next call;
# a QoS 1 publish that reads the DISCONNECT raises it too.
# Env: none.
import umqtt
import umqtt.simple
from v5_common import opener, err

CONNACK = b"\x20\x03\x00\x00\x00"
CASES = (
    ("plain", b"\xe0\x02\x8e\x00"),
    ("short", b"\xe0\x01\x8e"),
    ("props", b"\xe0\x0a\x8e\x08\x1f\x00\x05taken"),
    ("shutdown", b"\xe0\x02\x8b\x00"),
)
for label, disc in CASES:
    for face in ("simple", "umqtt"):
        if face == "simple":
            c = umqtt.simple.MQTTClient("c", "unused", transport=opener(CONNACK + disc, []), version=5)
            call = c.check_msg
        else:
            c = umqtt.MQTTClient("c", "unused", transport=opener(CONNACK + disc, []), version=5, reconn=False,
                                 keepalive=0)
            call = c.wait_msg
        c.connect()
        try:
            for _ in range(20):
                call()
            print(label, face, "no error")
        except Exception as e:
            print(label, face, err(e))
        try:
            c.publish("t", b"x")
            print(label, face, "then publish went through?!")
        except Exception as e:
            print(label, face, "then", err(e))
        c.close()
# The DISCONNECT read by a QoS 1 publish waiting for its PUBACK: it raises.
for face in ("simple", "umqtt"):
    if face == "simple":
        c = umqtt.simple.MQTTClient("c", "unused", transport=opener(CONNACK + CASES[0][1], []), version=5)
    else:
        c = umqtt.MQTTClient("c", "unused", transport=opener(CONNACK + CASES[0][1], []), version=5, reconn=False,
                             keepalive=0)
    c.connect()
    try:
        print("publish", face, c.publish("t", b"x", qos=1))
    except Exception as e:
        print("publish", face, err(e))
    c.close()
print("END")
