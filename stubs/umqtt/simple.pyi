# Type stubs for `umqtt.simple` (micropython-lib's face):
# `from umqtt.simple import MQTTClient`.
from typing import Any, Callable, Protocol

from umqtt import MQTTException as MQTTException

_Text = str | bytes
_Topic = str | bytes | bytearray
_Payload = str | bytes | bytearray | memoryview
_QoS = int  # 0, 1 or 2 (ValueError otherwise)

class _SSLContextLike(Protocol):
    def wrap_socket(self, sock: Any, *, server_hostname: Any = ...) -> Any: ...

class MQTTClient:
    """micropython-lib's umqtt.simple client: reconn=False by default,
    connect() returns the session-present flag, publish() returns None."""

    DELAY: int
    DEBUG: bool
    session_present: bool
    sock: Any
    server: _Text
    port: int
    client_id: _Text
    cb: Callable[[bytes, bytes], object] | None
    lw_topic: _Topic | None
    lw_msg: _Payload | None
    lw_qos: int
    lw_retain: bool
    keepalive: int
    pid: int
    ssl: bool | _SSLContextLike
    ssl_params: dict[str, Any]
    user: _Text | None
    pswd: _Text | None
    reconn: bool
    pingmaxnum: int
    mqttversion: int
    topic_list: list[Any]
    manage: bool
    ipvtype: int
    def __init__(
        self,
        client_id: _Text,
        server: _Text,
        port: int = 0,
        user: _Text | None = None,
        password: _Text | None = None,
        keepalive: int = 0,
        ssl: bool | _SSLContextLike = False,
        ssl_params: dict[str, Any] = ...,
        reconn: bool = False,
        version: int = 4,  # 3: MQTT 3.1, 4: MQTT 3.1.1
        pingmaxnum: int = 0,
        manage: bool = False,
        ipvtype: int = 0,
        *,
        timeout: float | None = None,
        max_packet: int = ...,
        max_inflight: int = ...,
        transport: Callable[[], Any] | None = None,
    ) -> None: ...
    def set_callback(self, f: Callable[[bytes, bytes], object]) -> None: ...
    def error_register_cb(self, f: Callable[[str], object]) -> None: ...
    def set_last_will(self, topic: _Topic, msg: _Payload, retain: bool = False, qos: _QoS = 0) -> None: ...
    def connect(self, clean_session: bool = True, timeout: float | None = None) -> bool:
        """The session-present flag of the CONNACK."""
    def disconnect(self) -> None: ...
    def close(self) -> None: ...
    def ping(self) -> None: ...
    def publish(self, topic: _Topic, msg: _Payload, retain: bool = False, qos: _QoS = 0) -> None: ...
    def subscribe(self, topic: _Topic, qos: _QoS = 0) -> None: ...
    def unsubscribe(self, topic: _Topic) -> None: ...
    def wait_msg(self) -> None: ...
    def check_msg(self) -> None: ...
    def get_mqttsta(self) -> int: ...
    def delay(self, i: int) -> None: ...
