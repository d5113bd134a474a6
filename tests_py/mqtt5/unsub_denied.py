# UNSUBACK reason codes (version=5, dynamic security broker): unsubscribing
# from <T>/nounsub/a is refused (UNSUBACK 0x87): unsubscribe() raises
# MQTTException(0x87); unsubscribing from a filter never subscribed gets
# 0x11 No subscription existed, a success: no exception. QuecPython, simple
# and asyncio faces; one line each, then END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import asyncio
import umqtt
import umqtt.simple
import umqtt.aio
from v5_common import HOST, PORT, CID, T, err


def attempt(label, f, *a):
    try:
        print(label, "RETURNED", f(*a))
    except Exception as e:
        print(label, "RAISED", err(e))


for face, cls in (("umqtt", umqtt.MQTTClient), ("simple", umqtt.simple.MQTTClient)):
    c = cls(CID + "-" + face, HOST, PORT, keepalive=30, version=5, reconn=False)
    c.set_callback(lambda t, m: None)
    c.connect()
    c.subscribe(T + "/nounsub/a", 1)
    attempt(face + " refused", c.unsubscribe, T + "/nounsub/a")
    attempt(face + " none", c.unsubscribe, T + "/ok/never")
    print(face, "STA", c.get_mqttsta())
    c.disconnect()


async def aio_face():
    c = umqtt.aio.MQTTClient(CID + "-aio", HOST, PORT, keepalive=30, version=5, reconn=False)
    await asyncio.wait_for(c.connect(), 10)
    await asyncio.wait_for(c.subscribe(T + "/nounsub/a", 1), 10)
    for label, topic in (("aio refused", T + "/nounsub/a"), ("aio none", T + "/ok/never")):
        try:
            print(label, "RETURNED", await asyncio.wait_for(c.unsubscribe(topic), 10))
        except Exception as e:
            print(label, "RAISED", err(e))
    print("aio STA", c.get_mqttsta())
    await c.disconnect()


asyncio.run(aio_face())
print("END")
