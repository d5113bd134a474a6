# The first of two clients with one client id (simple face, version=5,
# reconn=False): READY, then (after a line on stdin: the second client has
# connected) check_msg() until it raises (bounded): RAISED <type> <args[0]> <text>.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import sys
import time
from umqtt.simple import MQTTClient
from v5_common import HOST, PORT, CID, T, err

c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5)
c.set_callback(lambda t, m: None)
c.connect()
c.subscribe(T + "/x", 0)
print("READY")
sys.stdin.readline()
t0 = time.ticks_ms()
try:
    while time.ticks_diff(time.ticks_ms(), t0) < 10000:
        c.check_msg()
        time.sleep_ms(10)
    print("NO ERROR")
except Exception as e:
    print("RAISED", err(e))
c.close()
print("END")
