# client.messages takes a message without allocating: the pump hands it over
# after the driver has counted it delivered (its PUBACK or PUBREC goes out),
# so a MemoryError there would lose it. Puts 64 messages with the heap
# locked, reads them back in order, then again across the ring's end.
# Prints PUT <"ok" or the exception> <queued> <full>, then READ <in order>.
import asyncio
import micropython
from umqtt.aio import MQTTClient

client = MQTTClient("queue-check", "127.0.0.1")
q = client.messages


def put_locked(objs):
    micropython.heap_lock()
    try:
        for o in objs:
            q._put(o)
        r = "ok"
    except Exception as e:
        r = type(e).__name__
    finally:
        micropython.heap_unlock()
    print("PUT", r, q._n, q._full())


async def read(n):
    got = []
    async for m in q:
        got.append(m)
        if len(got) == n:
            return got


first = [b"a%d" % i for i in range(64)]
put_locked(first)
print("READ", asyncio.run(read(64)) == first)
second = [b"b%d" % i for i in range(64)]
put_locked(second[:10])
print("READ", asyncio.run(read(5)) == second[:5])
put_locked(second[10:59])
print("READ", asyncio.run(read(54)) == second[5:59])
