# micropython-lib scripts change the mode of client.sock after connect():
# sock.setblocking(True), sock.settimeout(x), or sock.setblocking(False) to
# poll with check_msg(). The client keeps its own semantics whatever they
# did (SOCK_MODE): check_msg() returns at once with nothing waiting,
# subscribe/publish/wait_msg/ping keep working, no OSError.
import os
import time
from face_common import HOST, PORT, CLIENT_ID, TOPIC, face_class

MODE = os.getenv("SOCK_MODE")
got = []
c = face_class()(CLIENT_ID, HOST, PORT, keepalive=30)
c.set_callback(lambda t, m: got.append(m))
c.connect()


def set_mode():
    if MODE == "blocking":
        c.sock.setblocking(True)
    elif MODE == "timeout":
        c.sock.settimeout(3)
    elif MODE == "nonblocking":
        c.sock.setblocking(False)


def timed_check_msg():
    set_mode()
    t = time.ticks_ms()
    c.check_msg()
    return time.ticks_diff(time.ticks_ms(), t) < 500


set_mode()
c.subscribe(TOPIC, 1)
print("CHECK_QUICK", timed_check_msg())
set_mode()
c.publish(TOPIC, b"one", qos=1)
set_mode()
c.publish(TOPIC, b"two", qos=0)
while len(got) < 2:
    set_mode()
    c.wait_msg()
print("GOT", got)
set_mode()
c.ping()
set_mode()
c.wait_msg()            # the PINGRESP to the script's own ping() ends it
print("PING True")
print("CHECK_QUICK", timed_check_msg())
c.disconnect()
