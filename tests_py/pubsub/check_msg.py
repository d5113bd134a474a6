# check_msg() must return None at once when nothing is waiting, and hand a
# message to the callback once one is there.
# Prints: EMPTY <repr> <ms>; READY; GOT <hex(topic)> <msg repr> <polls>;
# EMPTY_AGAIN <repr> <ms>; END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import os
import time
import binascii
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
got = []


def cb(topic, msg):
    got.append((topic, msg))


c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=30)
c.set_callback(cb)
c.connect()
c.subscribe(T + "/in", 1)

t0 = time.ticks_ms()
r = c.check_msg()
print("EMPTY", repr(r), time.ticks_diff(time.ticks_ms(), t0))
print("READY")

# Poll (bounded) until the peer's message arrives.
polls = 0
t0 = time.ticks_ms()
while not got and time.ticks_diff(time.ticks_ms(), t0) < 10000:
    c.check_msg()
    polls += 1
    if not got:
        time.sleep_ms(5)
if got:
    print("GOT", binascii.hexlify(got[0][0]).decode(), repr(got[0][1]), polls)
else:
    print("TIMEOUT", polls)

t0 = time.ticks_ms()
r = c.check_msg()
print("EMPTY_AGAIN", repr(r), time.ticks_diff(time.ticks_ms(), t0))
print("COUNT", len(got))
c.disconnect()
print("END")
