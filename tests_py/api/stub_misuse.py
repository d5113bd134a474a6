# Type-checked against stubs/ by test_stubs.py: every marked line must be an
# error (the stubs are not so loose that anything passes); never run.
from umqtt import MQTTClient
import umqtt.simple

c = MQTTClient("dev", "127.0.0.1")
c.publish("t", 42)  # E: payload must be str or a buffer
c.subscribe(None)  # E: topic must be str, bytes or bytearray
c.set_callback(lambda topic: None)  # E: the callback takes (topic, msg)
present: int = umqtt.simple.MQTTClient("d", "h").publish("t", "x")  # E: simple's publish returns None
c.no_such_method()  # E: not in the API
c.server = "other"  # E: read-only attribute
c.set_last_will("t", bytearray(b"x"))  # E: the will message is str or bytes
