# Connect with the credentials of $AUTH_SPEC (JSON: user, password, each
# {"str": text} or {"bytes": hex} or null/absent for None; version),
# then, if the broker refused, connect() again on the same client
# ($AUTH_RETRY=1); face "simple" in the spec takes umqtt.simple's client. Prints one "RESULT <json>" per attempt: ok, rc, ms, or
# the exception's type, args (repr) and str; "CTOR <json>" if MQTTClient()
# itself raised; then END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, AUTH_SPEC, AUTH_RETRY.
import os
import json
import time
import binascii
import umqtt
import umqtt.simple

spec = json.loads(os.getenv("AUTH_SPEC"))
MQTTClient = umqtt.simple.MQTTClient if spec.get("face") == "simple" else umqtt.MQTTClient


def value(v):
    if v is None:
        return None
    if "str" in v:
        return v["str"]
    return binascii.unhexlify(v["bytes"])


def describe(e):
    return {"ok": False, "type": type(e).__name__, "args": [repr(a) for a in e.args], "str": str(e),
            "code": e.args[0] if e.args and isinstance(e.args[0], int) else None}


kw = {"keepalive": 30, "timeout": 5}
if spec.get("version"):
    kw["version"] = spec["version"]
try:
    # user and password positionally, as QuecPython scripts pass them.
    c = MQTTClient(os.getenv("MQTT_CLIENT_ID"), os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")),
                   value(spec.get("user")), value(spec.get("password")), **kw)
except Exception as e:
    print("CTOR", json.dumps(describe(e)))
    c = None

attempts = 2 if os.getenv("AUTH_RETRY") == "1" else 1
for i in range(attempts if c else 0):
    t0 = time.ticks_ms()
    try:
        rc = c.connect()
        res = {"ok": True, "rc": rc}
        c.disconnect()
    except Exception as e:
        res = describe(e)
    res["ms"] = time.ticks_diff(time.ticks_ms(), t0)
    print("RESULT", json.dumps(res))
    if res["ok"]:
        break
print("END")
