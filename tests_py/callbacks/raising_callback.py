# A message callback that raises while publish(qos=2) waits for its PUBCOMP
# (issue 14's rule): publish() completes (the message went out exactly
# once: raising from it would make a script that retries send it again), and
# the callback's exception comes out of the next check_msg()/wait_msg().
import os
from umqtt import MQTTClient

HOST, PORT = os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT"))
CID, T = os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_TOPIC")
FACE = os.getenv("UMQTT_FACE", "quecpython")
if FACE == "simple":
    from umqtt.simple import MQTTClient


class Boom(Exception):
    pass


seen = []


def on_message(topic, msg):
    seen.append(msg)
    raise Boom(msg)


c = MQTTClient(CID, HOST, PORT)
c.set_callback(on_message)
c.connect()
c.subscribe(T, 2)
try:
    r = c.publish(T, b"once", qos=2)      # our own message comes back while we wait
    print("PUBLISH", repr(r))
except Exception as e:
    print("PUBLISH RAISED", type(e).__name__)
while not seen:
    try:
        c.check_msg()
    except Boom as e:
        print("EARLY", e.args[0])
print("SEEN", seen)
try:
    c.check_msg()
    print("CHECK NOTHING")
except Boom as e:
    print("CHECK RAISED", e.args[0])
try:
    c.check_msg()
    print("CHECK NOTHING")
except Boom as e:
    print("CHECK RAISED", e.args[0])
c.disconnect()
