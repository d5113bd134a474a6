# CONNECT with version=5 and no properties: clean_session=False (the session
# kept: Session Expiry Interval 0xFFFFFFFF sent) and clean_session=True.
# Prints SESSION <session_present> for each, END.
# Env: MQTT_HOST, MQTT_PORT, MQTT_CLIENT_ID.
from umqtt import MQTTClient
from v5_common import HOST, PORT, CID

for clean in (False, False, True):
    c = MQTTClient(CID, HOST, PORT, keepalive=30, version=5)
    c.connect(clean_session=clean)
    print("SESSION", clean, c.session_present)
    c.disconnect()
print("END")
