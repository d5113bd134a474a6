# Defect 6: a MemoryError while the client builds an incoming message's
# objects loses nothing: the message reaches the callback once memory is
# back. Subscribes to MQTT_TOPIC at QOS, prints READY, reads a line (the peer
# has published one message meanwhile), then calls wait_msg() with the heap
# locked (it must raise MemoryError), unlocks, and polls check_msg() for up
# to 3 s (1 s more once the message came, to see a second delivery).
# Prints LOCKED <exception name or "returned"> <deliveries so far>, then
# GOT <n> <payloads>, then END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, QOS.
import micropython
import os
import sys
import time
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
got = []
c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=0)
c.set_callback(lambda t, m: got.append(m))
c.connect()
c.subscribe(T, int(os.getenv("QOS")))
print("READY")
sys.stdin.readline()
time.sleep_ms(300)
raised = "returned"
micropython.heap_lock()
try:
    c.wait_msg()
except MemoryError:
    raised = "MemoryError"
except Exception as e:
    raised = type(e).__name__
finally:
    micropython.heap_unlock()
print("LOCKED", raised, len(got))
t0 = time.ticks_ms()
limit = 3000
while time.ticks_diff(time.ticks_ms(), t0) < limit:
    c.check_msg()
    if got and limit == 3000:
        limit = time.ticks_diff(time.ticks_ms(), t0) + 1000
    time.sleep_ms(20)
print("GOT", len(got), got)
c.disconnect()
print("END")
