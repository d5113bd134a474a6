# Defect 4: one unread message must not stop the background keep-alive.
# keepalive=2, reconn=True, a will on <T>/will. Subscribes to <T>/in (QoS 1),
# prints READY, reads a line (the peer has published one message to <T>/in
# meanwhile), then sleeps IDLE_S seconds without touching the client (the
# message sits unread). Then prints STA, wait_msg() (the message), GOT,
# publishes "after" to <T>/out (QoS 1), prints EVENTS (error_register_cb
# texts) and END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, IDLE_S.
import os
import sys
import time
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
events = []
got = []
c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=2)
c.set_last_will(T + "/will", "the device vanished", qos=1)
c.error_register_cb(events.append)
c.set_callback(lambda t, m: got.append(m))
c.connect()
c.subscribe(T + "/in", 1)
print("READY")
sys.stdin.readline()
time.sleep(float(os.getenv("IDLE_S")))
print("STA", c.get_mqttsta())
c.wait_msg()
print("GOT", got)
c.publish(T + "/out", "after", qos=1)
print("EVENTS", events)
c.disconnect()
print("END")
