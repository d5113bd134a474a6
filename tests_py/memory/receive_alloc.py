# Per received message, the heap grows by the topic and payload objects
# handed to the callback and by nothing else.
#
# Subscribes to MQTT_TOPIC at SUB_QOS, prints READY, handles WARM messages
# (buffers reach their size), then counts gc.mem_alloc() over the next N_MSGS
# messages with the collector disabled. The peer sends every message to
# MQTT_TOPIC with a payload of PAYLOAD_LEN bytes. Prints
#   ALLOC <measured bytes> <expected bytes> <n>
# where expected = n * (heap taken by bytes(topic) + by bytes(payload)),
# measured on this firmware the same way; then END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, SUB_QOS, WARM,
#      N_MSGS, PAYLOAD_LEN.
import gc
import os
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
WARM = int(os.getenv("WARM"))
N = int(os.getenv("N_MSGS"))
PLEN = int(os.getenv("PAYLOAD_LEN"))
count = [0]
bad = [0]


def cb(topic, msg):
    count[0] += 1
    if len(msg) != PLEN or len(topic) != len(T):
        bad[0] += 1


def expected_one():
    # What one message's objects take: bytes made from a buffer, as the
    # module makes them.
    src_t = bytearray(len(T))
    src_p = bytearray(PLEN)
    gc.collect()
    a = gc.mem_alloc()
    t = bytes(src_t)
    p = bytes(src_p)
    b = gc.mem_alloc()
    return b - a


def measure(c):
    wait = c.wait_msg
    while count[0] < WARM:
        wait()
    target = WARM + N
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    while count[0] < target:
        wait()
    b = gc.mem_alloc()
    gc.enable()
    return b - a


c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=30)
c.set_callback(cb)
c.connect()
c.subscribe(T, int(os.getenv("SUB_QOS")))
one = expected_one()
print("READY")
got = measure(c)
print("ALLOC", got, N * one, N)
print("BAD", bad[0])
c.disconnect()
print("END")
