# Server Keep Alive: keepalive=60 asked, the broker (max_keepalive 10)
# answers with Server Keep Alive 10; the client keeps the connection with
# PINGREQs at that interval. Prints SKA <server_keep_alive>, READY, then
# pumps check_msg() for IDLE_S seconds, publishes one QoS 1 message: PUB
# <result> PINGS <stats pings>, END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID, MQTT_TOPIC, IDLE_S.
import os
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID, T, pump

c = MQTTClient(CID, HOST, PORT, keepalive=60, version=5, reconn=False)
c.connect()
print("SKA", c.connack_properties.get("server_keep_alive"))
print("READY")
pump(c, lambda: False, int(float(os.getenv("IDLE_S")) * 1000))
print("PUB", c.publish(T + "/alive", b"still here", qos=1), "PINGS", c.stats()["pings"] > 0)
c.disconnect()
print("END")
