# The asyncio face (version=5) against a broker that denies: a publish the
# ACL denies at QoS 1 and 2 (PUBACK / PUBREC 0x87) raises MQTTException(0x87)
# from the awaited publish; an allowed one goes through after it; a
# subscription refused with SUBACK 0x87 (only on the dynamic security
# broker, SUB_DENIED=1) raises MQTTException(0x87), and under 3.1.1
# MQTTException(0x80) (SUBACK 0x80). One line each, then DONE.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, SUB_DENIED.
import os
import asyncio
from umqtt.aio import MQTTClient
from v5_common import HOST, PORT, CID, T, err


async def attempt(label, aw):
    try:
        print(label, "RETURNED", await asyncio.wait_for(aw, 10))
    except Exception as e:
        print(label, "RAISED", err(e))


async def main():
    client = MQTTClient(CID, HOST, PORT, keepalive=30, version=5, reconn=False)
    await asyncio.wait_for(client.connect(), 10)
    if os.getenv("SUB_DENIED") == "1":
        await attempt("SUB", client.subscribe(T + "/denied/x", 1))
        await attempt("SUB_OK", client.subscribe(T + "/ok/x", 1))
    else:
        await attempt("Q1", client.publish(T + "/denied/q1", b"no1", qos=1))
        await attempt("Q2", client.publish(T + "/denied/q2", b"no2", qos=2))
        await attempt("OK1", client.publish(T + "/ok/a", b"yes-aio", qos=1))
    print("STA", client.get_mqttsta())
    await client.disconnect()
    if os.getenv("SUB_DENIED") == "1":
        # 3.1.1: the refusal is SUBACK 0x80.
        v4 = MQTTClient(CID + "-4", HOST, PORT, keepalive=30, reconn=False)
        await asyncio.wait_for(v4.connect(), 10)
        await attempt("SUB4", v4.subscribe(T + "/denied/x", 1))
        await attempt("SUB4_OK", v4.subscribe(T + "/ok/x", 1))
        await v4.disconnect()
    print("DONE")


asyncio.run(main())
