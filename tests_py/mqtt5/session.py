# Session expiry: connect clean_session=False with session_expiry_interval
# EXPIRY, subscribe <T>/s at QoS 1, disconnect, print OFFLINE and wait for a
# line on stdin (the peer publishes meanwhile); reconnect clean_session=False
# with the same properties, print SESSION <session_present>, print READY2,
# collect until the peer's "control" message arrives (bounded), print
# GOT <payloads in order>.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, EXPIRY.
import os
import sys
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, T, pump

props = {"session_expiry_interval": int(os.getenv("EXPIRY"))}
c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5)
c.set_callback(lambda t, m: print("EARLY", m))
c.connect(clean_session=False, properties=props)
c.subscribe(T + "/s", 1)
c.disconnect()
print("OFFLINE")
sys.stdin.readline()
got = []
c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5)
c.set_callback(lambda t, m: got.append(m))
c.connect(clean_session=False, properties=props)
print("SESSION", c.session_present)
c.subscribe(T + "/s", 1)
print("READY2")
pump(c, lambda: b"control" in got, 10000)
print("GOT", got)
c.disconnect()
print("END")
