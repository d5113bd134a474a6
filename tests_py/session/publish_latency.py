# publish(qos=1) latency right after the client acknowledged an incoming
# QoS 1 message, with a _thread in wait_msg() (the application note's
# pattern). The peer sends one QoS 1 message to <T>/in every 100 ms; after
# each one arrives, the main thread publishes one QoS 1 message to <T>/out and
# times it. Prints READY, then LAT <median us> <p90 us> <max us> <rounds> and END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, N.
import os
import time
import _thread
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
N = int(os.getenv("N"))
c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), keepalive=30)
rx = [0]


def cb(topic, msg):
    rx[0] += 1


c.set_callback(cb)
c.connect()
c.subscribe(T + "/in", 1)
state = {"run": True}


def listener():
    while state["run"]:
        try:
            c.wait_msg()
        except Exception as e:
            if state["run"]:
                print("LERR", repr(e))
            return


_thread.start_new_thread(listener, ())
print("READY")
lat = []
for i in range(N):
    t0 = time.ticks_ms()
    while rx[0] <= i and time.ticks_diff(time.ticks_ms(), t0) < 5000:
        time.sleep_ms(1)
    t = time.ticks_us()
    c.publish(T + "/out", "p%d" % i, qos=1)
    lat.append(time.ticks_diff(time.ticks_us(), t))
lat.sort()
print("LAT", lat[N // 2], lat[N * 9 // 10], lat[-1], rx[0])
state["run"] = False
c.disconnect()
print("END")
