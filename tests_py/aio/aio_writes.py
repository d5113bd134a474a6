# The broker stops reading while the asyncio client has its own packets to
# write: the PUBACKs of a flood of QoS 1 messages, and PINGREQs (keepalive
# 3 s: one is due during the stall; its PINGRESP is waited for 1.5 s). The
# client's socket has a small send buffer (SO_SNDBUF 4096, through
# transport=), so a few hundred PUBACKs fill it. A 10 ms ticker measures the event
# loop's largest stall. SCENARIO:
#   resume  the test's broker reads again once the client has read nothing
#           for 2.5 s (a PINGREQ is due meanwhile): every message
#           arrives, in order, then a QoS 1 publish and DISCONNECT go up
#   stuck   it never reads again: the connection is lost (reconn=False)
#           once the unwritten packet has waited `timeout` (TIMEOUT s)
import asyncio
import os
import socket
from time import ticks_ms, ticks_diff
from umqtt.aio import MQTTClient
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded, Ticker

SCENARIO = os.getenv("SCENARIO")
COUNT = int(os.getenv("COUNT", "200"))
TIMEOUT = int(os.getenv("TIMEOUT", "10"))


def opener():
    s = socket.socket()
    s.setsockopt(1, 7, 4096)        # SOL_SOCKET, SO_SNDBUF (Linux numbers)
    s.setsockopt(1, 8, 4096)        # SO_RCVBUF: the broker's sender soon sees the client stop reading
    s.connect(socket.getaddrinfo(HOST, PORT)[0][-1])
    s.setsockopt(6, 1, 1)           # IPPROTO_TCP, TCP_NODELAY: one segment per packet, as the client's own socket
    return s


async def main():
    ticker = Ticker().start()
    client = MQTTClient(CLIENT_ID, "unused.invalid", 1, transport=opener, keepalive=3, timeout=TIMEOUT,
                        reconn=False)
    await bounded(client.connect(), 10, "connect")
    out("CONNECTED")
    # Counted and checked as they come, not kept: 5,000 payloads in one
    # growing list made the script itself run out of heap now and then (the
    # list's last growth needs 64 KiB in one piece), which failed the test.
    got = [0, True]             # messages read, all in order so far
    tail = [False, None]        # a tail pending at the last look; when the last one began

    async def watch():
        # The native client's private state, looked at every 10 ms: when
        # did the packet that sticks start waiting for room?
        while True:
            t = client._c._tail()
            if t and not tail[0]:
                tail[1] = ticks_ms()
            tail[0] = t
            await asyncio.sleep_ms(10)

    watcher = asyncio.create_task(watch())

    async def read():
        async for m in client.messages:
            p = m.payload
            got[1] = got[1] and len(p) == 64 and p[:5] == b"%05d" % got[0]
            got[0] += 1
            if got[0] == COUNT:
                break

    if SCENARIO == "resume":
        await bounded(read(), 40, "messages", client)
        out("RECEIVED", got[0], got[1])
        await bounded(client.publish(TOPIC, b"done", qos=1), 10, "publish")
        out("PUBLISHED")
        await bounded(client.disconnect(), 10, "disconnect")
    else:
        try:
            await bounded(read(), 40, "messages", client)
            out("RECEIVED ALL?!")
        except OSError as e:
            # s since the packet that stuck began to wait for room
            out("LOST OSError", e.errno, -1 if tail[1] is None else ticks_diff(ticks_ms(), tail[1]) // 100 / 10)
        out("DOWN", client.up.is_set(), client.down.is_set())
    watcher.cancel()
    out("GAP", ticker.stop(), ticker.ticks)


asyncio.run(main())
