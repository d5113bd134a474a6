# QuecPython's constructor keywords and delay(): manage and ipvtype are
# accepted (ipvtype=1 resolves the server as IPv6), delay() sleeps DELAY s.
import time
from face_common import PORT, CLIENT_ID
from umqtt import MQTTClient

c = MQTTClient(CLIENT_ID, "::1", PORT, None, None, 60, False, {}, True, 4, 0, True, 1)
print("ARGS", c.manage, c.ipvtype, c.reconn)
print("CONNECT", c.connect())
c.disconnect()
c.DELAY = 0.3
t0 = time.ticks_ms()
c.delay(1)
print("DELAY", 250 <= time.ticks_diff(time.ticks_ms(), t0) < 2000)
