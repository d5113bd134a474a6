# After connect() failed, the client has no connection: a publish or a
# subscribe raises OSError(ENOTCONN), or the open's own errno where it had
# one (ECONNREFUSED), never ECONNRESET: there was no connection to reset.
# Prints, per face: <face> CONNECT <errno or text>, then PUBLISH0, PUBLISH1,
# SUBSCRIBE <errno>; then ALIVE.
# Env: MQTT_HOST, MQTT_PORT (anything: the name does not resolve), MQTT_CLIENT_ID.
import errno
import os
import umqtt
import umqtt.simple

NAMES = {errno.ENOTCONN: "ENOTCONN", errno.ECONNRESET: "ECONNRESET", errno.ECONNREFUSED: "ECONNREFUSED"}


def errno_of(e):
    code = e.args[0] if e.args else None
    return NAMES.get(code, repr(code)) if isinstance(e, OSError) else type(e).__name__


def attempt(what, f):
    try:
        f()
        print(what, "OK")
    except Exception as e:
        print(what, errno_of(e))


host, port, cid = os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")), os.getenv("MQTT_CLIENT_ID")
for face, cls, kw in (("quecpython", umqtt.MQTTClient, {"reconn": False}), ("simple", umqtt.simple.MQTTClient, {})):
    c = cls(cid, host, port, **kw)
    c.set_callback(lambda topic, msg: None)
    try:
        c.connect()
        print(face, "CONNECT OK")
    except OSError:
        print(face, "CONNECT OSError")
    attempt(face + " PUBLISH0", lambda: c.publish(b"t", b"m"))
    attempt(face + " PUBLISH1", lambda: c.publish(b"t", b"m", qos=1))
    attempt(face + " SUBSCRIBE", lambda: c.subscribe(b"t"))
print("ALIVE")
