# The broker's Maximum Packet Size (a scripted CONNACK with Maximum Packet
# Size 64): a larger PUBLISH raises MQTTException(0x95) before anything is
# written and the connection stays up; a small one is written after it.
# Prints CONNACK <properties>, BIG <error>, WROTE <bytes written since the
# CONNECT, hex>, SMALL <result>, WROTE <hex>, STA <get_mqttsta()>, END.
from umqtt import MQTTClient
from v5_common import opener, hx, err, items

made = []
connack = b"\x20\x08\x00\x00\x05\x27\x00\x00\x00\x40"
c = MQTTClient("c5", "unused", transport=opener(connack, made), keepalive=0, version=5, reconn=False)
c.connect()
print("CONNACK", items(c.connack_properties))
s = made[-1]
n0 = len(s.sent)
try:
    print("BIG", c.publish("t/big", b"x" * 100, qos=0))
except Exception as e:
    print("BIG", err(e))
print("WROTE", hx(s.sent[n0:]))
print("SMALL", c.publish("t/s", b"ok", qos=0))
print("WROTE", hx(s.sent[n0:]))
print("STA", c.get_mqttsta())
c.close()
print("END")
