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
    """A task that wakes every 10 ms; `gap` is the longest time between two
    wake-ups (10 ms when nothing ever held the event loop)."""

    def __init__(self, period_ms=10):
        self.period = period_ms
        self.gap = 0
        self.ticks = 0
        self._task = None

    def start(self):
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self):
        last = ticks_ms()
        while True:
            await asyncio.sleep_ms(self.period)
            now = ticks_ms()
            d = ticks_diff(now, last)
            if d > self.gap:
                self.gap = d
            self.ticks += 1
            last = now

    def stop(self):
        self._task.cancel()
        return self.gap


async def bounded(aw, seconds, what):
    """Await with a limit; a timeout prints what was awaited and raises."""
    try:
        return await asyncio.wait_for(aw, seconds)
    except asyncio.TimeoutError:
        out("TIMEOUT", what)
        raise
