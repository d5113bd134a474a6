# Type stubs for `umqtt.robust` (micropython-lib's face):
# `from umqtt.robust import MQTTClient`.
from typing import Any

from umqtt import MQTTException as MQTTException
from umqtt import simple

_Topic = str | bytes | bytearray
# MQTT 5 properties: snake_case names (docs/api.md, "MQTT 5").
_Props = dict[str, Any]
_Payload = str | bytes | bytearray | memoryview

class MQTTClient(simple.MQTTClient):
    """umqtt.simple's client that recovers from OSError by calling its own
    log() and reconnect() (which loops connect(False) with log() and delay());
    a subclass's overrides are the ones called."""

    # DELAY (2 s) and DEBUG (False) are declared on umqtt.simple.MQTTClient;
    # robust's delay() sleeps DELAY seconds and log() prints only when DEBUG.
    def delay(self, i: int) -> None: ...
    def log(self, in_reconnect: bool, e: BaseException) -> None: ...
    def reconnect(self) -> bool:
        """self.connect(False) until it succeeds (a subclass's connect() is the one
        called); returns the session-present flag."""
    def publish(
        self, topic: _Topic, msg: _Payload, retain: bool = False, qos: int = 0, properties: _Props | None = None
    ) -> None: ...
    def wait_msg(self) -> None: ...
    def check_msg(self, attempts: int = 2) -> None: ...
