# Through the fault proxy, version=5, reconn=True: a subscription with
# subscription_identifier=9 and no_local=True, 3 QoS 1 publishes to
# LONG_TOPIC (the 2nd and 3rd by alias); READY1, then (after a line on stdin:
# the proxy has cut the connection) check_msg() until the client has
# reconnected (bounded): RECONNECTED; 3 more publishes to LONG_TOPIC and our
# own "mine" to <T>/sid; READY2; the peer publishes "theirs" to <T>/sid:
# GOT [(payload, properties)], END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, LONG_TOPIC.
import os
import sys
import time
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, T, pump, items

LONG = os.getenv("LONG_TOPIC")
events = []
got = []
c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5, reconn=True)
c.error_register_cb(events.append)
c.set_callback(got.append, message=True)
c.connect()
c.subscribe(T + "/sid", 1, subscription_identifier=9, no_local=True)
for i in range(3):
    c.publish(LONG, "a%d" % i, qos=1)
print("READY1")
sys.stdin.readline()
t0 = time.ticks_ms()
while "reconnect_success" not in events and time.ticks_diff(time.ticks_ms(), t0) < 15000:
    try:
        c.check_msg()
    except Exception as e:
        pass
    time.sleep_ms(20)
print("RECONNECTED", "reconnect_success" in events)
for i in range(3):
    c.publish(LONG, "b%d" % i, qos=1)
c.publish(T + "/sid", b"mine", qos=1)
print("READY2")
pump(c, lambda: len(got) >= 1, 10000)
pump(c, lambda: False, 500)
print("GOT", [(m.payload, items(m.properties)) for m in got])
c.disconnect()
print("END")
