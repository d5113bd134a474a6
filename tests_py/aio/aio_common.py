# Shared by the asyncio client's test scripts (run on the firmware).
import asyncio
import os
from time import ticks_ms, ticks_diff

HOST = os.getenv("MQTT_HOST")
PORT = int(os.getenv("MQTT_PORT"))
CLIENT_ID = os.getenv("MQTT_CLIENT_ID")
TOPIC = os.getenv("MQTT_TOPIC")


out = print     # unbuffered on the unix port: pytest sees each line at once


class Ticker:
    """A task that wakes every 10 ms; `gap` is the longest time without a
    wake-up, up to stop() (10 ms when nothing ever held the event loop)."""

    def __init__(self, period_ms=10):
        self.period = period_ms
        self.gap = 0
        self.ticks = 0
        self._task = None

    def start(self):
        self._last = ticks_ms()
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self):
        self._last = ticks_ms()
        while True:
            await asyncio.sleep_ms(self.period)
            self._tick()
            self.ticks += 1

    def _tick(self):
        now = ticks_ms()
        self.gap = max(self.gap, ticks_diff(now, self._last))
        self._last = now

    def stop(self):
        self._task.cancel()
        self._tick()
        return self.gap


async def bounded(aw, seconds, what, client=None):
    """Await with a limit; a timeout prints what was awaited (and the
    client's inner state, for the test's report) and raises."""
    try:
        return await asyncio.wait_for(aw, seconds)
    except asyncio.TimeoutError:
        out("TIMEOUT", what)
        if client is not None:
            dump(client)
        raise


def dump(client):
    """The asyncio client's inner state (private names: diagnostics only)."""
    import select
    from asyncio import core

    c = client._c
    pump = client._pump_task
    ready = select.poll()
    ready.register(c, select.POLLIN)
    out("STATE sta", c.get_mqttsta(), "next_timeout", c._next_timeout(), "queued", client.messages._n,
        "parked", client._parked, "pump on io", pump is not None and pump.data is core._io_queue,
        "pump data", None if pump is None else pump.data, "wait_on", client._wait_on(),
        "client readable", ready.poll(0), "wake_at in", ticks_diff(client._wake_at, ticks_ms()),
        "alarm in", ticks_diff(client._alarm_at, ticks_ms()))
    out("STATE io map", [(v[0] is pump, v[1] is pump, v[2]) for v in core._io_queue.map.values()])
    out("STATE step", c._step(), "queued", client.messages._n)


def cpu_s():
    """CPU seconds this process has used (user + system), from
    /proc/self/stat (Linux, 100 ticks per second): the unix port has no
    process_time()."""
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100
