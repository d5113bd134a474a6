# set_chunk_callback(f, buf) checks its arguments at once: a non-callable f
# (None turns chunks off) and a buf that is no writable buffer (bytes, str,
# a memoryview of bytes: the client would write into an immutable object)
# raise TypeError naming the argument, and the setting before stays.
# Prints one line per case: <case> <outcome>, then END.
# Env: FACE ("blocking": umqtt.MQTTClient, "aio": umqtt.aio.MQTTClient).
import os

if os.getenv("FACE") == "aio":
    from umqtt.aio import MQTTClient
else:
    from umqtt import MQTTClient


def f(message, chunk, offset, total):
    pass


CASES = (
    ("f-int", 42, bytearray(16)),
    ("f-str", "f", bytearray(16)),
    ("f-int-buf-none", 42, None),
    ("buf-bytes", f, b"0123456789abcdef"),
    ("buf-str", f, "0123456789abcdef"),
    ("buf-memoryview-of-bytes", f, memoryview(b"0123456789abcdef")),
    ("buf-int", f, 16),
    ("buf-empty", f, bytearray()),
    ("ok-bytearray", f, bytearray(16)),
    ("ok-memoryview-of-bytearray", f, memoryview(bytearray(16))),
    ("ok-off-f-none", None, None),
    ("ok-off-buf-none", f, None),
)


def outcome(fn, buf):
    try:
        c.set_chunk_callback(fn, buf)
        return "OK"
    except Exception as e:
        return "%s %s" % (type(e).__name__, e)


c = MQTTClient("chunk-args", "127.0.0.1", 1883)
for name, fn, buf in CASES:
    print(name, outcome(fn, buf))
print("END")
