# The broker stops reading while the asyncio client has its own packets to
# write: the PUBACKs of a flood of QoS 1 messages, and PINGREQs (KEEPALIVE,
# default 3 s: one is due after 1.5 s without traffic; its PINGRESP is
# waited for 1.5 s, PINGMAXNUM more times). The client's socket has a small
# send buffer (SO_SNDBUF 4096, through transport=), so a few hundred PUBACKs
# fill it. A 10 ms ticker measures the event loop's largest stall. SCENARIO:
#   resume  the test's broker reads again once the client has read nothing
#           for STALL s (a PINGREQ is due meanwhile): every message
#           arrives, in order, then a QoS 1 publish and DISCONNECT go up
#   stuck   it never reads again: the connection is lost (reconn=False)
#           once the unwritten packet has waited `timeout` (TIMEOUT s)
# Either way the script prints how long the longest wait for room lasted and
# the CPU time the process used meanwhile (the event loop should sleep in
# poll() then, not step the client again and again).
import asyncio
import os
import socket
from time import ticks_ms, ticks_diff
from umqtt import MQTTException
from umqtt.aio import MQTTClient
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded, Ticker, cpu_s

SCENARIO = os.getenv("SCENARIO")
COUNT = int(os.getenv("COUNT", "200"))
TIMEOUT = int(os.getenv("TIMEOUT", "10"))
KEEPALIVE = int(os.getenv("KEEPALIVE", "3"))
PINGMAXNUM = int(os.getenv("PINGMAXNUM", "0"))


def opener():
    s = socket.socket()
    s.setsockopt(1, 7, 4096)        # SOL_SOCKET, SO_SNDBUF (Linux numbers)
    s.setsockopt(1, 8, 4096)        # SO_RCVBUF: the broker's sender soon sees the client stop reading
    s.connect(socket.getaddrinfo(HOST, PORT)[0][-1])
    s.setsockopt(6, 1, 1)           # IPPROTO_TCP, TCP_NODELAY: one segment per packet, as the client's own socket
    return s


async def main():
    ticker = Ticker().start()
    client = MQTTClient(CLIENT_ID, "unused.invalid", 1, transport=opener, keepalive=KEEPALIVE, timeout=TIMEOUT,
                        reconn=False, pingmaxnum=PINGMAXNUM)
    await bounded(client.connect(), 10, "connect")
    out("CONNECTED")
    # Counted and checked as they come, not kept: 5,000 payloads in one
    # growing list made the script itself run out of heap now and then (the
    # list's last growth needs 64 KiB in one piece), which failed the test.
    got = [0, True]             # messages read, all in order so far
    tail = [False, None, 0]     # a tail pending at the last look; when the last one began; CPU s then
    longest = [0, 0]            # the longest tail that went: ms, CPU s used meanwhile

    async def watch():
        # The native client's private state, looked at every 10 ms: when
        # did the packet that sticks start waiting for room?
        while True:
            t = client._c._tail()
            if t and not tail[0]:
                tail[1] = ticks_ms()
                tail[2] = cpu_s()
            elif tail[0] and not t:
                ms = ticks_diff(ticks_ms(), tail[1])
                if ms > longest[0]:
                    longest[0], longest[1] = ms, cpu_s() - tail[2]
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
        out("WAITED", longest[0], longest[1])
        await bounded(client.publish(TOPIC, b"done", qos=1), 10, "publish")
        out("PUBLISHED")
        await bounded(client.disconnect(), 10, "disconnect")
    else:
        try:
            await bounded(read(), 40, "messages", client)
            out("RECEIVED ALL?!")
        except (OSError, MQTTException) as e:
            # What ended it (the errno, or the keep-alive's word once a
            # PINGREQ got into the socket and no PINGRESP came), and the s
            # since the packet that stuck began to wait for room.
            why = e.errno if isinstance(e, OSError) else e.args[0]
            ms = -1 if tail[1] is None else ticks_diff(ticks_ms(), tail[1])
            out("LOST", type(e).__name__, why, ms // 100 / 10)
            out("WAITED", ms, cpu_s() - tail[2])
        out("DOWN", client.up.is_set(), client.down.is_set())
    watcher.cancel()
    out("GAP", ticker.stop(), ticker.ticks)


asyncio.run(main())
