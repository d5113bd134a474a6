# The blocking client is pollable, and a callback can take message objects:
# select.poll() wakes when a message waits (not before), the callback gets
# .topic/.payload/.qos/.retain/.dup/.properties, a retained message shows
# .retain True. Prints one line per check.
import os, select, time
from umqtt import MQTTClient

HOST, PORT = os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT"))
CID, T = os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_TOPIC")
got = []
c = MQTTClient(CID, HOST, PORT, keepalive=30)
c.set_callback(got.append, message=True)
c.connect()
c.subscribe(T + "/live", 2)
p = select.poll()
p.register(c, select.POLLIN)
print("IDLE", p.poll(300))
print("READY")
t0 = time.ticks_ms()
events = p.poll(10000)
print("WOKE", [ev & select.POLLIN for _, ev in events], time.ticks_diff(time.ticks_ms(), t0) < 9000)
c.check_msg()
m = got[-1]
print("LIVE", m.topic == (T + "/live").encode(), m.payload, m.qos, m.retain, m.dup, m.properties)
c.subscribe(T + "/kept", 1)
while len(got) < 2:
    c.wait_msg()
m = got[-1]
print("RETAINED", m.payload, m.qos, m.retain)
c.set_callback(lambda topic, msg: got.append((topic, msg)))   # the two-argument form again
print("READY2")
while len(got) < 3:
    c.wait_msg()
print("PAIR", got[-1][1])
s = c.stats()
print("STATS", s["received"], s["received_by_qos"], s["published"], s["connects"], s["bytes_received"] > 0,
      s["bytes_sent"] > 0)
c.disconnect()
