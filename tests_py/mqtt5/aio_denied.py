# The asyncio face (version=5) against a broker that denies: a publish the
# ACL denies at QoS 1 and 2 (PUBACK / PUBREC 0x87) raises MQTTException(0x87)
# from the awaited publish; an allowed one goes through after it; a
# subscription refused with SUBACK 0x87 (only on the dynamic security
# broker, SUB_DENIED=1) raises MQTTException(0x87). One line each, then DONE.
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
    print("DONE")


asyncio.run(main())
