# Wrong argument types and values must raise at once, and the interpreter and
# the connection must keep working afterwards.
# Prints one line per case:  CASE <name> <ExceptionType> <repr(str(e))>
# (or CASE <name> returned <repr>), then ALIVE, PUBLISHED_AFTER, END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import os
from umqtt import MQTTClient, MQTTException

HOST = os.getenv("MQTT_HOST")
PORT = int(os.getenv("MQTT_PORT"))
CID = os.getenv("MQTT_CLIENT_ID")
T = os.getenv("MQTT_TOPIC")


def case(name, f):
    try:
        r = f()
    except Exception as e:
        print("CASE", name, type(e).__name__, repr(str(e)))
    else:
        print("CASE", name, "returned", repr(r))


# Not connected yet.
fresh = MQTTClient(CID + "-fresh", HOST, PORT)
fresh.set_callback(lambda t, m: None)
case("publish_before_connect", lambda: fresh.publish(T + "/x", "x"))
case("subscribe_before_connect", lambda: fresh.subscribe(T + "/x"))

# Constructor.
case("ctor_client_id_int", lambda: MQTTClient(123, HOST, PORT))
case("ctor_port_str", lambda: MQTTClient(CID, HOST, "1883"))
case("ctor_keepalive_65536", lambda: MQTTClient(CID, HOST, PORT, keepalive=65536))
case("ctor_keepalive_negative", lambda: MQTTClient(CID, HOST, PORT, keepalive=-1))
case("ctor_version_6", lambda: MQTTClient(CID, HOST, PORT, version=6))
case("v4_publish_properties", lambda: MQTTClient(CID, HOST, PORT).publish("t", b"x", properties={"content_type": "x"}))
case("v5_unknown_property", lambda: MQTTClient(CID, HOST, PORT, version=5).publish("t", b"x", properties={"colour": 1}))
case("v4_subscribe_no_local", lambda: MQTTClient(CID, HOST, PORT).subscribe("t", no_local=True))

# Last will.
w = MQTTClient(CID + "-will", HOST, PORT)
case("will_qos_3", lambda: w.set_last_will(T + "/will", "x", qos=3))
case("will_topic_wildcard", lambda: w.set_last_will(T + "/#", "x"))
case("will_topic_int", lambda: w.set_last_will(7, "x"))

# Connected client.
c = MQTTClient(CID, HOST, PORT, keepalive=30)
c.set_callback(lambda t, m: None)
print("CONNECT", repr(c.connect()))
case("publish_qos_3", lambda: c.publish(T + "/x", "x", qos=3))
case("publish_qos_negative", lambda: c.publish(T + "/x", "x", qos=-1))
case("publish_qos_str", lambda: c.publish(T + "/x", "x", qos="1"))
case("publish_topic_int", lambda: c.publish(123, "x"))
case("publish_topic_none", lambda: c.publish(None, "x"))
case("publish_topic_plus", lambda: c.publish(T + "/+/x", "x"))
case("publish_topic_hash", lambda: c.publish(T + "/#", "x"))
case("publish_topic_empty", lambda: c.publish("", "x"))
case("publish_msg_int", lambda: c.publish(T + "/x", 42))
case("publish_msg_none", lambda: c.publish(T + "/x", None))
case("subscribe_qos_3", lambda: c.subscribe(T + "/x", 3))
case("subscribe_topic_int", lambda: c.subscribe(123))
case("subscribe_topic_empty", lambda: c.subscribe(""))

print("ALIVE")
# The connection is still usable: the paho peer must get this message.
c.publish(T + "/ok", "still alive", qos=1)
print("PUBLISHED_AFTER")
c.disconnect()
print("END")
