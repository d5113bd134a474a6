# Defect 1: publish() while the broker is gone for good must come back
# (return or raise) within its bound, at every QoS, with reconn=True.
# Connects (reconn=True, keepalive=0, timeout=TIMEOUT), publishes once while
# the broker is there, prints READY, waits for a line on stdin (the test
# takes the broker away meanwhile), then makes N_PUB publishes at QOS, each
# timed with time.ticks_ms:
#   PUB <i> <ms> RETURNED <value> | PUB <i> <ms> OSError <errno> | PUB <i> <ms> <Type> <args>
# then END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, QOS, TIMEOUT, N_PUB.
import os
import sys
import time
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
QOS = int(os.getenv("QOS"))
N_PUB = int(os.getenv("N_PUB"))

c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
               keepalive=0, reconn=True, timeout=float(os.getenv("TIMEOUT")))
c.connect()
c.publish(T, "while the broker is there", qos=QOS)
print("READY")
sys.stdin.readline()
for i in range(N_PUB):
    t0 = time.ticks_ms()
    try:
        out = "RETURNED %r" % c.publish(T, "offline %d" % i, qos=QOS)
    except OSError as e:
        out = "OSError %s" % (e.args[0] if e.args else "-")
    except Exception as e:
        out = "%s %r" % (type(e).__name__, e.args)
    print("PUB", i, time.ticks_diff(time.ticks_ms(), t0), out)
print("END")
