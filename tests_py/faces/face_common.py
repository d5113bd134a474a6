# Shared by the face scripts: the broker and names from the environment, and
# the face under test (UMQTT_FACE = quecpython | simple | robust).
import os

HOST = os.getenv("MQTT_HOST")
PORT = int(os.getenv("MQTT_PORT") or 1883)
CLIENT_ID = os.getenv("MQTT_CLIENT_ID")
TOPIC = os.getenv("MQTT_TOPIC")
FACE = os.getenv("UMQTT_FACE", "quecpython")


def face_class(face=None):
    face = face or FACE
    if face == "simple":
        from umqtt.simple import MQTTClient
    elif face == "robust":
        from umqtt.robust import MQTTClient
    else:
        from umqtt import MQTTClient
    return MQTTClient


def describe(e):
    return "{} {}".format(type(e).__name__, e.args[0] if e.args else "")
