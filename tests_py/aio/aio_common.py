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


async def bounded(aw, seconds, what):
    """Await with a limit; a timeout prints what was awaited and raises."""
    try:
        return await asyncio.wait_for(aw, seconds)
    except asyncio.TimeoutError:
        out("TIMEOUT", what)
        raise
