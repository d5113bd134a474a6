# MQTT 5 against Eclipse Paho's test broker, by hand (not part of CI: the
# broker comes from its public repository, not from a package registry):
#
#   git clone https://github.com/eclipse/paho.mqtt.testing
#   cd paho.mqtt.testing/interoperability && python3 startbroker.py   # port 1883
#   build/micropython tools/paho_testing_v5.py
#
# then read the broker's log for its [MQTT-x.y.z-n] conformance statements
# and any error. Checked: QoS 0/1/2 both ways with every publish property,
# subscription identifiers and options, the broker's Receive Maximum (2),
# Maximum Packet Size (256) and Topic Alias Maximum (2), a will with
# properties, a session resumed with expiry and the message queued meanwhile.
import time
from umqtt import MQTTClient, MQTTException
PORT = 1883
got = []
def cb(m):
    got.append((m.topic, m.payload, m.qos, m.properties))
c = MQTTClient("umqtt5-paho", "127.0.0.1", PORT, version=5, reconn=False, keepalive=30)
c.set_callback(cb, message=True)
c.set_last_will("will/t", b"gone", qos=1, properties={"will_delay_interval": 0, "content_type": "w"})
c.connect(clean_session=True, properties={"session_expiry_interval": 60, "topic_alias_maximum": 4, "receive_maximum": 10, "user_properties": [("a", "b")]})
print("connack", sorted(c.connack_properties.items()))
c.subscribe("p5/#", 2, subscription_identifier=11)
c.subscribe("p5/nl", 1, no_local=True)
for q in (0, 1, 2):
    for i in range(3):
        c.publish("p5/q%d" % q, b"m%d" % i, qos=q, properties={"user_properties": [("i", str(i))], "content_type": "text", "correlation_data": b"\x00\x01", "response_topic": "p5/resp", "message_expiry_interval": 100, "payload_format_indicator": 1})
c.publish("p5/nl", b"not for me", qos=1)
deadline = time.time() + 10
while len(got) < 9 and time.time() < deadline:
    c.check_msg(); time.sleep(0.05)
print("received", len(got))
for t, p, q, pr in got:
    print(t, p, q, sorted((k, v) for k, v in pr.items() if k != "topic_alias"))
c.disconnect()
# Resume: the session kept 60 s; a message published meanwhile arrives.
o = MQTTClient("umqtt5-other", "127.0.0.1", PORT, version=5)
o.connect()
o.publish("p5/offline", b"while away", qos=1)
o.disconnect()
got.clear()
c.connect(clean_session=False)
print("session_present", c.connack_properties, )
deadline = time.time() + 5
while not got and time.time() < deadline:
    c.check_msg(); time.sleep(0.05)
print("after resume", [(t, p, q) for t, p, q, _ in got])
c.disconnect()
print("done")
