"""Large payloads (issue 13): a received payload goes from the socket straight
into the bytes object the callback gets (one copy: the receive buffer never
grows to the packet's size), and an application that asks for it gets a
message larger than its heap in chunks through a buffer it owns.

- A 96 KiB message arrives on a 140 KiB heap. Two copies (a 96 KiB receive
  buffer, then the bytes object) need more than the heap: before the payload
  was read in place, the same script raised MemoryError at every heap up to
  200 KiB.
- A 256 KiB QoS 1 message arrives through set_chunk_callback on a 100 KiB
  heap, in 4 KiB chunks whose offsets follow on, each SHA-256 checked; the
  next small message still reaches the ordinary callback.
- Scripted streams (scripted_large.py): a cut in the middle of a chunked
  payload, a QoS 2 duplicate's payload skipped, a publish beyond
  max_packet, a chunk buffer taken away midway, a publish beyond max_packet
  already whole in the buffer (refused too; taken with a chunk callback).
"""

import hashlib
import re

import pytest


def start_on_heap(mpy, heap_firmware, heap, env):
    mpy.firmware = heap_firmware(heap)
    return mpy.start("big_receive.py", env=env)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def receive(mpy, heap_firmware, broker, ids, paho_peer, heap, big, chunk=0):
    dev = start_on_heap(mpy, heap_firmware, heap, mpy.env(broker, ids, CHUNK=chunk))
    dev.wait_line(r"^READY \d+$", timeout=15)
    peer = paho_peer(broker)
    peer.publish(ids.topic + "/big", big, qos=1)
    peer.publish(ids.topic + "/small", b"after", qos=1)
    rc = dev.wait(timeout=30)
    assert rc == 0, dev.describe()
    return dev.stdout


def test_a_96k_payload_arrives_on_a_140k_heap_read_straight_into_its_object(
        broker, mpy, ids, paho_peer, heap_firmware):
    big = bytes(range(256)) * 384
    out = receive(mpy, heap_firmware, broker, ids, paho_peer, "140K", big)
    assert "MSG {}/big {} {}".format(ids.topic, len(big), sha(big)) in out, out
    assert "MSG {}/small 5 {}".format(ids.topic, sha(b"after")) in out, out
    assert "STATS 2 0" in out, "two messages on one connection:\n" + out


def test_a_256k_payload_arrives_in_chunks_on_a_100k_heap(broker, mpy, ids, paho_peer, heap_firmware):
    big = bytes((i * 7) & 0xFF for i in range(256 * 1024))
    out = receive(mpy, heap_firmware, broker, ids, paho_peer, "100K", big, chunk=4096)
    m = re.search(r"^CHUNKED (\S+) (\d) (\d+) (\d+) (\w+)$", out, re.M)
    assert m, out
    assert m.group(1) == ids.topic + "/big"
    assert int(m.group(2)) == 1, "delivered at QoS 1"
    assert int(m.group(3)) == len(big)
    assert int(m.group(4)) == len(big) // 4096, "4 KiB a call"
    assert m.group(5) == sha(big), "the chunks, in order, are the payload"
    assert "MSG {}/small 5 {}".format(ids.topic, sha(b"after")) in out, out
    assert "STATS 2 0" in out, out


def test_messages_up_to_the_chunk_buffer_go_to_the_ordinary_callback(
        broker, mpy, ids, paho_peer, heap_firmware):
    big = bytes(range(256)) * 16
    out = receive(mpy, heap_firmware, broker, ids, paho_peer, "2M", big, chunk=4096)
    assert "MSG {}/big 4096 {}".format(ids.topic, sha(big)) in out, out
    assert "CHUNKED" not in out


def test_a_long_message_on_a_locked_heap_raises_memoryerror_and_arrives_later(broker, mpy, ids, paho_peer):
    dev = mpy.start("locked_heap_large.py", env=mpy.env(broker, ids))
    dev.wait_line(r"^READY$", timeout=15)
    peer = paho_peer(broker)
    peer.publish(ids.topic, bytes(range(256)) * 40, qos=1)
    rc = dev.wait(timeout=30)
    assert rc == 0, dev.describe()
    # Each try raises (the payload object cannot be made) and consumes nothing.
    assert "LOCKED 20 []" in dev.stdout, dev.describe()
    assert "GOT [(10240, True)] 1 0" in dev.stdout, dev.describe()


def test_scripted_long_publishes_cut_duplicated_and_too_large(mpy):
    r = mpy.run("scripted_large.py", timeout=60)
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    # 1. The cut: the first chunk went out, no PUBACK; after the reconnect the
    #    DUP re-send comes again from offset 0, and one PUBACK follows its end.
    assert out[0] == "1 chunks [(False, 0, 4096), (True, 0, 4096), (True, 4096, 4096), (True, 8192, 2048)]"
    assert out[1:5] == ["1 whole True", "1 puback first none", "1 puback second 40020005",
                        "1 then b't/s' b'ok'"], r.describe()
    # 2. Delivered once; PUBREC, PUBREC (the copy's payload skipped), PUBCOMP;
    #    the QoS 0 behind it arrives: the stream stayed in step.
    assert out[5] == "2 got [(b't/q2', 10240, True), (b't/end', 1, b'z')]", r.describe()
    assert out[6] == "2 sent 500200095002000970020009", r.describe()
    assert out[7] == "2 stats 1"
    # 3. Beyond max_packet with no chunk callback: refused, as before.
    assert out[8] == "3 MQTTException packet too large", r.describe()
    # 4. The chunk buffer taken away midway: dropped with no PUBACK, the
    #    re-send whole to the ordinary callback, one PUBACK.
    assert out[9] == "4 got [('chunk', 0), (b't/big', 10240, True)]", r.describe()
    assert out[10] == "4 acks ['none', '40020008']", r.describe()
    # 5. Whole in the buffer yet beyond max_packet: refused, nothing
    #    delivered; with a chunk callback it is taken (whole: the buffer
    #    holds it, so it goes to the ordinary callback).
    assert out[11] == "5 False MQTTException packet too large []", r.describe()
    assert out[12] == "5 True got [(b't/w', 93)]", r.describe()
    assert out[-1] == "END" and len(out) == 14, r.describe()


CHUNK_ARG_CASES = {
    "f-int": "TypeError f must be callable or None",
    "f-str": "TypeError f must be callable or None",
    "f-int-buf-none": "TypeError f must be callable or None",
    "buf-bytes": "TypeError buf must be a writable buffer (bytearray) or None",
    "buf-str": "TypeError buf must be a writable buffer (bytearray) or None",
    "buf-memoryview-of-bytes": "TypeError buf must be a writable buffer (bytearray) or None",
    "buf-int": "TypeError buf must be a writable buffer (bytearray) or None",
    "buf-empty": "ValueError chunk buffer is empty",
    "ok-bytearray": "OK",
    "ok-memoryview-of-bytearray": "OK",
    "ok-off-f-none": "OK",
    "ok-off-buf-none": "OK",
}


def chunk_arg_outcomes(mpy, script, face):
    r = mpy.run(script, env={"FACE": face}, timeout=20)
    assert r.returncode == 0, r.describe()
    out = r.stdout.splitlines()
    assert out and out[-1] == "END", r.describe()
    return dict(line.split(" ", 1) for line in out[:-1])


def test_set_chunk_callback_refuses_a_non_callable_and_a_read_only_buffer_at_once(mpy):
    # Before the fix a non-callable f was taken (the TypeError came from
    # wait_msg() once a long message arrived), and a read-only buffer raised
    # the interpreter's "object with buffer protocol required", naming nothing.
    assert chunk_arg_outcomes(mpy, "chunk_args.py", "blocking") == CHUNK_ARG_CASES
