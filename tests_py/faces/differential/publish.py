# publish() at QoS 0 and 1 (str and bytes, retained and not) to a paho peer;
# the return values and pid; the peer's side is compared by the test.
from diffimpl import CLIENT_ID, HOST, PORT, TOPIC, kind, out, simple

c = simple.MQTTClient(CLIENT_ID, HOST, PORT)
out("connect", kind(c.connect()))
out("pid_before", kind(c.pid))
out("publish_qos0_bytes", kind(c.publish(TOPIC.encode(), b"q0 bytes")))
out("publish_qos0_str", kind(c.publish(TOPIC, "q0 str")))
out("publish_qos1", kind(c.publish(TOPIC, b"q1", qos=1)))
out("publish_qos1_retain", kind(c.publish(TOPIC, b"q1 retained", retain=True, qos=1)))
out("publish_qos0_empty", kind(c.publish(TOPIC, b"", qos=0)))
out("pid_after", kind(c.pid))
c.publish(TOPIC, b"", retain=True, qos=1)  # clear the retained message
out("disconnect", kind(c.disconnect()))
