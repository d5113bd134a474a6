# A QoS 1 publish of a mutable payload that outlives the call: the message
# stays in flight, the script reuses its buffer, and the re-send after the
# reconnect must carry what was published. Every connection goes through
# the test's fault proxy, with clean_session=False.
# SCENARIO:
#   late-false  QuecPython face, reconn=True: the proxy holds the PUBLISH;
#               publish() returns False at its timeout. After "go" (the
#               test has cut the connection) the client reconnects itself.
#   late-raise  umqtt.simple face, reconn=False: the same hold; publish()
#               raises OSError(ETIMEDOUT). After "go": connect() by hand.
#   lost        umqtt.simple face, reconn=False: the proxy cuts in the
#               middle of the PUBLISH; publish() raises OSError while it
#               waits for the PUBACK; connect() by hand.
# KIND: bytearray, or memoryview (of a bytearray).
# Prints PUBLISH <outcome>, READY (then reads a line when the scenario
# waits for the test), CONNECT <outcome>, AFTER <outcome>, END.
# Env: MQTT_HOST, MQTT_PORT (the proxy), MQTT_CLIENT_ID, MQTT_TOPIC,
# SCENARIO, KIND.
import os
import sys
import time
import umqtt
import umqtt.simple

HOST = os.getenv("MQTT_HOST")
PORT = int(os.getenv("MQTT_PORT"))
T = os.getenv("MQTT_TOPIC")
SCENARIO = os.getenv("SCENARIO")
ORIGINAL = b"reading 0001: 21.5C"
REUSED = b"reading 0002: 99.9C"


def outcome(fn):
    try:
        return "OK %r" % (fn(),)
    except OSError as e:
        return "OSError %s" % (e.args[0] if e.args else "-")
    except Exception as e:
        return "%s %r" % (type(e).__name__, e.args)


face = umqtt.MQTTClient if SCENARIO == "late-false" else umqtt.simple.MQTTClient
c = face(os.getenv("MQTT_CLIENT_ID"), HOST, PORT, keepalive=30, timeout=2, reconn=SCENARIO == "late-false")
c.connect(clean_session=False)
buf = bytearray(ORIGINAL)
msg = memoryview(buf) if os.getenv("KIND") == "memoryview" else buf
print("PUBLISH", outcome(lambda: c.publish(T, msg, False, 1)))
buf[:] = REUSED             # the script's next reading, in the same buffer
print("READY")
if SCENARIO != "lost":
    sys.stdin.readline()    # the test has cut the held connection
if SCENARIO != "late-false":
    print("CONNECT", outcome(lambda: c.connect(clean_session=False)))
# Re-sends go before new messages: once "after" is acknowledged, the
# message in flight has been sent again.
r = "-"
t0 = time.ticks_ms()
while time.ticks_diff(time.ticks_ms(), t0) < 20000:
    r = outcome(lambda: c.publish(T + "/after", b"after", False, 1))
    if r in ("OK True", "OK None"):
        break
    time.sleep_ms(200)
print("AFTER", r)
c.disconnect()
print("END")
