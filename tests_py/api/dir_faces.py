# Prints, as one JSON line per face, what the firmware's umqtt exposes:
# dir() of each module and of an MQTTClient instance of each face (made,
# never connected), and umqtt.__version__. Read by test_stubs.py.
import json
import umqtt
import umqtt.simple
import umqtt.robust

out = {
    "version": getattr(umqtt, "__version__", None),
    "modules": {},
    "instances": {},
}
for name, mod in (("umqtt", umqtt), ("umqtt.simple", umqtt.simple), ("umqtt.robust", umqtt.robust)):
    out["modules"][name] = sorted(dir(mod))
    out["instances"][name] = sorted(dir(mod.MQTTClient("dir-probe", "127.0.0.1")))
print("DIR " + json.dumps(out))
