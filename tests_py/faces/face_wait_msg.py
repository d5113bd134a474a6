# wait_msg() waits for a message: the client's own keep-alive PINGRESPs do
# not end it (keepalive=1: one every half second). The PINGRESP to the
# script's own ping() does, as in umqtt.simple.
import time
from face_common import HOST, PORT, CLIENT_ID, TOPIC, face_class

MQTTClient = face_class()
got = []
c = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=1)
c.set_callback(lambda t, m: got.append(m))
c.connect()
c.subscribe(TOPIC, 1)
c.ping()
t0 = time.ticks_ms()
c.wait_msg()
print("PING_ENDS", time.ticks_diff(time.ticks_ms(), t0) < 2000, got)
print("READY")
t0 = time.ticks_ms()
c.wait_msg()
print("WAITED", time.ticks_diff(time.ticks_ms(), t0) >= 2500, got)
c.disconnect()
