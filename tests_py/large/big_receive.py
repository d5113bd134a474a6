# Receives one large message and one small one. CHUNK=0: both through the
# set_callback function (the large payload is read straight into its bytes
# object); CHUNK=n: the large one through set_chunk_callback into an n-byte
# buffer. Prints each payload's length and SHA-256 for the test to check.
import binascii
import gc
import hashlib
import os
from umqtt import MQTTClient

chunk = int(os.getenv("CHUNK", "0"))
c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
               keepalive=30)
done = []


def hexdigest(h):
    return binascii.hexlify(h.digest()).decode()


def on_message(topic, msg):
    print("MSG", topic.decode(), len(msg), hexdigest(hashlib.sha256(msg)))
    done.append(topic)


c.set_callback(on_message)
if chunk:
    buf = bytearray(chunk)
    state = {}

    def on_chunk(m, data, offset, total):
        if offset == 0:
            state.update(h=hashlib.sha256(), n=0, calls=0)
        assert offset == state["n"], (offset, state["n"])
        assert m.payload is None and 0 < len(data) <= chunk
        state["h"].update(data)
        state["n"] += len(data)
        state["calls"] += 1
        if offset + len(data) == total:
            print("CHUNKED", m.topic.decode(), m.qos, total, state["calls"], hexdigest(state["h"]))
            done.append(m.topic)

    c.set_chunk_callback(on_chunk, buf)
c.connect()
c.subscribe(os.getenv("MQTT_TOPIC") + "/#", 1)
gc.collect()
print("READY", gc.mem_free())
while len(done) < 2:
    c.wait_msg()
st = c.stats()
print("STATS", st["received"], st["reconnects"])
c.disconnect()
print("END")
