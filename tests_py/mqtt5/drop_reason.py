# What the client says when it drops a connection for a packet the broker
# should not have sent (MQTT 5, 4.13.1), through a scripted broker
# (transport=): a PUBLISH above max_packet (64) gets DISCONNECT 0x95 "packet
# too large", a malformed one (QoS 3) and an unexpected one (a second
# CONNACK) 0x81 "malformed packet". At version 4 (no such packet) and at the
# broker's end of stream nothing is written.
# Prints per case "<label> <log>": what happened after the CONNECT, in
# order, separated by " ; ": W<hex> a write, C the stream closed,
# N<notice> error_register_cb, X<error> the exception wait_msg() raised.
# Then END.
from umqtt import MQTTClient
from v5_common import Script, err, hx

CONNACK5 = b"\x20\x03\x00\x00\x00"
CONNACK4 = b"\x20\x02\x00\x00"
MP_STREAM_CLOSE = 4
log = []


class Logged(Script):
    # A Script that logs its writes and its close in `log`; what it holds
    # comes after connect() has returned (`go`), the CONNACK before.
    def __init__(self, connack, later):
        Script.__init__(self, connack)
        self.later = later

    def go(self):
        self.data.extend(self.later)

    def write(self, buf):
        log.append("W" + hx(buf))
        return Script.write(self, buf)

    def ioctl(self, req, arg):
        if req == MP_STREAM_CLOSE:
            log.append("C")
        return 0


def case(label, version, data):
    made = []
    connack = CONNACK5 if version == 5 else CONNACK4

    def open_stream():
        made.append(Logged(connack, data))
        return made[-1]
    c = MQTTClient("c", "unused", transport=open_stream, version=version, reconn=False,
                   keepalive=0, max_packet=64)
    c.error_register_cb(lambda notice: log.append("N" + str(notice)))
    c.connect()
    log.clear()
    made[-1].go()
    try:
        for _ in range(20):
            c.wait_msg()
        log.append("no error")
    except Exception as e:
        log.append("X" + err(e))
    print(label, " ; ".join(log))
    c.close()


big = b"\x30\x68\x00\x01t\x00" + b"x" * 100     # 106 bytes, above max_packet 64
qos3 = b"\x36\x05\x00\x01t\x00x"
case("too_large", 5, big)
case("malformed", 5, qos3)
case("unexpected", 5, CONNACK5)
case("v4_malformed", 4, qos3)
case("v4_too_large", 4, b"\x30\x66\x00\x01t" + b"x" * 100)
case("eos", 5, b"")
print("END")
