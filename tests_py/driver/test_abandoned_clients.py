"""Defect 3 of issue 10: a client the script drops is finalised.

Before the fix the background keep-alive thread of a client with
``keepalive > 0`` held the client: a client the script dropped without
``disconnect()`` was never collected, kept pinging and kept its socket, one
thread and one socket leaked per abandoned client.

abandoned_clients.py connects 10 clients (keepalive=2), drops each, runs
``gc.collect()`` and sleeps 3 s. Then, with the process still alive, three
independent views must agree that every client is gone:

- the process holds no TCP socket to the broker port any more (its
  ``/proc/<pid>/fd`` socket inodes matched against ``/proc/<pid>/net/tcp``:
  robust, exact, needs no tool beyond /proc);
- its thread count (``/proc/<pid>/status``, ``Threads:``) is back to 1 or 2
  (the main thread, plus at most one shared helper);
- the broker logged, for each of the 10 client ids, that the client closed
  its connection (or disconnected), not that it timed out.
"""

import os
import re

import pytest

import mqtt_harness as h

N_CLIENTS = 10


def broker_sockets(pid, port):
    """TCP sockets of process ``pid`` whose remote end is 127.0.0.1:``port``."""
    inodes = set()
    fd_dir = "/proc/{}/fd".format(pid)
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]$", target)
        if m:
            inodes.add(m.group(1))
    found = []
    with open("/proc/{}/net/tcp".format(pid)) as f:
        next(f)
        for line in f:
            fields = line.split()
            remote, state, inode = fields[2], fields[3], fields[9]
            if inode in inodes and int(remote.split(":")[1], 16) == port:
                found.append((remote, state))
    return found


def thread_count(pid):
    with open("/proc/{}/status".format(pid)) as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads: line in /proc/{}/status".format(pid))


@pytest.mark.umqtt_timeout(40)
def test_ten_dropped_clients_close_their_sockets_and_stop_their_threads(broker, mpy, ids):
    dev = mpy.start("abandoned_clients.py", env=mpy.env(broker, ids, N_CLIENTS=N_CLIENTS))
    dev.wait_line(r"^CONNECTED {}$".format(N_CLIENTS), timeout=20)
    dev.wait_line(r"^CHECK$", timeout=15)
    pid = dev.proc.pid
    socks = broker_sockets(pid, broker.port)
    threads = thread_count(pid)
    names = ["{}-{}".format(ids.client_id, i) for i in range(N_CLIENTS)]

    def closed(name):
        return re.search(r"Client {} (closed its connection|disconnected)".format(re.escape(name)),
                         broker.new_log())

    h.wait_until(lambda: all(closed(n) for n in names), 2.0)
    still_open = [n for n in names if not closed(n)]
    dev.send_line("done")
    dev.wait_line(r"^END$", timeout=10)
    assert dev.wait(timeout=10) == 0, dev.describe()
    problems = []
    if socks:
        problems.append("{} of {} dropped clients still hold a TCP connection to the broker: {}".format(
            len(socks), N_CLIENTS, socks))
    if threads > 2:
        problems.append("the process still runs {} threads after the clients were dropped (expected 1 or 2)".format(
            threads))
    if still_open:
        problems.append("the broker saw no close for {} of {} clients: {}".format(
            len(still_open), N_CLIENTS, still_open))
    assert not problems, "\n".join(problems)


@pytest.mark.umqtt_timeout(30)
def test_clients_closed_before_their_first_keepalive_tick_are_collected(mpy):
    """A closed client is garbage at once, even while its keep-alive thread
    sleeps before its first tick. The thread starts with a copy of its
    creator's registers; under AddressSanitizer one of them (xmm3) held the
    client's address through that first sleep, so every client closed within
    200 ms of its connect() survived the next ``gc.collect()`` (the stream
    fuzz saw 30-97 KB of heap where 13-23 KB is usual)."""
    k = 20
    r = mpy.run("closed_soon_clients.py", env={"K": k}, timeout=20)
    assert r.returncode == 0, r.describe()
    line = [l for l in r.stdout.splitlines() if l.startswith("RETAINED ")]
    assert line, r.describe()
    _, retained, _, one, _, ms = line[0].split()
    retained, one, ms = int(retained), int(one), int(ms)
    assert ms < 200, "the {} clients took {} ms: their threads may have ticked, the test proves nothing".format(k, ms)
    assert one > 0, r.describe()
    # Conservative collection may keep one or two through a stale slot of
    # the main thread; the defect kept every one.
    assert retained <= 3 * one, "{} of {} closed clients still on the heap ({} B, one client {} B)".format(
        round(retained / one, 1), k, retained, one)
