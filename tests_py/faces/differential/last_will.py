# The last will is published when the connection is closed without a
# DISCONNECT: close() where the face has it, else closing the socket (the
# reference has no close()).
from diffimpl import CLIENT_ID, HOST, PORT, TOPIC, kind, out, simple

c = simple.MQTTClient(CLIENT_ID, HOST, PORT, keepalive=30)
out("set_last_will", kind(c.set_last_will(TOPIC + "/will", b"gone", retain=False, qos=1)))
out("lw_topic", "{} {}".format(type(c.lw_topic).__name__, c.lw_topic in (TOPIC + "/will", (TOPIC + "/will").encode())))
out("lw_rest", "{} {} {}".format(kind(c.lw_msg), kind(c.lw_qos), kind(c.lw_retain)))
out("connect", kind(c.connect()))
out("has_close", hasattr(c, "close"))
if hasattr(c, "close"):
    out("close", kind(c.close()))
else:
    out("close", kind(c.sock.close()))
