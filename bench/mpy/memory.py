# The benchmark's heap figures for one client (ours, or umqtt.simple 1.1),
# all as gc.mem_alloc() deltas on the firmware (run with a large -X heapsize
# so the collector can stay disabled while counting).
#
# Env: BENCH_CLIENT ("ours" / "simple" / "aio"), MQTT_HOST, MQTT_PORT, BENCH_ID,
#      PUB_N (publishes counted per case), RECV_WARM, RECV_N, SIZES.
# The asyncio client ("aio": umqtt.aio.MQTTClient) gives the RAM figures
# only (constructed, connected, then the large-message steps below).
# Prints:
#   RAM constructed <bytes>          MQTTClient(...) with its buffers
#   RAM connected <bytes>            ... after connect() (socket included)
#   PUB <qos> <size> <bytes per publish> | na
#   LOCK <qos> <size> ok | raised <exc>   (ours: the loop under heap_lock)
#   READY <size>                     then the driver floods RECV_WARM+RECV_N messages
#   RECV <size> <bytes per message> <topic+payload objects per message>
#   RAM after <bytes>                the client after the largest publish/receive
# then one large message at a time (RAM: the client's heap, as above):
#   RAM rest0 <bytes>                1.1 s later, after one 16 B QoS 0 publish (the
#                                    client looks at its buffers on every call; it
#                                    returns those grown past 2 KiB once no packet has
#                                    needed them for 1 s, cmodule/umqtt/umqtt_buffers.c)
#   READY big                        the driver publishes one 64 KiB message (QoS 0)
#   RAM recv64 <bytes>               after receiving it (the message object dropped)
#   RAM pub64 <bytes>                after publishing one 64 KiB message (QoS 0; the
#                                    payload object dropped)
#   RAM rest <bytes>                 1.1 s later, after one 16 B QoS 0 publish
#   END
import gc
import micropython
import os
import sys
import time

CLIENT = os.getenv("BENCH_CLIENT")
if CLIENT == "ours":
    from umqtt import MQTTClient
elif CLIENT == "aio":
    from umqtt.aio import MQTTClient
else:
    from usimple11.simple import MQTTClient

ID = os.getenv("BENCH_ID")
PREFIX = "bench/" + ID
PUB_N = int(os.getenv("PUB_N"))
RECV_WARM = int(os.getenv("RECV_WARM"))
RECV_N = int(os.getenv("RECV_N"))
SIZES = [int(s) for s in os.getenv("SIZES").split(",")]
count = [0]


def cb(topic, msg):
    count[0] += 1


def payload(size):
    b = bytearray(size)
    for i in range(size):
        b[i] = (i * 31 + 7) & 0xFF
    return bytes(b)


def new_client():
    gc.collect()
    a = gc.mem_alloc()
    c = MQTTClient(ID, os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")))
    gc.collect()
    b = gc.mem_alloc()
    c.set_callback(cb)
    c.connect()
    gc.collect()
    d = gc.mem_alloc()
    return c, a, b - a, d - a


def pub_alloc(c, qos, p, n):
    topic = "%s/m/%d/%d" % (PREFIX, qos, len(p))
    pub = c.publish
    for _ in range(3):
        pub(topic, p, False, qos)
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    for _ in range(n):
        pub(topic, p, False, qos)
    b = gc.mem_alloc()
    gc.enable()
    return b - a


def pub_locked(c, qos, p, n):
    topic = "%s/m/%d/%d" % (PREFIX, qos, len(p))
    pub = c.publish
    micropython.heap_lock()
    try:
        for _ in range(n):
            pub(topic, p, False, qos)
        err = None
    except Exception as e:
        err = e
    micropython.heap_unlock()
    return err


def objects_of(topic_len, size):
    st = bytearray(topic_len)
    sp = bytearray(size)
    gc.collect()
    a = gc.mem_alloc()
    t = bytes(st)
    p = bytes(sp)
    return gc.mem_alloc() - a


def recv_alloc(c, target_warm, target):
    wait = c.wait_msg
    while count[0] < target_warm:
        wait()
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    while count[0] < target:
        wait()
    b = gc.mem_alloc()
    gc.enable()
    return b - a


BIG = 65536
REST_MS = 1100          # UMQTT_BUFFER_REST_MS (1000) and a margin


def heap(base):
    gc.collect()
    return gc.mem_alloc() - base


def aio_main():
    import asyncio

    # The message and the payload live in these coroutines' frames only, so
    # no stale reference in main's frame keeps them (the collector is
    # conservative).
    async def recv_one(c):
        m = await c.messages.__anext__()
        return len(m.payload)

    async def pub_one(c):
        await c.publish(PREFIX + "/big", payload(BIG))

    async def main():
        gc.collect()
        a = gc.mem_alloc()
        c = MQTTClient(ID, os.getenv("MQTT_HOST"), int(os.getenv("MQTT_PORT")))
        print("RAM constructed", heap(a))
        await c.connect()
        await asyncio.sleep_ms(0)
        print("RAM connected", heap(a))
        topic = "%s/flood/big" % PREFIX
        await c.subscribe(topic, 0)
        await asyncio.sleep_ms(REST_MS)
        await c.publish(PREFIX + "/rest", b"0123456789abcdef")
        print("RAM rest0", heap(a))
        print("READY big")
        assert await recv_one(c) == BIG
        print("RAM recv64", heap(a))
        await pub_one(c)
        print("RAM pub64", heap(a))
        await asyncio.sleep_ms(REST_MS)
        await c.publish(PREFIX + "/rest", b"0123456789abcdef")
        print("RAM rest", heap(a))
        await c.disconnect()
        print("END")

    asyncio.run(main())


if CLIENT == "aio":
    aio_main()
    sys.exit(0)

c, base, constructed, connected = new_client()
print("RAM constructed", constructed)
print("RAM connected", connected)
for qos in (0, 1, 2):
    for size in SIZES:
        if qos == 2 and CLIENT == "simple":
            print("PUB", qos, size, "na")
            continue
        p = payload(size)
        n = PUB_N if (qos == 0 or CLIENT == "ours") else max(3, PUB_N // 10)
        d = pub_alloc(c, qos, p, n)
        print("PUB", qos, size, d / n)
        if CLIENT == "ours" and qos < 2:
            err = pub_locked(c, qos, p, n)
            print("LOCK", qos, size, "ok" if err is None else "raised " + repr(err))
        p = None
for size in SIZES:
    topic = "%s/flood/%d" % (PREFIX, size)
    c.subscribe(topic, 0)
    count[0] = 0
    print("READY", size)
    d = recv_alloc(c, RECV_WARM, RECV_WARM + RECV_N)
    print("RECV", size, d / RECV_N, objects_of(len(topic), size))
gc.collect()
print("RAM after", gc.mem_alloc() - base)
# One large message at a time, from buffers at rest.
topic = "%s/flood/big" % PREFIX
c.subscribe(topic, 0)
time.sleep_ms(REST_MS)
c.publish(PREFIX + "/rest", b"0123456789abcdef")
print("RAM rest0", heap(base))
count[0] = 0
print("READY big")


def recv_one():
    while count[0] < 1:
        c.wait_msg()


def pub_one():
    c.publish(PREFIX + "/big", payload(BIG))


recv_one()
print("RAM recv64", heap(base))
pub_one()
print("RAM pub64", heap(base))
time.sleep_ms(REST_MS)
c.publish(PREFIX + "/rest", b"0123456789abcdef")
print("RAM rest", heap(base))
c.disconnect()
print("END")
