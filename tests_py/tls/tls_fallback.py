# The TLS module fallback: builtins.__import__ is wrapped so that the modules
# named in $MISSING (comma-separated, of tls, ssl, ussl) raise ImportError
# and the others are the real `tls` module behind a recording proxy. Then
# ssl=True with the CA in ssl_params connects, publishes (QoS 1) and
# disconnects. Prints "RESULT <json>" (ok, or the exception's type and
# str), "IMPORTS <names tried, in order>" and "USED <attributes read>", END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, MISSING, CA_FILE.
import os
import json
import builtins
import tls as real_tls

missing = [m for m in os.getenv("MISSING").split(",") if m]
tried = []
used = []


class Recorder:
    def __getattr__(self, name):
        used.append(name)
        return getattr(real_tls, name)


real_import = builtins.__import__


def fake_import(name, *args):
    if name in ("tls", "ssl", "ussl"):
        tried.append(name)
        if name in missing:
            raise ImportError("no module named '%s'" % name)
        return Recorder()
    return real_import(name, *args)


with open(os.getenv("CA_FILE"), "rb") as f:
    ca = f.read()

from umqtt import MQTTClient

builtins.__import__ = fake_import
c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
               ssl=True, ssl_params={"ca": ca}, timeout=5)
try:
    c.connect()
    c.publish(os.getenv("MQTT_TOPIC") + "/fallback", b"via " + ("/".join(tried)).encode(), qos=1)
    c.disconnect()
    res = {"ok": True}
except Exception as e:
    res = {"ok": False, "type": type(e).__name__, "str": str(e)}
builtins.__import__ = real_import
print("RESULT", json.dumps(res))
print("IMPORTS", " ".join(tried))
print("USED", " ".join(used))
print("END")
