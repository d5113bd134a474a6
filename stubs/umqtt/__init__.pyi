# Type stubs for the `umqtt` module (QuecPython's face): `from umqtt import MQTTClient`.
# The module is native (C shim over a Rust core); these stubs describe its
# Python surface for editors and type checkers on the host. Checked by
# `mypy --strict stubs/` and compared with dir() on the firmware
# (tests_py/api/test_stubs.py).
from typing import Any, Callable, Final, Literal, Protocol, overload

from . import aio as aio
from . import robust as robust
from . import simple as simple

__version__: Final[str]

_Text = str | bytes
# Topics: str, bytes or bytearray. Payloads: str or any buffer.
_Topic = str | bytes | bytearray
# MQTT 5 properties: snake_case names (docs/api.md, "MQTT 5").
_Props = dict[str, Any]
_Payload = str | bytes | bytearray | memoryview
_QoS = int  # 0, 1 or 2 (ValueError otherwise)

class _SSLContextLike(Protocol):
    # ssl.SSLContext / tls.SSLContext: anything with wrap_socket().
    def wrap_socket(self, sock: Any, *, server_hostname: Any = ...) -> Any: ...

class Message:
    """A received message (set_callback(f, message=True), umqtt.aio's client.messages)."""

    @property
    def topic(self) -> bytes: ...
    @property
    def payload(self) -> bytes | None:
        """None for a message delivered in chunks (set_chunk_callback)."""
    @property
    def qos(self) -> int: ...
    @property
    def retain(self) -> bool:
        """True for a retained message the broker sent on subscribing."""
    @property
    def dup(self) -> bool: ...
    @property
    def properties(self) -> dict[str, Any]:
        """MQTT 5 properties (version=5); {} otherwise."""

class MQTTException(Exception):
    """A refusal or a protocol error from the broker; args[0] is the MQTT
    return/reason code where there is one."""

class MQTTClient:
    """QuecPython's client: reconn=True by default, connect() returns 0,
    publish() returns True/False."""

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
        reconn: bool = True,
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
    ) -> int:
        """0 once the broker accepted the connection; raises MQTTException(code) if refused."""
    def disconnect(self) -> None: ...
    def close(self) -> None: ...
    def ping(self) -> None: ...
    def publish(
        self, topic: _Topic, msg: _Payload, retain: bool = False, qos: _QoS = 0, properties: _Props | None = None
    ) -> bool:
        """True: written (QoS 0) or acknowledged (QoS 1/2). False: no
        acknowledgement within timeout, the message stays in flight."""
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
    def get_mqttsta(self) -> int:
        """0 connected, 1 connecting, 2 closed by the server, -1 error/closed."""
    def delay(self, i: int) -> None: ...
    def stats(self) -> dict[str, Any]:
        """Counters: connects, reconnects, published, published_by_qos, received,
        received_by_qos, resent, duplicates_dropped, bytes_sent, bytes_received,
        pings, pings_missed, ping_rtt_ms (None before any)."""
