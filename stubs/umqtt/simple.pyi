# Type stubs for `umqtt.simple` (micropython-lib's face):
# `from umqtt.simple import MQTTClient`.
from typing import Any, Callable, Literal, Protocol, overload

from umqtt import Message
from umqtt import MQTTException as MQTTException

_Text = str | bytes
_Topic = str | bytes | bytearray
# MQTT 5 properties: snake_case names (docs/api.md, "MQTT 5").
_Props = dict[str, Any]
_Payload = str | bytes | bytearray | memoryview
_QoS = int  # 0, 1 or 2 (ValueError otherwise)

class _SSLContextLike(Protocol):
    def wrap_socket(self, sock: Any, *, server_hostname: Any = ...) -> Any: ...

class MQTTClient:
    """micropython-lib's umqtt.simple client: reconn=False by default,
    connect() returns the session-present flag, publish() returns None."""

    # Settable, as in QuecPython's and umqtt.robust's clients.
    DELAY: int
    DEBUG: bool
    cb: Callable[[bytes, bytes], object] | Callable[[Message], object] | None
    # Read-only: the client's configuration and state (AttributeError on assignment).
    @property
    def session_present(self) -> bool: ...
    @property
    def sock(self) -> Any: ...
    @property
    def server(self) -> _Text: ...
    @property
    def port(self) -> int: ...
    @property
    def client_id(self) -> _Text:
        """MQTT 5: the broker's assigned identifier when an empty one was given."""
    @property
    def connack_properties(self) -> dict[str, Any]:
        """MQTT 5: the last CONNACK's properties; {} otherwise."""
    @property
    def lw_topic(self) -> str | bytes | None: ...
    @property
    def lw_msg(self) -> _Text | None: ...
    @property
    def lw_qos(self) -> int: ...
    @property
    def lw_retain(self) -> bool: ...
    @property
    def keepalive(self) -> int: ...
    @property
    def pid(self) -> int: ...
    @property
    def ssl(self) -> bool | _SSLContextLike: ...
    @property
    def ssl_params(self) -> dict[str, Any]: ...
    @property
    def user(self) -> _Text | None: ...
    @property
    def pswd(self) -> _Text | None: ...
    @property
    def reconn(self) -> bool: ...
    @property
    def pingmaxnum(self) -> int: ...
    @property
    def mqttversion(self) -> int: ...
    @property
    def topic_list(self) -> list[bytes]: ...
    @property
    def manage(self) -> bool: ...
    @property
    def ipvtype(self) -> int: ...
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
        version: int = 4,  # 3: MQTT 3.1, 4: MQTT 3.1.1, 5: MQTT 5
        pingmaxnum: int = 0,
        manage: bool = False,
        ipvtype: int = 0,
        *,
        timeout: float | None = None,
        max_packet: int = ...,
        max_inflight: int = ...,
        transport: Callable[[], Any] | None = None,
    ) -> None: ...
    @overload
    def set_callback(self, f: Callable[[bytes, bytes], object] | None) -> None: ...
    @overload
    def set_callback(self, f: Callable[[bytes, bytes], object] | None, *, message: Literal[False]) -> None: ...
    @overload
    def set_callback(self, f: Callable[[Message], object] | None, *, message: Literal[True]) -> None:
        """message=True: f gets one Message (topic, payload, qos, retain, dup, properties)."""
    def set_chunk_callback(
        self, f: Callable[[Message, memoryview, int, int], object] | None, buf: bytearray | memoryview | None
    ) -> None:
        """Messages longer than buf (or than max_packet) come to f(message, chunk, offset, total) in
        buf-sized chunks, in order; chunk is a memoryview of buf, valid until f returns, and
        message.payload is None. Delivered (acknowledged) once the last chunk is handed over."""
    def error_register_cb(self, f: Callable[[str], object]) -> None: ...
    def set_last_will(
        self, topic: _Topic, msg: _Text, retain: bool = False, qos: _QoS = 0, properties: _Props | None = None
    ) -> None: ...
    def connect(
        self, clean_session: bool = True, timeout: float | None = None, *, properties: _Props | None = None
    ) -> bool:
        """The session-present flag of the CONNACK."""
    def disconnect(self) -> None: ...
    def close(self) -> None: ...
    def ping(self) -> None: ...
    def publish(
        self, topic: _Topic, msg: _Payload, retain: bool = False, qos: _QoS = 0, properties: _Props | None = None
    ) -> None: ...
    def subscribe(
        self,
        topic: _Topic,
        qos: _QoS = 0,
        *,
        no_local: bool = False,
        retain_as_published: bool = False,
        retain_handling: int = 0,
        subscription_identifier: int | None = None,
    ) -> None:
        """The options are MQTT 5's (version=5); a failure code raises MQTTException(code)."""
    def unsubscribe(self, topic: _Topic) -> None: ...
    def wait_msg(self) -> None: ...
    def check_msg(self) -> None: ...
    def get_mqttsta(self) -> int: ...
    def delay(self, i: int) -> None: ...
    def stats(self) -> dict[str, Any]:
        """Counters: connects, reconnects, published, published_by_qos, received,
        received_by_qos, resent, duplicates_dropped, bytes_sent, bytes_received,
        pings, pings_missed, ping_rtt_ms (None before any)."""
