# Type stubs for `umqtt.aio` (the asyncio client): `from umqtt.aio import MQTTClient`.
# Its attributes come from the frozen Python module _umqtt_aio
# (python/_umqtt_aio.py); a port adds it with include("<repo>/python/manifest.py").
from typing import Any, AsyncIterator, Callable

from umqtt import Message
from umqtt import MQTTException as MQTTException

_Text = str | bytes
_Topic = str | bytes | bytearray
# MQTT 5 properties: snake_case names (docs/api.md, "MQTT 5").
_Props = dict[str, Any]
_Payload = str | bytes | bytearray | memoryview

class _Event:
    def is_set(self) -> bool: ...
    async def wait(self) -> Any: ...

class MQTTClient:
    """The asyncio client: the same constructor as umqtt.MQTTClient."""

    up: _Event
    down: _Event
    messages: AsyncIterator[Message]
    def __init__(
        self,
        client_id: _Text,
        server: _Text,
        port: int = 0,
        user: _Text | None = None,
        password: _Text | None = None,
        keepalive: int = 0,
        ssl: Any = False,
        ssl_params: dict[str, Any] = ...,
        reconn: bool = True,
        version: int = 4,
        pingmaxnum: int = 0,
        manage: bool = False,
        ipvtype: int = 0,
        *,
        timeout: float | None = None,
        max_packet: int = ...,
        max_inflight: int = ...,
        transport: Callable[[], Any] | None = None,
    ) -> None: ...
    async def connect(self, clean_session: bool = True, properties: _Props | None = None) -> bool: ...
    async def publish(
        self, topic: _Topic, msg: _Payload, retain: bool = False, qos: int = 0, properties: _Props | None = None
    ) -> None: ...
    async def subscribe(
        self,
        topic: _Topic,
        qos: int = 0,
        *,
        no_local: bool = False,
        retain_as_published: bool = False,
        retain_handling: int = 0,
        subscription_identifier: int | None = None,
    ) -> int:
        """On SUBACK: the granted QoS; a refusal (0x80, MQTT 5: any code from 0x80) raises MQTTException."""
    async def unsubscribe(self, topic: _Topic) -> None: ...
    async def disconnect(self) -> None: ...
    def close(self) -> None: ...
    def stats(self) -> dict[str, Any]: ...
    def get_mqttsta(self) -> int: ...
    def set_last_will(
        self, topic: _Topic, msg: _Text, retain: bool = False, qos: int = 0, properties: _Props | None = None
    ) -> None: ...
    def error_register_cb(self, f: Callable[[str], object]) -> None: ...
    def set_chunk_callback(
        self, f: Callable[[Message, memoryview, int, int], object] | None, buf: bytearray | memoryview | None
    ) -> None:
        """As umqtt.MQTTClient's; f runs in the client's task, and an exception it raises goes to the
        event loop's exception handler."""
    def __getattr__(self, name: str) -> Any:
        """The native client's configuration attributes (client_id, server, keepalive, ...)."""
    async def __aenter__(self) -> "MQTTClient": ...
    async def __aexit__(self, *exc: object) -> None: ...
