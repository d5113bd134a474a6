# One TLS client scenario, described by the JSON in $TLS_SPEC:
#   server, port (absent: not passed), ssl ("true" | "false" | "context"),
#   params (the ssl_params dict, or absent), context ({ca, cert, key,
#   verify}: an SSLContext built by the script), timeout and version
#   (keywords, or absent),
#   steps: a list of
#     ["connect", name, echo]  connect(); print "RESULT <json>" with ok, rc,
#                              ms, or the exception's type, errno, args and
#                              str; with echo, after a successful connect:
#                              subscribe to <topic>/echo (QoS 1), publish a
#                              20000-byte and a short message there (QoS 1),
#                              receive both back, disconnect()
#     ["set", {key: value}]    change the ssl_params dict in place
#     ["del", [key, ...]]      remove keys from the ssl_params dict
# Values "file:<path>" become the file's bytes, "text:<path>" its text,
# "tls:<NAME>" the tls module's constant.
# Env: TLS_SPEC, MQTT_CLIENT_ID, MQTT_TOPIC.
import os
import json
import time
import tls
from umqtt import MQTTClient

spec = json.loads(os.getenv("TLS_SPEC"))
T = os.getenv("MQTT_TOPIC")


def value(v):
    if isinstance(v, str):
        if v.startswith("file:") or v.startswith("text:"):
            with open(v[5:], "rb") as f:
                data = f.read()
            return data if v.startswith("file:") else data.decode()
        if v.startswith("tls:"):
            return getattr(tls, v[4:])
    return v


params = None
if spec.get("params") is not None:
    params = {}
    for k, v in spec["params"].items():
        params[k] = value(v)

if spec["ssl"] == "context":
    cs = spec["context"]
    ssl = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    if cs.get("ca"):
        ssl.load_verify_locations(value(cs["ca"]))
    if cs.get("cert"):
        ssl.load_cert_chain(value(cs["cert"]), value(cs["key"]))
    ssl.verify_mode = value(cs.get("verify") or "tls:CERT_REQUIRED")
else:
    ssl = spec["ssl"] == "true"

kw = {"keepalive": 30, "ssl": ssl}
if params is not None:
    kw["ssl_params"] = params
if spec.get("timeout") is not None:
    kw["timeout"] = spec["timeout"]
if spec.get("version") is not None:
    kw["version"] = spec["version"]
args = [os.getenv("MQTT_CLIENT_ID"), spec["server"]]
if spec.get("port") is not None:
    args.append(spec["port"])
c = MQTTClient(*args, **kw)

got = []
c.set_callback(lambda topic, msg: got.append((topic, msg)))
BIG = bytes(((i * 31 + 7) & 0xFF) for i in range(20000))


def echo():
    del got[:]
    c.subscribe(T + "/echo", 1)
    c.publish(T + "/echo", BIG, qos=1)
    c.publish(T + "/echo", b"small", qos=1)
    t0 = time.ticks_ms()
    while len(got) < 2 and time.ticks_diff(time.ticks_ms(), t0) < 10000:
        if c.check_msg() is None:
            time.sleep_ms(10)
    ok = [m for _, m in got] == [BIG, b"small"]
    c.disconnect()
    return "ok" if ok else "bad: %d messages, sizes %r" % (len(got), [len(m) for _, m in got])


for step in spec["steps"]:
    if step[0] == "set":
        for k, v in step[1].items():
            params[k] = value(v)
        continue
    if step[0] == "del":
        for k in step[1]:
            del params[k]
        continue
    name = step[1]
    res = {"step": name}
    t0 = time.ticks_ms()
    try:
        rc = c.connect()
        res["ms"] = time.ticks_diff(time.ticks_ms(), t0)
        res["ok"] = True
        res["rc"] = rc
        if len(step) > 2 and step[2]:
            res["echo"] = echo()
        else:
            c.disconnect()
    except Exception as e:
        res["ms"] = time.ticks_diff(time.ticks_ms(), t0)
        res["ok"] = False
        res["type"] = type(e).__name__
        res["errno"] = e.errno if isinstance(e, OSError) else None
        res["args"] = [repr(a) for a in e.args]
        res["str"] = str(e)
    print("RESULT", json.dumps(res))
print("END")
