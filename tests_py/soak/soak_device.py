# The device side of the soak (test_soak.py): QuecPython face, reconn=True,
# clean_session=False, through the fault proxy. For SOAK_S seconds:
#   - publishes to <T>/up/q0, q1, q2 in turn, payload "u<qos>:<seq>",
#     recording which QoS 1/2 publishes were accepted (True, or False: in
#     flight) and which raised (not sent);
#   - receives <T>/down/q1 and q2 from the peer (a thread in wait_msg()),
#     counting distinct and duplicate sequence numbers per QoS;
#   - subscribes and unsubscribes <T>/churn every few seconds;
#   - every SAMPLE_MS prints "SAMPLE <ms> <heap bytes in use after gc.collect()>".
# Then it prints DRAIN and reads from stdin how many QoS 1 and QoS 2
# messages the peer published ("<n1> <n2>", sent once the peer has stopped
# and every one of them is acknowledged by the broker), pumps until each of
# them has arrived and every accepted message is acknowledged (bounded),
# prints summary lines (MISSING<qos>: the peer's messages that never came)
# and END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, SOAK_S, SAMPLE_MS.
import gc
import os
import sys
import time
import _thread
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
SOAK_MS = int(float(os.getenv("SOAK_S")) * 1000)
SAMPLE_MS = int(os.getenv("SAMPLE_MS") or "5000")
N_MAX = 200000
IN = {(T + "/down/q1").encode(): 1, (T + "/down/q2").encode(): 2}
seen = {1: bytearray(N_MAX), 2: bytearray(N_MAX)}
st = {"dup1": 0, "dup2": 0, "rx1": 0, "rx2": 0, "bad": 0, "rs": 0, "rok": 0, "stop": False, "reader": True}
lock = _thread.allocate_lock()


def on_message(topic, msg):
    qos = IN.get(topic, 0)
    if qos == 0:
        return                      # churn topic
    try:
        i = int(msg[3:])
    except ValueError:
        i = -1
    with lock:
        if i < 0 or i >= N_MAX or msg[:3] != b"d%d:" % qos:
            st["bad"] += 1
        elif seen[qos][i]:
            st["dup%d" % qos] += 1
        else:
            seen[qos][i] = 1
            st["rx%d" % qos] += 1


def on_error(text):
    if text == "reconnect_start":
        st["rs"] += 1
    elif text == "reconnect_success":
        st["rok"] += 1


c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
               keepalive=5, timeout=5)
c.set_callback(on_message)
c.error_register_cb(on_error)
c.connect(clean_session=False)
c.subscribe(T + "/down/q1", 1)
c.subscribe(T + "/down/q2", 2)


def reader():
    while not st["stop"]:
        try:
            c.check_msg()
        except OSError:
            pass
        time.sleep_ms(5)
    st["reader"] = False


_thread.start_new_thread(reader, ())
print("READY")
accepted = {1: bytearray(N_MAX), 2: bytearray(N_MAX)}    # preallocated: no heap growth
unsent = 0
seq = 0
t0 = time.ticks_ms()
next_sample = 0
next_churn = 2000
churned = 0
while time.ticks_diff(time.ticks_ms(), t0) < SOAK_MS:
    now = time.ticks_diff(time.ticks_ms(), t0)
    if now >= next_sample:
        gc.collect()
        print("SAMPLE", now, gc.mem_alloc())
        next_sample += SAMPLE_MS
    if now >= next_churn:
        try:
            c.subscribe(T + "/churn", churned % 3)
            c.unsubscribe(T + "/churn")
            churned += 1
        except OSError:
            pass
        next_churn += 3000
    qos = seq % 3
    try:
        r = c.publish(T + "/up/q%d" % qos, "u%d:%d" % (qos, seq), qos=qos)
        if qos:
            accepted[qos][seq] = 1
    except OSError:
        unsent += 1
    seq += 1
    time.sleep_ms(10)
st["stop"] = True
while st["reader"]:
    time.sleep_ms(10)
print("DRAIN")
# The keep-alive thread pings while this waits for the test's line.
sent = [0] + [int(x) for x in sys.stdin.readline().split()]


def missing(qos):
    return [i for i in range(sent[qos]) if not seen[qos][i]]


# Let what is still in flight go out and be acknowledged (reconn=True), and
# what the peer sent come in.
t1 = time.ticks_ms()
while time.ticks_diff(time.ticks_ms(), t1) < 30000:
    c.check_msg()
    time.sleep_ms(20)
    if (c.get_mqttsta() == 0 and time.ticks_diff(time.ticks_ms(), t1) > 3000
            and st["rx1"] >= sent[1] and st["rx2"] >= sent[2] and not missing(1) and not missing(2)):
        break
gc.collect()
print("SAMPLE", time.ticks_diff(time.ticks_ms(), t0), gc.mem_alloc())
print("PUBLISHED", seq, "UNSENT", unsent, "CHURNED", churned)
for q in (1, 2):
    # In lines of 200: one line of them all would not fit a small heap.
    chunk = []
    for i in range(seq):
        if accepted[q][i]:
            chunk.append(i)
            if len(chunk) == 200:
                print("ACCEPTED%d" % q, " ".join(str(x) for x in chunk))
                chunk = []
    print("ACCEPTED%d" % q, " ".join(str(x) for x in chunk))
print("RECEIVED", st["rx1"], st["rx2"], "DUP", st["dup1"], st["dup2"], "BAD", st["bad"])
for q in (1, 2):
    print("MISSING%d" % q, " ".join(str(i) for i in missing(q)[:50]))
print("RECONNECTS", st["rs"], st["rok"])
print("STATS", c.stats())
c.disconnect()
print("END")
