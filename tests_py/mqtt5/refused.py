# Refused MQTT 5 logins: CASES (JSON list of [user, password], null for
# none) against the broker, then scripted CONNACKs with reason codes 0x86,
# 0x87, 0x8C and 0x80; one line each: REFUSED <type> <args[0]> <text> or
# OK <rc>. Finally a good login on the broker: GOOD <rc>.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, CASES, GOOD_USER, GOOD_PASSWORD.
import os
import json
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, err, opener


def attempt(label, **kw):
    c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5, reconn=False, **kw)
    try:
        print(label, "OK", c.connect())
        c.disconnect()
    except Exception as e:
        print(label, "REFUSED", err(e))
        c.close()


for user, password in json.loads(os.getenv("CASES")):
    kw = {}
    if user is not None:
        kw["user"] = user
    if password is not None:
        kw["password"] = password
    attempt("BROKER", **kw)
for code in (0x86, 0x87, 0x8C, 0x80):
    attempt("SCRIPTED", transport=opener(bytes([0x20, 0x03, 0x00, code, 0x00]), []))
attempt("GOOD", user=os.getenv("GOOD_USER"), password=os.getenv("GOOD_PASSWORD"))
print("END")
