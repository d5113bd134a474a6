# The asyncio face (umqtt.aio) with version=5: connect properties, a
# publish with properties, a subscription with an identifier, a message from
# client.messages with .properties; an ACL-free broker, so the publish
# returns. Prints CONNECT, RM, PUB, READY, MSG, DONE.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC.
import asyncio
from umqtt.aio import MQTTClient
from v5_common import HOST, PORT, CID, T, items


async def main():
    client = MQTTClient(CID, HOST, PORT, keepalive=30, version=5)
    try:
        await asyncio.wait_for(client.connect(properties={"user_properties": [("face", "aio")]}), 10)
        print("CONNECT properties accepted")
    except TypeError as e:
        # Reported, then the rest is checked with a plain connect().
        print("CONNECT properties", repr(e))
        await asyncio.wait_for(client.connect(), 10)
    print("RM", client.connack_properties.get("receive_maximum"))
    await asyncio.wait_for(client.subscribe(T + "/in", 1, subscription_identifier=4), 10)
    print("PUB", await asyncio.wait_for(client.publish(T + "/out", b"from aio", qos=1, properties={
        "content_type": "text/plain", "correlation_data": b"a1", "user_properties": [("face", "aio")]}), 10))
    print("READY")
    m = await asyncio.wait_for(client.messages.__anext__(), 10)
    print("MSG", m.topic, m.payload, m.qos, items(m.properties))
    await client.disconnect()
    print("DONE")


asyncio.run(main())
