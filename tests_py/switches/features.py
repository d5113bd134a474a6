# What the firmware has of each feature a build switch leaves out, one line
# each: "<what>: present", or the exception the attempt raised (a ValueError
# with its text). Needs no broker: the client is never connected.
import select
import umqtt
from umqtt import MQTTClient, MQTTException, Message


def check(what, f):
    try:
        f()
        print(what + ": present")
    except Exception as e:
        print(what + ": " + type(e).__name__ + (" " + str(e) if isinstance(e, ValueError) else ""))


def import_simple():
    import umqtt.simple


def import_robust():
    import umqtt.robust


def import_aio():
    import umqtt.aio


def from_simple():
    from umqtt.simple import MQTTClient


def from_aio():
    from umqtt.aio import MQTTClient


def frozen_aio():
    import _umqtt_aio


# UMQTT_FACES: micropython-lib's faces.
check("import umqtt.simple", import_simple)
check("import umqtt.robust", import_robust)
check("from umqtt.simple import MQTTClient", from_simple)
check("umqtt.simple", lambda: umqtt.simple)
check("umqtt.robust", lambda: umqtt.robust)
# UMQTT_AIO: umqtt.aio and the primitives its client drives this one with.
check("import umqtt.aio", import_aio)
check("from umqtt.aio import MQTTClient", from_aio)
check("umqtt.aio", lambda: umqtt.aio)
check("import _umqtt_aio", frozen_aio)
c = MQTTClient("features", "127.0.0.1", keepalive=30)
for name in ("_nb", "_tail", "_want_open", "_attach", "_attach_failed", "_step", "_next_timeout",
             "_connect_start", "_connect_result", "_publish_start", "_subscribe_start",
             "_unsubscribe_start", "_ticket", "_forget"):
    check("client." + name, lambda: getattr(c, name))
# UMQTT_CHUNKS: chunked delivery.
check("client.set_chunk_callback", lambda: c.set_chunk_callback)
# UMQTT_MQTT5: version=5.
check("MQTTClient(version=5)", lambda: MQTTClient("v5", "127.0.0.1", version=5))
# What every build keeps: QuecPython's face, its methods, the message
# object, and the client pollable (docs/api.md).
check("umqtt.MQTTClient, MQTTException, Message", lambda: (umqtt.MQTTClient, MQTTException, Message))
for name in ("connect", "disconnect", "close", "publish", "subscribe", "unsubscribe", "wait_msg",
             "check_msg", "ping", "set_callback", "set_last_will", "error_register_cb", "get_mqttsta",
             "stats", "delay"):
    check("client." + name, lambda: getattr(c, name))


def poll():
    p = select.poll()
    p.register(c, select.POLLIN)
    assert p.poll(0) == []


check("select.poll on the client", poll)
check("MQTTClient(version=3), (version=4)",
      lambda: (MQTTClient("v3", "127.0.0.1", version=3), MQTTClient("v4", "127.0.0.1", version=4)))
print("END")
