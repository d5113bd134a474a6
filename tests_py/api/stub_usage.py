# Type-checked against stubs/ (mypy --strict, MYPYPATH=stubs) by test_stubs.py:
# what scripts for each face do must pass; never run.
import umqtt
import umqtt.robust
import umqtt.simple
from umqtt import MQTTClient, MQTTException


def on_message(topic: bytes, msg: bytes) -> None:
    print(topic, msg)


def quecpython_face() -> None:
    c = MQTTClient("dev", "127.0.0.1", 1883, keepalive=60, reconn=True, timeout=5)
    c.set_callback(on_message)
    c.error_register_cb(lambda err: print(err))
    c.set_last_will("t/status", "offline", retain=True, qos=1)
    rc: int = c.connect()
    ok: bool = c.publish("t", b"x", qos=1)
    c.subscribe(bytearray(b"t/#"), 1)
    c.wait_msg()
    c.check_msg()
    sta: int = c.get_mqttsta()
    c.DEBUG = True
    c.DELAY = 5
    print(rc, ok, sta, c.session_present, c.topic_list, umqtt.__version__)
    c.disconnect()
    try:
        c.connect(clean_session=False, timeout=2.0)
    except MQTTException as e:
        print(e.args[0])


def simple_face() -> None:
    c = umqtt.simple.MQTTClient("dev", "127.0.0.1", ssl_params={"server_hostname": "h"})
    present: bool = c.connect(clean_session=False)
    c.publish("t", "x")
    print(present, c.pid, c.lw_topic)


class LoggingClient(umqtt.robust.MQTTClient):
    def log(self, in_reconnect: bool, e: BaseException) -> None:
        print("reconnect" if in_reconnect else "error", repr(e))

    def reconnect(self) -> bool:
        return super().reconnect()


def robust_face() -> None:
    c = LoggingClient("dev", "127.0.0.1")
    c.DELAY = 1
    c.connect(False)
    c.check_msg(attempts=3)
    base: umqtt.simple.MQTTClient = c
    print(base)


def every_argument_by_keyword() -> None:
    c = umqtt.robust.MQTTClient(client_id="dev", server="127.0.0.1", port=1883)
    c.cb = on_message
    c.set_callback(f=on_message)
    c.set_chunk_callback(f=None, buf=None)
    c.error_register_cb(f=print)
    c.set_last_will(topic="t/status", msg="offline", retain=True, qos=1)
    c.connect(clean_session=True, timeout=5)
    c.subscribe(topic=b"t", qos=1)
    c.publish(topic=b"t", msg=b"m", retain=False, qos=1)
    c.unsubscribe(topic=b"t")
    c.log(in_reconnect=False, e=OSError(5))
    c.delay(i=1)
