# Subscription options (version=5). Phases, each ended by a line the test
# waits for; the peer publishes in between:
# 1. no_local: <T>/nl with no_local=True and <T>/l without; we publish
#    "mine" to both; READY1; the peer publishes "theirs" to both.
# 2. retain_handling: <T>/r2 with retain_handling=2, <T>/r0 with 0 (the
#    peer retained a message on each beforehand); READY2; the peer publishes
#    "live" to <T>/r2.
# 3. subscription_identifier: 7 on <T>/sid/#, 300 on <T>/big/+; READY3;
#    the peer publishes to <T>/sid/a and <T>/big/b.
# 4. retain_as_published: <T>/rap with it, <T>/norap without; READY4; the
#    peer publishes retained messages to both (live: with the option the
#    retain flag stays set).
# Each phase prints GOT<n> [(topic, payload, retain, properties), ...].
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, T, pump, items

got = []
c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5)
c.set_callback(got.append, message=True)
c.connect()


def take(n, label, settle=500):
    pump(c, lambda: len(got) >= n, 10000)
    pump(c, lambda: False, settle)      # anything beyond n would show here
    print(label, sorted((m.topic[len(T) + 1:], m.payload, m.retain, items(m.properties)) for m in got))
    got[:] = []


c.subscribe(T + "/nl", 1, no_local=True)
c.subscribe(T + "/l", 1)
c.publish(T + "/nl", b"mine", qos=1)
c.publish(T + "/l", b"mine", qos=1)
print("READY1")
take(3, "GOT1")
c.subscribe(T + "/r2", 1, retain_handling=2)
c.subscribe(T + "/r0", 1, retain_handling=0)
print("READY2")
take(2, "GOT2")
c.subscribe(T + "/sid/#", 1, subscription_identifier=7)
c.subscribe(T + "/big/+", 1, subscription_identifier=300)
print("READY3")
take(2, "GOT3")
c.subscribe(T + "/rap", 1, retain_as_published=True)
c.subscribe(T + "/norap", 1)
print("READY4")
take(2, "GOT4")
c.disconnect()
print("END")
