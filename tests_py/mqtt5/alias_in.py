# Incoming topic aliases from a scripted broker (version=5, the client
# advertises topic_alias_maximum 4):
# A. "a/b" with alias 1, then empty topics with alias 1 (QoS 0 and QoS 1),
#    then alias 1 mapped again to "c/d" and used: every message delivered
#    with its full topic;
# B. an empty topic with alias 2, never set; C. "a/c" with alias 5, above
#    the 4 advertised; D. alias 0: each drops the connection (an exception),
#    nothing delivered, not even the valid PUBLISH that follows;
# E. topic_alias_maximum 100 asked: 16 advertised, alias 16 taken, 17 not;
# F. a QoS 2 duplicate that sets an alias: delivered once, the alias kept.
# Env: none.
from umqtt import MQTTClient
from v5_common import opener, hx, err


def publish(topic, payload, alias=None, qos=0, pid=0):
    props = b"" if alias is None else bytes([0x23, alias >> 8, alias & 0xFF])
    var = bytes([len(topic) >> 8, len(topic) & 0xFF]) + topic
    if qos:
        var += bytes([pid >> 8, pid & 0xFF])
    var += bytes([len(props)]) + props
    body = var + payload
    return bytes([0x30 | (qos << 1), len(body)]) + body


CONNACK = b"\x20\x03\x00\x00\x00"
made = []
got = []


def client(data):
    c = MQTTClient("c5", "unused", transport=opener(data, made), keepalive=0, version=5, reconn=False)
    c.set_callback(got.append, message=True)
    c.connect(properties={"topic_alias_maximum": 4})
    return c


good = (CONNACK + publish(b"a/b", b"one", 1) + publish(b"", b"two", 1) + publish(b"", b"three", 1, 1, 5)
        + publish(b"c/d", b"four", 1) + publish(b"", b"five", 1))
c = client(good)
while len(got) < 5:
    c.wait_msg()
print("A", [(m.topic, m.payload, m.qos) for m in got])
s = made[-1].sent
print("CONNECT", hx(s[:s[1] + 2]))
print("AFTER", hx(s[s[1] + 2:]))
c.close()

tail = publish(b"z/ok", b"valid", None)
for label, bad in (("B", publish(b"", b"unset", 2)), ("C", publish(b"a/c", b"above", 5)),
                   ("D", publish(b"a/e", b"zero", 0))):
    got[:] = []
    c = client(CONNACK + bad + tail)
    try:
        for _ in range(20):
            c.wait_msg()
        print(label, "no error")
    except Exception as e:
        print(label, "DROPPED", type(e).__name__)
    print(label, "delivered", [(m.topic, m.payload) for m in got])
    c.close()
# E. topic_alias_maximum above 16 is advertised as 16: alias 16 is taken, 17 drops.
got[:] = []
made[:] = []
for label, alias in (("E16", 16), ("E17", 17)):
    data = CONNACK + publish(b"e/f", b"edge", alias) + publish(b"", b"again", alias)
    c = MQTTClient("c5", "unused", transport=opener(data, made), keepalive=0, version=5, reconn=False)
    c.set_callback(got.append, message=True)
    try:
        c.connect(properties={"topic_alias_maximum": 100})
    except Exception as e:
        print(label, "CONNECT", err(e))
        continue
    try:
        for _ in range(20):
            c.wait_msg()
            if len(got) == 2:
                break
        print(label, "ok")
    except Exception as e:
        print(label, "DROPPED", type(e).__name__)
    print(label, "delivered", [(m.topic, m.payload) for m in got])
    got[:] = []
    c.close()
s = made[0].sent if made else b""
print("E CONNECT", hx(s[:s[1] + 2]) if len(s) > 1 else "none")

# F. A QoS 2 message, then its DUP copy (before PUBREL) that sets alias 3:
#    delivered once, and the alias set by the copy resolves the next PUBLISH.
got[:] = []
made[:] = []
dup = publish(b"q/2", b"once", 3, 2, 9)
dup = bytes([dup[0] | 0x08]) + dup[1:]
c = client(CONNACK + publish(b"q/2", b"once", None, 2, 9) + dup + b"\x62\x02\x00\x09"
           + publish(b"", b"by alias", 3))
try:
    while len(got) < 2:
        c.wait_msg()
except Exception as e:
    print("F", err(e))
print("F delivered", [(m.topic, m.payload, m.qos) for m in got])
s = made[0].sent
print("F sent", hx(s[s[1] + 2:]))
c.close()
print("END")
