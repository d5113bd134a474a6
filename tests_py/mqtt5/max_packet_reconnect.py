# Our Maximum Packet Size is decided for each CONNECT, reconnects included
# (scripted broker: each connection gets a CONNACK, then end of stream, so
# the client, reconn=True, reconnects): max_packet=4096 advertised on the
# first connection; a chunk callback set after connect() takes messages of
# any size, so the reconnect advertises none; cleared, the next one does
# again. Prints PROPS <n> <connect properties, hex> for each of the three
# connections, END.
import time
from umqtt import MQTTClient
from v5_common import opener, hx

CONNACK = b"\x20\x03\x00\x00\x00"
made = []


def connect_props(sent):
    # CONNECT: type, 1-byte remaining length, "\0\4MQTT", 5, flags,
    # keep-alive (2), then the property length (1 byte here) and properties.
    assert sent[0] == 0x10 and sent[2:9] == b"\x00\x04MQTT\x05", sent
    return sent[13:13 + sent[12]]


def wait_connection(c, n):
    # check_msg() until the n-th connection has written its CONNECT (bounded).
    t0 = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t0) < 10000:
        if len(made) >= n and len(made[n - 1].sent) > 0:
            return True
        try:
            c.check_msg()
        except Exception:
            pass
        time.sleep_ms(20)
    return False


c = MQTTClient("c5", "unused", transport=opener(CONNACK, made), keepalive=0, version=5, reconn=True,
               max_packet=4096)
c.connect()
print("PROPS", 1, hx(connect_props(made[0].sent)))
c.set_chunk_callback(lambda *a: None, bytearray(256))
print("PROPS", 2, hx(connect_props(made[1].sent)) if wait_connection(c, 2) else "none")
c.set_chunk_callback(None, None)
print("PROPS", 3, hx(connect_props(made[2].sent)) if wait_connection(c, 3) else "none")
c.close()
print("END")
