# Every public method of the face under test called with each of its
# arguments by keyword, as a Python def allows and scripts for
# micropython-lib's umqtt.simple/robust (pure Python) and QuecPython's umqtt
# do: the names are the references' (docs/api.md). One line per call: its
# name and OK, or the exception, so a refused keyword names the method.
from face_common import HOST, PORT, CLIENT_ID, TOPIC, FACE, face_class

MQTTClient = face_class()
got = []


def on_msg(topic, msg):
    got.append(msg)


def call(name, *args, **kw):
    try:
        r = getattr(c, name)(*args, **kw)
        print(name, "OK")
        return r
    except Exception as e:
        print(name, type(e).__name__, e)


c = MQTTClient(client_id=CLIENT_ID, server=HOST, port=PORT, user="u", password="p", keepalive=30, ssl=False,
               ssl_params={}, reconn=False, version=4, pingmaxnum=0)
print("MQTTClient OK")
c.DELAY = 0
call("set_callback", f=on_msg)
if hasattr(c, "set_chunk_callback"):
    call("set_chunk_callback", f=None, buf=None)
call("error_register_cb", f=print)
call("set_last_will", topic=TOPIC + "/will", msg=b"gone", retain=False, qos=1)
call("connect", clean_session=True, timeout=10)
call("subscribe", topic=TOPIC, qos=1)
call("publish", topic=TOPIC, msg=b"by keyword", retain=False, qos=1)
while not got:
    c.wait_msg()
print("GOT", got)
if FACE == "robust":
    call("check_msg", attempts=2)
    call("log", in_reconnect=False, e=OSError(5))
    call("reconnect")
else:
    call("check_msg")
call("ping")
call("wait_msg")
call("unsubscribe", topic=TOPIC)
call("delay", i=1)
call("get_mqttsta")
call("stats")
call("disconnect")
call("close")
