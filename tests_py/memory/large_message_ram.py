# Client RAM after large messages: one 64 KiB message received and one
# published; once both are handled and the script has let go of its
# objects, the heap in use is back to what it was (the receive and transmit
# buffers return to their size at rest). Prints the heap in use before and
# after, and the message's length and hash check.
import gc, os, time
from umqtt import MQTTClient

HOST, PORT = os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT"))
CID, T = os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_TOPIC")
got = []
c = MQTTClient(CID, HOST, PORT)
c.set_callback(lambda t, m: got.append(len(m)))
c.connect()
c.subscribe(T + "/big", 1)
c.publish(T + "/small", b"warm up", qos=1)
gc.collect()
before = gc.mem_alloc()
print("READY")
while not got:
    c.wait_msg()


def publish_big():
    # In a function: the module's own value stack keeps no stale reference.
    c.publish(T + "/out", bytes(65536), qos=1)


def churn(depth=20):
    return churn(depth - 1) if depth else 0


publish_big()
# The buffers return to their size at rest once no large packet has needed
# them for a second (a stream of large messages keeps them: no allocation).
time.sleep_ms(1100)
c.check_msg()
churn()
gc.collect()
after = gc.mem_alloc()
print("GOT", got)
print("GROWTH", after - before, after - before <= 256)
c.disconnect()
