# max_inflight: a broker that never acknowledges; the first QoS 1 publish
# times out and stays in flight, the second finds the window (1) full and
# waits for a free slot until its timeout, unsent.
import os
import time
from umqtt import MQTTClient, MQTTException

c = MQTTClient("limits", "127.0.0.1", int(os.getenv("FAKE_PORT")), timeout=0.5, reconn=False, max_inflight=1)
c.connect()
try:
    c.publish("t/a", b"first", qos=1)
    print("FIRST returned")
except OSError as e:
    print("FIRST OSError", e.args[0])
t0 = time.ticks_ms()
try:
    c.publish("t/b", b"second", qos=1)
    print("SECOND returned")
except OSError as e:
    print("SECOND OSError", e.args[0], "after", time.ticks_diff(time.ticks_ms(), t0), "ms")
c.publish("t/c", b"qos0 still fine", qos=0)
print("QOS0 OK")
try:
    MQTTClient("x", "h", max_inflight=0)
except ValueError as e:
    print("ARG ValueError", e)
c.close()
print("ALIVE")
