# A long message waiting in the socket while the heap is locked: check_msg()
# raises MemoryError before anything is consumed or acknowledged (never in
# the middle of a packet), and the message arrives whole once the heap is
# free again. (With keepalive > 0 the keep-alive thread, whose heap is not
# locked, could read the message first.)
import micropython
import os
import time
from umqtt import MQTTClient

c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
               keepalive=0)     # no keep-alive thread: this thread reads
got = []
c.set_callback(lambda t, m: got.append((len(m), m == bytes(range(256)) * 40)))
c.connect()
c.subscribe(os.getenv("MQTT_TOPIC"), 1)
print("READY")
time.sleep_ms(int(os.getenv("SETTLE_MS", "1000")))     # the message is in the socket
raised = 0
micropython.heap_lock()
try:
    for _ in range(20):
        try:
            c.check_msg()
        except MemoryError:
            raised += 1
finally:
    micropython.heap_unlock()
print("LOCKED", raised, got)
while not got:
    c.wait_msg()
st = c.stats()
print("GOT", got, st["received"], st["reconnects"])
c.disconnect()
