# Long MQTT 5 messages with properties, both ways (version=5): we publish
# BIG bytes (pattern) with properties to <T>/up at QoS 1; then with a chunk
# callback (4 KiB buffer) take the peer's BIG-byte message on <T>/down (in
# chunks) and a short one on <T>/small (whole, to the callback). Prints
# PUB, READY, CHUNKED <chunks> <total> <sha256> <properties of the chunks'
# message>, SMALL <payload> <properties>, END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, BIG.
import os
import hashlib
import binascii
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, T, items

BIG = int(os.getenv("BIG"))


def pattern(n, seed=0):
    b = bytearray(n)
    for i in range(n):
        b[i] = (i * 31 + 7 + seed) & 0xFF
    return b


c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5)
small = []
c.set_callback(small.append, message=True)
st = {"chunks": 0, "total": 0, "props": None, "h": hashlib.sha256(), "end": False}


def on_chunk(m, data, off, total):
    st["chunks"] += 1
    st["h"].update(data)
    st["props"] = items(m.properties)
    if off + len(data) == total:
        st["total"] = total
        st["end"] = True


c.set_chunk_callback(on_chunk, bytearray(4096))
c.connect()
c.subscribe(T + "/down", 1)
c.subscribe(T + "/small", 1)
print("PUB", c.publish(T + "/up", pattern(BIG), qos=1, properties={
    "content_type": "application/octet-stream", "user_properties": [("size", str(BIG))]}))
print("READY")
while not (st["end"] and small):
    c.wait_msg()
print("CHUNKED", st["chunks"] > 1, st["total"], binascii.hexlify(st["h"].digest()).decode(), st["props"])
print("SMALL", small[0].payload, items(small[0].properties))
c.disconnect()
print("END")
