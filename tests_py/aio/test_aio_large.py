"""Large messages in the asyncio client (umqtt.aio): set_chunk_callback, and
a received message that cannot be made for want of memory.

- A 256 KiB QoS 1 message comes in 4 KiB chunks on a 100 KiB heap, in order
  (SHA-256 checked). The chunk callback raises at one chunk: the exception
  goes to the event loop's exception handler and the other chunks still
  come, on the same connection. Before, the pump took the exception for a
  failed transport: the connection was dropped (with reconn=False for good,
  and the message with it).
- With the heap full but for 1 KiB holes, a 10 KiB QoS 1 message cannot be
  made: the handler hears MemoryError once, and once memory is back the
  message arrives, once, on the same connection. Before, the same
  MemoryError dropped the connection: reconn=False ended it with ECONNRESET
  and the message was lost. Memory that never comes back loses the
  connection after the client's `timeout` (a step that cannot finish cannot
  run the keep-alive either).
"""

import hashlib

import pytest


def sha(data):
    return hashlib.sha256(data).hexdigest()


def run_large(mpy, heap_firmware, broker, ids, heap, publish, **env):
    mpy.firmware = heap_firmware(heap)
    dev = mpy.start("aio_large.py", env=mpy.env(broker, ids, **env))
    dev.wait_line(r"^READY$", timeout=15)
    publish()
    assert dev.wait(timeout=40) == 0, dev.describe()
    return dev.stdout.splitlines()


@pytest.mark.umqtt_timeout(60)
def test_a_256k_message_comes_in_chunks_and_a_raising_chunk_callback_costs_nothing(
        broker, mpy, ids, paho_peer, heap_firmware):
    big = bytes((i * 7) & 0xFF for i in range(256 * 1024))
    peer = paho_peer(broker)

    def publish():
        peer.publish(ids.topic + "/big", big, qos=1)
        peer.publish(ids.topic + "/small", b"after", qos=1)

    lines = run_large(mpy, heap_firmware, broker, ids, "100K", publish, MODE="chunks", RAISE_AT=8192)
    assert lines == [
        "READY",
        "HANDLER umqtt.aio: the chunk callback raised ValueError",
        "CHUNKED {}/big 1 {} 64 {}".format(ids.topic, len(big), sha(big)),
        "MSG {}/small b'after'".format(ids.topic),
        "STATE 0 1 2",      # connected, one connection, two messages
        "END",
    ]


@pytest.mark.umqtt_timeout(60)
def test_a_message_without_memory_for_it_arrives_once_memory_is_back(broker, mpy, ids, paho_peer, heap_firmware):
    big = bytes(range(256)) * 40
    peer = paho_peer(broker)
    lines = run_large(mpy, heap_firmware, broker, ids, "200K",
                      lambda: peer.publish(ids.topic + "/big", big, qos=1), MODE="memory")
    assert lines == [
        "READY",
        "HANDLER umqtt.aio: no memory for a received message; trying again MemoryError",
        "MSG {}/big {} {} False".format(ids.topic, len(big), sha(big)),
        "STATE 0 1 1",
        "END",
    ]


@pytest.mark.umqtt_timeout(60)
def test_memory_that_never_comes_back_loses_the_connection_after_timeout(broker, mpy, ids, paho_peer, heap_firmware):
    # A step that cannot finish cannot run the driver's deadlines either
    # (keep-alive): the wait for memory is bounded by the client's timeout.
    peer = paho_peer(broker)
    lines = run_large(mpy, heap_firmware, broker, ids, "200K",
                      lambda: peer.publish(ids.topic + "/big", bytes(10240), qos=1), MODE="never")
    assert lines == [
        "READY",
        "HANDLER umqtt.aio: no memory for a received message; trying again MemoryError",
        "LOST OSError -1 True",     # reconn=False: closed for good, 2 to 6 s after the publish
        "END",
    ]
