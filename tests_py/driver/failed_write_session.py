# Defect 2: a PUBLISH whose write fails must not keep anything of the client
# (its in-flight slot); later messages of a resumed session must be re-sent.
# Every connection goes through linkstream.LinkStream (transport=), reconn=False.
#  A: N_FAIL times: connect() (clean session) through a stream whose write()
#     raises OSError(ECONNRESET) for PUBLISH packets; publish(qos=1) must raise
#     OSError each time.            -> A <i> <outcome>
#  B: connect(clean_session=False) through a good stream; publish "B" (QoS 1)
#     succeeds.                     -> B <outcome>
#  W: connect(clean_session=False) through the failing stream; publish "W"
#     (QoS 1) raises; then connect(clean_session=False) through a good stream:
#     W's bytes were never written, so it is withdrawn, not re-sent.
#                                   -> W <outcome> / W_RECONNECT <session_present>
#  C: 3 times: publish M<k> (QoS 1) through a stream that dies under the
#     PUBLISH (write() reports it written, its bytes never leave, the socket
#     closes: no PUBACK can come); then connect(clean_session=False) by hand:
#     M<k> must be re-sent from the session.
#                                   -> C <k> <outcome> <session_present>
#  then check_msg() for 1.5 s (acknowledgements), publish "Z" (QoS 1), END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, N_FAIL.
import os
import time
from umqtt import MQTTClient
from linkstream import LinkStream, new_ctl

HOST = os.getenv("MQTT_HOST")
PORT = int(os.getenv("MQTT_PORT"))
T = os.getenv("MQTT_TOPIC")
ctl = new_ctl()


def outcome(fn):
    try:
        fn()
        return "OK"
    except OSError as e:
        return "OSError %s" % (e.args[0] if e.args else "-")
    except Exception as e:
        return "%s %r" % (type(e).__name__, e.args)


c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), "unused-host", reconn=False, keepalive=0, timeout=5,
               transport=lambda: LinkStream(HOST, PORT, ctl))

ctl["fail_publish"] = True
for i in range(int(os.getenv("N_FAIL"))):
    r = outcome(c.connect)
    if r != "OK":
        print("A", i, "connect", r)
        continue
    print("A", i, outcome(lambda: c.publish(T + "/a", "A%02d" % i, qos=1)))

ctl["fail_publish"] = False
print("B_CONNECT", outcome(lambda: c.connect(clean_session=False)))
print("B", outcome(lambda: c.publish(T + "/b", "B", qos=1)))

ctl["fail_publish"] = True
print("W_CONNECT", outcome(lambda: c.connect(clean_session=False)))
print("W", outcome(lambda: c.publish(T + "/w", "W", qos=1)))
ctl["fail_publish"] = False
print("W_RECONNECT", outcome(lambda: c.connect(clean_session=False)), c.session_present)

for k in range(1, 4):
    ctl["drop_next"] = True
    r = outcome(lambda: c.publish(T + "/m", "M%d" % k, qos=1))
    ctl["drop_next"] = False
    print("C", k, r, "|", outcome(lambda: c.connect(clean_session=False)), c.session_present)

t0 = time.ticks_ms()
while time.ticks_diff(time.ticks_ms(), t0) < 1500:
    try:
        c.check_msg()
    except Exception as e:
        print("CHECK_MSG", repr(e))
        break
    time.sleep_ms(20)
print("Z", outcome(lambda: c.publish(T + "/z", "Z", qos=1)))
c.disconnect()
print("END")
