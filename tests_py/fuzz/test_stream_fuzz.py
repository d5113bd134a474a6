"""Fuzz target (c) of issue 14: the shim through transport= against random
broker streams (stream_fuzz.py), on the firmware under test (under
`make test-asan`, the sanitizer build). FUZZ_STREAM_SECONDS (default 30)
per seed; `make fuzz-stream FUZZ_SECONDS=...` for the long form."""

import os
import random

import pytest

SECONDS = float(os.environ.get("FUZZ_STREAM_SECONDS", "30"))
SEED = int(os.environ.get("FUZZ_STREAM_SEED") or random.SystemRandom().randrange(1, 1 << 30))


@pytest.mark.umqtt_timeout(int(SECONDS) + 120)
def test_random_broker_streams_never_crash_or_raise_the_unexpected(mpy, figures):
    r = mpy.run("stream_fuzz.py", env={"FUZZ_SEED": SEED, "FUZZ_SECONDS": SECONDS}, timeout=SECONDS + 90)
    assert r.returncode == 0, "seed {}: {}".format(SEED, r.describe())
    lines = r.stdout.splitlines()
    done = [l for l in lines if l.startswith("DONE ")]
    assert done, "seed {}: {}".format(SEED, r.describe())
    _, n, unexpected, secs = done[0].split()
    heaps = [int(l.split()[-1]) for l in lines if l.startswith("ITER ")]
    figures("stream fuzz seed {}: {} clients in {} s ({:.0f}/s), unexpected exceptions {}, heap {}..{} bytes".format(
        SEED, n, secs, int(n) / max(1, int(secs)), unexpected, min(heaps or [0]), max(heaps or [0])))
    assert int(unexpected) == 0, "seed {}: {}".format(SEED, "\n".join(l for l in lines if l.startswith("UNEXPECTED")))
    assert int(n) > 100
    if len(heaps) > 4:
        warm = heaps[len(heaps) // 4:]
        assert max(warm) - min(warm) <= 16384, "heap drift: {}".format(heaps)
