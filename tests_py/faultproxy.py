"""A fault-injecting TCP proxy for the umqtt tests (CPython, loopback only).

The MicroPython client connects to the proxy; the proxy connects each
accepted connection to the broker and forwards bytes both ways, following the
MQTT packet boundaries of each direction, so faults can be placed exactly:

- ``cut(how)``: cut every open connection now.
- ``cut_at_total(n, how)``: cut when the byte count over all connections and
  both directions reaches ``n`` (so at a random point of the stream, usually
  inside a packet).
- ``cut_on_packet(direction, packet, nth=1, offset="mid", how)``: cut inside
  (``"mid"``, ``"first"`` = after its first byte, an int = after that many
  bytes) or right after (``"after"``) the ``nth`` packet of a type seen in a
  direction from now on.
- ``hold_on_packet(direction, packet, nth=1)``: stall a direction just
  before a chosen packet (released by ``resume()``).
- ``stall(direction=None, duration=None)`` / ``resume()``: stop forwarding
  (the proxy stops reading, so the sender's socket buffers fill up), ending by
  itself after ``duration`` seconds.
- ``trickle(direction, chunk=1, delay=0.001)``: deliver bytes one at a time
  (or ``chunk`` at a time) with a pause between, so the receiver sees every
  packet in pieces.
- ``set_mode("forward" | "refuse" | "blackhole")``: forward new connections,
  accept and close them at once, or accept them and never answer.

``how`` is ``"reset"`` (RST on both sides, SO_LINGER 0) or ``"close"``
(FIN). Every cut is recorded in ``cuts`` (direction, packet type, offset
inside the packet), every connection in ``connections`` (bytes and packet
counts per direction, the first bytes of recent packets).

Bounded: sockets have timeouts, every loop wakes at least every 50 ms, and the
proxy stops by itself ``max_lifetime`` seconds after ``start()``. It only ever
listens on and connects to loopback addresses.
"""

import collections
import ipaddress
import random
import select
import socket
import struct
import threading
import time

UP = "up"        # client -> broker
DOWN = "down"    # broker -> client
DIRECTIONS = (UP, DOWN)

PACKET_TYPES = {
    1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL", 7: "PUBCOMP",
    8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP",
    14: "DISCONNECT",
}
PACKET_CODES = {name: code for code, name in PACKET_TYPES.items()}
HEAD_BYTES = 96          # first bytes of each packet kept in the records
RECORDS_PER_DIRECTION = 4000
POLL_S = 0.05


def _check_loopback(host):
    try:
        addr = ipaddress.ip_address(socket.gethostbyname(host))
    except (OSError, ValueError):
        raise ValueError("faultproxy: cannot resolve {!r}".format(host))
    if not addr.is_loopback:
        raise ValueError("faultproxy: {} is not a loopback address".format(host))


def packet_name(code):
    return PACKET_TYPES.get(code, "type{}".format(code))


class PacketRecord(collections.namedtuple("PacketRecord", "type first total head time complete",
                                          defaults=(True,))):
    """One packet seen in one direction: type code, first byte, total size, first bytes, time;
    ``complete`` is False for the packet a cut went through (recorded as far as it got)."""

    @property
    def name(self):
        return packet_name(self.type)

    @property
    def dup(self):
        return bool(self.first & 0x08)

    @property
    def qos(self):
        return (self.first >> 1) & 3

    def publish_id(self):
        """Packet id of a QoS 1/2 PUBLISH (None otherwise or when not captured)."""
        if self.type != 3 or self.qos == 0:
            return None
        body = self._body()
        if body is None or len(body) < 2:
            return None
        tlen = struct.unpack(">H", body[:2])[0]
        if len(body) < 2 + tlen + 2:
            return None
        return struct.unpack(">H", body[2 + tlen:4 + tlen])[0]

    def publish_topic(self):
        if self.type != 3:
            return None
        body = self._body()
        if body is None or len(body) < 2:
            return None
        tlen = struct.unpack(">H", body[:2])[0]
        return bytes(body[2:2 + tlen]) if len(body) >= 2 + tlen else None

    def ack_id(self):
        """Packet id of PUBACK/PUBREC/PUBREL/PUBCOMP/SUBACK/UNSUBACK."""
        body = self._body()
        if self.type in (4, 5, 6, 7, 9, 11) and body is not None and len(body) >= 2:
            return struct.unpack(">H", body[:2])[0]
        return None

    def _body(self):
        # Skip the fixed header: first byte and 1..4 length bytes.
        h = self.head
        i = 1
        while i < len(h) and i < 5 and h[i] & 0x80:
            i += 1
        return h[i + 1:] if i < len(h) else None


class _Framer:
    """Follows packet boundaries in one direction."""

    def __init__(self):
        self.pos = 0             # bytes of the current packet seen
        self.first = 0
        self.length = 0
        self.shift = 0
        self.total = None        # known once the fixed header is complete
        self.head = bytearray()
        self.ordinal = 0         # packets started so far
        self.last_type = None

    @property
    def type(self):
        return self.first >> 4 if self.pos else None


class _Rule:
    """A cut armed on a packet (or on the total byte count)."""

    def __init__(self, how, direction=None, packet=None, nth=1, offset="mid", total=None, fresh=False, label=None,
                 action="cut"):
        self.how = how
        self.action = action        # "cut", or "hold": stall the direction just before the packet
        self.direction = direction
        self.packet = packet
        self.nth = nth
        self.offset = offset
        self.total = total
        self.fresh = fresh          # only connections accepted after arming
        self.seen = 0
        self.fired = False
        self.armed_at_conn = None
        self.label = label

    def describe(self):
        if self.total is not None:
            return "at total byte {}".format(self.total)
        if self.action == "hold":
            return "hold {} before {} #{}".format(self.direction, packet_name(self.packet), self.nth)
        return "{} {} #{} offset {}".format(self.direction, packet_name(self.packet), self.nth, self.offset)


class Connection:
    """One proxied connection and what went through it."""

    def __init__(self, proxy, cid, client):
        self.proxy = proxy
        self.id = cid
        self.client = client
        self.server = None
        self.opened_at = time.monotonic()
        self.closed_at = None
        self.end = None
        self.bytes = {UP: 0, DOWN: 0}
        self.packets = {UP: collections.Counter(), DOWN: collections.Counter()}
        self.records = {d: collections.deque(maxlen=proxy.records_per_direction) for d in DIRECTIONS}
        self.framers = {UP: _Framer(), DOWN: _Framer()}
        self.pending = {UP: b"", DOWN: b""}     # held back by a "hold" rule
        self._cut_request = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self.thread = None

    # --- requests from other threads -------------------------------------
    def request_cut(self, how, label):
        if self._cut_request is None:
            self._cut_request = (how, label)
        self.wake()

    def wake(self):
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    @property
    def closed(self):
        return self.closed_at is not None

    # --- the pump ----------------------------------------------------------
    def run(self):
        p = self.proxy
        try:
            try:
                self.server = socket.create_connection((p.target_host, p.target_port), timeout=5)
            except OSError as e:
                self._close("reset", "upstream connect failed: {}".format(e))
                return
            for s in (self.client, self.server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.settimeout(10)
            src = {UP: self.client, DOWN: self.server}
            while not self.closed:
                if p._stopping.is_set() or time.monotonic() > p._deadline:
                    self._close("close", "proxy stopped")
                    return
                if self._cut_request is not None:
                    how, label = self._cut_request
                    self._cut(how, None, label)
                    return
                stalled = p._stalled_directions()
                for d in DIRECTIONS:
                    if self.pending[d] and d not in stalled:
                        data, self.pending[d] = self.pending[d], b""
                        if not self._forward(d, data):
                            return
                        stalled = p._stalled_directions()
                watch = [self._wake_r] + [src[d] for d in DIRECTIONS if d not in stalled]
                try:
                    ready, _, _ = select.select(watch, [], [], POLL_S)
                except (OSError, ValueError):
                    self._close("close", "select failed")
                    return
                if self._wake_r in ready:
                    try:
                        self._wake_r.recv(4096)
                    except OSError:
                        pass
                for d in DIRECTIONS:
                    if src[d] in ready and not self.closed and self._cut_request is None:
                        try:
                            data = src[d].recv(65536)
                        except OSError as e:
                            self._close("reset", "{} side error: {}".format("client" if d == UP else "broker", e))
                            return
                        if not data:
                            self._close("close", "{} closed".format("client" if d == UP else "broker"))
                            return
                        if not self._forward(d, data):
                            return
        except Exception as e:  # never let a pump thread die silently
            self._close("reset", "proxy error: {!r}".format(e))
            raise
        finally:
            for s in (self._wake_r, self._wake_w):
                try:
                    s.close()
                except OSError:
                    pass

    def _forward(self, d, data):
        """Forward ``data`` in direction ``d``; False when the connection ended (cut)."""
        p = self.proxy
        with p._lock:
            limit, trule = p._total_limit(len(data))
            k, rule = self._walk(d, data, limit)
            if rule is None and trule is not None and k == limit:
                rule = trule
            if rule is not None:
                rule.fired = True
                p._rules.remove(rule)
                if rule.action == "hold":
                    p._stall[d] = float("inf")
                    self.pending[d] = data[k:]
            p.total_bytes += k
            self.bytes[d] += k
        dst = self.server if d == UP else self.client
        try:
            p._deliver(dst, d, data[:k])
        except OSError as e:
            self._close("reset", "{} send failed: {}".format("broker" if d == UP else "client", e))
            return False
        if rule is not None and rule.action == "cut":
            self._cut(rule.how, d, rule.label or rule.describe())
            return False
        return True

    def _walk(self, d, data, limit):
        """Follow packets through data[:limit]; stop early where a packet rule fires.

        Returns (bytes to forward, rule that fired or None)."""
        p = self.proxy
        f = self.framers[d]
        rules = [r for r in p._rules if r.total is None and r.direction == d
                 and (not r.fresh or self.id > r.armed_at_conn)]
        n = min(limit, len(data))
        i = 0
        while i < n:
            if f.total is None:
                b = data[i]
                if f.pos == 0:
                    for r in rules:
                        if r.action == "hold" and r.packet == b >> 4 and r.seen + 1 >= r.nth:
                            return i, r
                i += 1
                f.pos += 1
                if f.pos == 1:
                    f.first = b
                    f.length = 0
                    f.shift = 0
                    f.head = bytearray([b])
                    f.ordinal += 1
                    ptype = b >> 4
                    for r in rules:
                        if r.packet == ptype:
                            r.seen += 1
                    hit = self._rule_at(rules, f, ptype)
                    if hit is not None:
                        return i, hit
                    continue
                f.head.append(b)
                f.length |= (b & 0x7F) << f.shift
                f.shift += 7
                if not b & 0x80 or f.pos == 5:
                    f.total = f.pos + f.length
                hit = self._rule_at(rules, f, f.first >> 4)
                if f.total is not None and f.pos >= f.total:
                    self._packet_done(d, f)
                if hit is not None:
                    return i, hit
            else:
                step = min(f.total - f.pos, n - i)
                target, hit = self._rule_target(rules, f)
                if hit is not None and f.pos < target <= f.pos + step:
                    take = target - f.pos
                    self._capture(f, data, i, take)
                    f.pos += take
                    i += take
                    if f.pos >= f.total:
                        self._packet_done(d, f)
                    return i, hit
                self._capture(f, data, i, step)
                f.pos += step
                i += step
                if f.pos >= f.total:
                    self._packet_done(d, f)
        return n, None

    @staticmethod
    def _capture(f, data, i, count):
        room = HEAD_BYTES - len(f.head)
        if room > 0:
            f.head += data[i:i + min(room, count)]

    def _packet_done(self, d, f):
        ptype = f.first >> 4
        self.packets[d][packet_name(ptype)] += 1
        self.records[d].append(PacketRecord(ptype, f.first, f.total, bytes(f.head), time.monotonic()))
        f.last_type = ptype
        f.pos = 0
        f.total = None

    @staticmethod
    def _resolve(rule, f):
        """The offset inside the current packet where ``rule`` cuts, or None if not known yet."""
        off = rule.offset
        if off == "first":
            return 1
        if isinstance(off, int):
            return off
        if f.total is None:
            # Two-byte packets (PINGREQ, PINGRESP, DISCONNECT): "mid" is after the first byte.
            if off == "mid" and (f.first >> 4) in (12, 13, 14):
                return 1
            return None
        if off == "after":
            return f.total
        return max(1, f.total // 2)     # "mid"

    def _rule_target(self, rules, f):
        ptype = f.first >> 4
        for r in rules:
            if r.action == "cut" and r.packet == ptype and r.seen >= r.nth and not r.fired:
                t = self._resolve(r, f)
                if t is not None:
                    return t, r
        return None, None

    def _rule_at(self, rules, f, ptype):
        """A rule that cuts exactly at the current position (inside the header)."""
        for r in rules:
            if r.action == "cut" and r.packet == ptype and r.seen >= r.nth and not r.fired:
                t = self._resolve(r, f)
                if t is not None and t <= f.pos:
                    return r
        return None

    def _cut(self, how, direction, label):
        f = self.framers.get(direction) if direction else None
        info = {
            "conn": self.id,
            "time": time.monotonic(),
            "how": how,
            "direction": direction,
            "reason": label,
            "packet": None,
            "offset": None,
            "total": None,
            "mid_packet": False,
        }
        if f is not None:
            if f.pos > 0:
                info.update(packet=packet_name(f.first >> 4), offset=f.pos, total=f.total,
                            mid_packet=f.total is None or f.pos < f.total)
                self.records[direction].append(PacketRecord(f.first >> 4, f.first, f.total, bytes(f.head),
                                                            time.monotonic(), False))
            elif f.last_type is not None:
                info.update(packet=packet_name(f.last_type), offset="end")
        with self.proxy._lock:
            self.proxy.cuts.append(info)
        self._close(how, "cut: " + str(label))

    def _close(self, how, reason):
        if self.closed:
            return
        for s in (self.client, self.server):
            if s is None:
                continue
            try:
                if how == "reset":
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        with self.proxy._cond:
            self.closed_at = time.monotonic()
            self.end = reason
            self.proxy._cond.notify_all()


class FaultProxy:
    """``FaultProxy(target_port)``: listens on a free loopback port (``.port``)."""

    def __init__(self, target_port, target_host="127.0.0.1", listen_host="127.0.0.1", max_lifetime=1800.0,
                 seed=None, records_per_direction=RECORDS_PER_DIRECTION):
        _check_loopback(target_host)
        _check_loopback(listen_host)
        self.target_host = target_host
        self.target_port = int(target_port)
        self.listen_host = listen_host
        self.max_lifetime = float(max_lifetime)
        self.records_per_direction = records_per_direction
        self.random = random.Random(seed)
        self.port = None
        self.connections = []
        self.attempts = []           # (monotonic time, mode) of every accepted connection
        self.cuts = []
        self.total_bytes = 0
        self.trickled = {UP: 0, DOWN: 0}    # send() calls made while trickling
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._rules = []
        self._stall = {}             # direction -> monotonic end time
        self._trickle = {}           # direction -> (chunk, delay)
        self._mode = "forward"
        self._stopping = threading.Event()
        self._deadline = float("inf")
        self._listener = None
        self._accept_thread = None
        self._blackholed = []

    # --- life ------------------------------------------------------------
    def start(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.listen_host, 0))
        s.listen(16)
        s.settimeout(POLL_S)
        self._listener = s
        self.port = s.getsockname()[1]
        self._deadline = time.monotonic() + self.max_lifetime
        self._accept_thread = threading.Thread(target=self._accept_loop, name="faultproxy-accept", daemon=True)
        self._accept_thread.start()
        return self

    def stop(self):
        self._stopping.set()
        with self._lock:
            conns = list(self.connections)
        for c in conns:
            c.wake()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
        for c in conns:
            if c.thread is not None:
                c.thread.join(timeout=5)
        for s in self._blackholed:
            try:
                s.close()
            except OSError:
                pass
        if self._listener is not None:
            try:
                self._listener.close()
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _accept_loop(self):
        while not self._stopping.is_set() and time.monotonic() < self._deadline:
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(10)
            with self._cond:
                mode = self._mode
                self.attempts.append((time.monotonic(), mode))
                self._cond.notify_all()
            if mode == "refuse":
                try:
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    client.close()
                except OSError:
                    pass
                continue
            if mode == "blackhole":
                self._blackholed.append(client)
                continue
            with self._cond:
                conn = Connection(self, len(self.connections) + 1, client)
                self.connections.append(conn)
                self._cond.notify_all()
            conn.thread = threading.Thread(target=conn.run, name="faultproxy-conn{}".format(conn.id), daemon=True)
            conn.thread.start()
        self._stopping.set()

    # --- faults ------------------------------------------------------------
    def cut(self, how="reset", label="cut now"):
        """Cut every open connection now; returns how many were cut."""
        with self._lock:
            open_conns = [c for c in self.connections if not c.closed]
        for c in open_conns:
            c.request_cut(how, label)
        return len(open_conns)

    def cut_at_total(self, total, how="reset", label=None):
        """Cut when the byte count (all connections, both directions) reaches ``total``."""
        with self._lock:
            self._rules.append(_Rule(how, total=int(total), label=label))

    def cut_on_packet(self, direction, packet, nth=1, offset="mid", how="reset", fresh=False, label=None):
        """Cut at ``offset`` of the ``nth`` packet of type ``packet`` (name or code) seen in
        ``direction`` from now on (``fresh``: only on connections accepted after this call)."""
        code = PACKET_CODES[packet] if isinstance(packet, str) else int(packet)
        assert direction in DIRECTIONS
        with self._lock:
            r = _Rule(how, direction=direction, packet=code, nth=nth, offset=offset, fresh=fresh, label=label)
            r.armed_at_conn = len(self.connections)
            self._rules.append(r)
            return r

    def hold_on_packet(self, direction, packet, nth=1):
        """Stall ``direction`` just before the ``nth`` packet of a type seen from now on (that
        packet and everything after it wait until ``resume()``; a cut discards them)."""
        code = PACKET_CODES[packet] if isinstance(packet, str) else int(packet)
        assert direction in DIRECTIONS
        with self._lock:
            r = _Rule("none", direction=direction, packet=code, nth=nth, action="hold")
            r.armed_at_conn = len(self.connections)
            self._rules.append(r)
            return r

    def clear_rules(self):
        with self._lock:
            self._rules = []

    def pending_rules(self):
        with self._lock:
            return len(self._rules)

    def stall(self, direction=None, duration=None):
        """Stop forwarding (``direction`` None: both) until ``resume()`` or ``duration`` s."""
        end = time.monotonic() + (duration if duration is not None else self.max_lifetime)
        with self._lock:
            for d in ([direction] if direction else DIRECTIONS):
                self._stall[d] = end

    def resume(self):
        with self._lock:
            self._stall = {}
            conns = list(self.connections)
        for c in conns:
            c.wake()

    def trickle(self, direction=None, chunk=1, delay=0.001):
        """Deliver ``chunk`` bytes at a time with ``delay`` s between (``chunk`` None: stop trickling)."""
        with self._lock:
            for d in ([direction] if direction else DIRECTIONS):
                if chunk is None:
                    self._trickle.pop(d, None)
                else:
                    self._trickle[d] = (int(chunk), float(delay))

    def set_mode(self, mode):
        """``"forward"`` (default), ``"refuse"`` (accept and reset) or ``"blackhole"`` (accept, never answer)."""
        assert mode in ("forward", "refuse", "blackhole")
        with self._lock:
            self._mode = mode

    # --- inside the pumps ----------------------------------------------------
    def _stalled_directions(self):
        now = time.monotonic()
        with self._lock:
            return {d for d, end in self._stall.items() if end > now}

    def _total_limit(self, n):
        """How many of the next ``n`` bytes may pass before a total-count rule fires."""
        best, rule = n, None
        for r in self._rules:
            if r.total is not None:
                left = max(0, r.total - self.total_bytes)
                if left < best:
                    best, rule = left, r
        return best, rule

    def _deliver(self, sock, d, data):
        with self._lock:
            tr = self._trickle.get(d)
        if not tr or not data:
            if data:
                sock.sendall(data)
            return
        chunk, delay = tr
        for i in range(0, len(data), chunk):
            sock.sendall(data[i:i + chunk])
            self.trickled[d] += 1
            if delay > 0:
                time.sleep(delay)

    # --- observing -----------------------------------------------------------
    def wait_for(self, predicate, timeout):
        """Wait until ``predicate(self)`` is true (checked on every change and every 50 ms)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                v = predicate(self)
                if v:
                    return v
                left = deadline - time.monotonic()
                if left <= 0:
                    return v
                self._cond.wait(min(left, POLL_S))

    def wait_connections(self, n, timeout):
        """Wait until at least ``n`` connections were forwarded; return the count."""
        self.wait_for(lambda p: len(p.connections) >= n, timeout)
        return len(self.connections)

    def wait_cuts(self, n, timeout):
        self.wait_for(lambda p: len(p.cuts) >= n, timeout)
        return len(self.cuts)

    def open_connections(self):
        with self._lock:
            return [c for c in self.connections if not c.closed]

    def packet_counts(self, direction):
        """Packets (by name) seen in ``direction`` over all connections."""
        total = collections.Counter()
        with self._lock:
            for c in self.connections:
                total.update(c.packets[direction])
        return total

    def records(self, direction, packet=None):
        """Recorded packets of ``direction`` (optionally one type) over all connections, in order."""
        code = PACKET_CODES[packet] if isinstance(packet, str) else packet
        out = []
        with self._lock:
            for c in self.connections:
                out.extend((c.id, r) for r in c.records[direction] if code is None or r.type == code)
        return out

    def summary(self):
        mid = sum(1 for c in self.cuts if c["mid_packet"])
        return "{} connections, {} cuts ({} inside a packet), {} bytes".format(
            len(self.connections), len(self.cuts), mid, self.total_bytes)
