# The asyncio client over TLS, idle: the event loop should sleep in the
# kernel (poll() on the socket under the TLS stream), not wake every
# millisecond to ask the TLS stream. Prints the CPU time the process used in
# IDLE_MS of idleness (nothing but the client's pump and its alarm running)
# and the times it went to sleep meanwhile (voluntary context switches),
# then a message of 8 KiB comes back: more than one read of the client's
# buffer at rest, so part of it waits decrypted inside the TLS stream, where
# the socket under it does not show it.
import asyncio
import os
from time import ticks_ms, ticks_diff
from umqtt.aio import MQTTClient
from aio_common import HOST, PORT, CLIENT_ID, TOPIC, out, bounded

with open(os.getenv("CA_FILE"), "rb") as f:
    CA = f.read()
IDLE_MS = int(os.getenv("IDLE_MS", "3000"))


def cpu_ms():
    # utime + stime of this process, in clock ticks (100 per second on Linux)
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 10


def sleeps():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    return -1


async def main():
    client = MQTTClient(CLIENT_ID, HOST, PORT, keepalive=60, timeout=5, reconn=False, ssl=True,
                        ssl_params={"cadata": CA, "server_hostname": "localhost"})
    await bounded(client.connect(), 15, "connect")
    await bounded(client.subscribe(TOPIC, 1), 10, "subscribe")
    await asyncio.sleep_ms(200)
    c0, s0, t0 = cpu_ms(), sleeps(), ticks_ms()
    await asyncio.sleep_ms(IDLE_MS)
    out("IDLE_CPU", cpu_ms() - c0, ticks_diff(ticks_ms(), t0), sleeps() - s0)
    big = bytes(range(256)) * 32
    t0 = ticks_ms()
    await bounded(client.publish(TOPIC, big, qos=1), 10, "publish")
    m = await bounded(client.messages.__anext__(), 10, "message")
    dt = ticks_diff(ticks_ms(), t0)
    out("GOT", len(m.payload), m.payload == big, "fast" if dt < 1000 else "slow {} ms".format(dt))
    await bounded(client.disconnect(), 10, "disconnect")


asyncio.run(main())
