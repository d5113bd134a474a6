# Shared by the differential scripts: which implementation to run, the
# settings, and the output format.
#   UMQTT_IMPL=umqtt      our built-in module's faces (umqtt.simple, umqtt.robust)
#   UMQTT_IMPL=ref_umqtt  micropython-lib's umqtt.simple / umqtt.robust from PyPI,
#                         fetched by tools/fetch-reference-umqtt.sh (on MICROPYPATH)
# Every result is one line "OUT <key> <value>"; test_differential.py runs a
# script once per implementation and compares the lines.
import os

IMPL = os.getenv("UMQTT_IMPL") or "umqtt"
if IMPL == "umqtt":
    import umqtt.simple as simple
    import umqtt.robust as robust
elif IMPL == "ref_umqtt":
    import ref_umqtt.simple as simple
    import ref_umqtt.robust as robust
else:
    raise SystemExit("UMQTT_IMPL must be umqtt or ref_umqtt, not " + IMPL)

HOST = os.getenv("MQTT_HOST") or "127.0.0.1"
PORT = int(os.getenv("MQTT_PORT") or "1883")
CLIENT_ID = os.getenv("MQTT_CLIENT_ID") or "umqtt-differential"
TOPIC = os.getenv("MQTT_TOPIC") or "umqtt/differential"


def out(key, value):
    print("OUT", key, value)


def kind(value):
    """repr for None/bool/int/str, else the type's name: comparable across runs."""
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return repr(value)
    return "<" + type(value).__name__ + ">"


def raised(f, *args, **kw):
    """Call f; 'ok <kind of result>' or 'raised <type> <errno or args[0]>'."""
    try:
        return "ok " + kind(f(*args, **kw))
    except Exception as e:
        code = e.errno if isinstance(e, OSError) and hasattr(e, "errno") else (e.args[0] if e.args else None)
        return "raised {} {}".format(type(e).__name__, kind(code))
