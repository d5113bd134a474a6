# reconn=True across a broker restart. A _thread loops wait_msg(); messages
# on <MQTT_TOPIC>/in are printed as "GOT <msg>", error_register_cb events as
# "EVENT <text>". The main thread reads commands from stdin:
#   PUB <text>  publish <text> to <MQTT_TOPIC>/out at QoS 1, print PUBOK <text>
#               (or PUBERR <text> <exception>)
#   STA         print "STA <get_mqttsta()>"
#   END         disconnect, print END
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import os
import sys
import time
import _thread
from umqtt import MQTTClient

T = os.getenv("MQTT_TOPIC")
state = {"run": True, "done": False, "entered": False}


def on_message(topic, msg):
    print("GOT", msg.decode())


def on_error(text):
    print("EVENT", text)


c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
               keepalive=10, reconn=True, timeout=5)
c.set_callback(on_message)
c.error_register_cb(on_error)
print("CONNECT", c.connect())
c.subscribe(T + "/in", 1)


def listener():
    while state["run"]:
        state["entered"] = True
        try:
            c.wait_msg()
        except Exception as e:
            if not state["run"]:
                break
            print("WAITERR", repr(e))
            time.sleep_ms(100)
    state["done"] = True


_thread.start_new_thread(listener, ())
t0 = time.ticks_ms()
while not state["entered"] and time.ticks_diff(time.ticks_ms(), t0) < 5000:
    time.sleep_ms(1)
print("READY")

while True:
    line = sys.stdin.readline().strip()
    if line.startswith("PUB "):
        text = line[4:]
        try:
            c.publish(T + "/out", text, qos=1)
            print("PUBOK", text)
        except Exception as e:
            print("PUBERR", text, repr(e))
    elif line == "STA":
        print("STA", c.get_mqttsta())
    else:
        break
state["run"] = False
c.disconnect()
t0 = time.ticks_ms()
while not state["done"] and time.ticks_diff(time.ticks_ms(), t0) < 5000:
    time.sleep_ms(10)
print("END")
