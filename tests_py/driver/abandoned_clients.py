# Defect 3: a client the script drops without disconnect() is finalised: its
# background keep-alive thread stops and its socket is closed.
# Makes N_CLIENTS clients (keepalive=2), connects each to the broker and
# drops it (the reference lives only in make_one()'s frame), runs
# gc.collect() a few times, sleeps 3 s and prints CHECK; the test then
# inspects this process (/proc) and the broker's log, and sends a line, after
# which the script prints END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID (prefix: <id>-<i>), N_CLIENTS.
import gc
import os
import sys
import time
from umqtt import MQTTClient

HOST = os.getenv("MQTT_HOST")
PORT = int(os.getenv("MQTT_PORT"))
CID = os.getenv("MQTT_CLIENT_ID")
N = int(os.getenv("N_CLIENTS"))


def make_one(i):
    c = MQTTClient("%s-%d" % (CID, i), HOST, PORT, keepalive=2)
    c.connect()
    c = None


def churn(depth=40):
    # Overwrite stale stack slots so the conservative collector finds no
    # leftover pointer to a client: connect()'s C frames ran deeper than
    # gc.collect() at module level does, and slots its frames never write
    # (padding, unused locals) keep what was there. Recursing deeper than
    # connect() went writes fresh frames over all of it.
    if depth:
        return churn(depth - 1)
    x = [0] * 32
    return len(x)


for i in range(N):
    make_one(i)
print("CONNECTED", N)
for _ in range(3):
    churn()
    gc.collect()
time.sleep(3)
gc.collect()
print("CHECK")
sys.stdin.readline()
print("END")
