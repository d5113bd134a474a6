# The application leaves the client alone (time.sleep) for several keep-alive
# periods: the client's background keep-alive must keep the connection, and
# with a frozen broker notice the loss by itself.
import os
import time
from umqtt import MQTTClient

mode = os.getenv("MODE")
topic = os.getenv("TOPIC")
events = []
got = []


def on_error(text):
    events.append((time.time(), text))


c = MQTTClient(os.getenv("CLIENT_ID"), "127.0.0.1", int(os.getenv("MQTT_PORT")), keepalive=2,
               reconn=(mode != "freeze"))
c.error_register_cb(on_error)
c.set_callback(lambda t, m: got.append(m))
c.connect()
c.subscribe(topic, 1)
print("READY")
if mode == "idle":
    time.sleep(7)               # 3.5 x keepalive without a single call into the client
    print("STA", c.get_mqttsta())
    c.publish(topic, b"after idle", qos=1)
    while not got:              # it may come while publish() waits for its PUBACK
        c.wait_msg()
    print("GOT", got, "EVENTS", [e[1] for e in events])
else:
    t0 = time.ticks_ms()
    while not events and time.ticks_diff(time.ticks_ms(), t0) < 10000:
        time.sleep_ms(50)       # idle in the application's own code
    print("NOTICED", events[0][0] if events else None, repr(events[0][1]) if events else "")
    print("STA", c.get_mqttsta())
c.disconnect()
print("DONE")
