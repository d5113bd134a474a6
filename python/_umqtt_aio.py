# umqtt.aio: the asyncio face of the umqtt client.
#
#     from umqtt.aio import MQTTClient
#     async with MQTTClient("dev1", "192.0.2.10", keepalive=30) as client:
#         await client.subscribe("cmd/#", qos=1)
#         await client.publish("state", b"up", qos=1)
#         async for message in client.messages:
#             print(message.topic, message.payload)
#
# The protocol is the native client's (the same Rust driver as the blocking
# faces, in asyncio mode: `_nb(True)`). This file is only the loop around it:
# one background task (the "pump") steps the native client whenever its
# transport is readable or the driver's next deadline comes, opens the
# transport without blocking when the driver asks for one, and wakes the
# tasks that wait on a command. Every wait on the network is an await: the
# TCP connect and the TLS handshake run record by record in the event loop,
# and commands wait for room in the socket before the native client writes
# their packet. In asyncio mode the native client never waits to write: what
# the socket cannot take of a packet (its own acknowledgements and PINGREQs
# too) stays in the client as a tail, written first on the next step, and
# the pump waits for the socket to take more (`_tail()`); a tail stuck for
# `timeout` loses the connection, as a blocking write would. What can still
# hold the event loop: name resolution (socket.getaddrinfo, as in asyncio's
# own open_connection: give the broker as an IP address where that
# matters) and the crypto of one TLS handshake flight or record.
#
# Frozen into the firmware by python/manifest.py; umqtt.aio (in the C
# module) answers for this module's names.

import asyncio
import select
from asyncio import core
from micropython import const
from time import ticks_ms, ticks_add, ticks_diff

import umqtt
from umqtt import MQTTException

# errno values as MicroPython numbers them on every port (py/mperrno.h).
_ETIMEDOUT = const(110)
_ENOTCONN = const(107)
_EISCONN = const(106)
_EALREADY = const(114)
_EINPROGRESS = const(115)
_EHOSTUNREACH = const(113)
_ECONNRESET = const(104)

# An alarm with nothing to wait for is re-armed this often (ms): well inside
# the half period of ticks_ms() on every port.
_FOREVER_MS = const(3600000)
# Received messages held for `client.messages` before the pump stops reading
# the transport (TCP then holds the broker back); timers still run.
_QUEUE_MAX = const(64)
# Packets the pump handles in one go before it lets other tasks run: each
# step hands over at most one message, and going back to the event loop for
# every one of them would cost a poll() each.
_BURST = const(16)
# After a MemoryError in a step, the pump tries again this often (ms).
_STARVED_MS = const(50)


class _Messages:
    """``async for message in client.messages``: received messages in order.

    Ends (StopAsyncIteration) once the application has disconnected and
    everything received has been read; raises the connection's exception
    once it is lost for good (reconn=False)."""

    def __init__(self, client):
        self._client = client
        # A ring of _QUEUE_MAX made once: _put runs after the driver has
        # counted the message delivered (PUBACK or PUBREC going out), so it
        # must not allocate: a MemoryError there would lose the message.
        self._ring = [None] * _QUEUE_MAX
        self._first = 0
        self._n = 0
        self._ready = asyncio.Event()

    def __aiter__(self):
        return self

    async def __anext__(self):
        while not self._n:
            end = self._client._end
            if end is True:
                raise StopAsyncIteration
            if end is not None:
                raise end
            self._ready.clear()
            await self._ready.wait()
        if self._n == _QUEUE_MAX:
            self._client._kick()    # the pump stopped reading: room again
        message = self._ring[self._first]
        self._ring[self._first] = None
        self._first = (self._first + 1) % _QUEUE_MAX
        self._n -= 1
        return message

    def _put(self, message):
        # Only from a step that may deliver (the pump's, while not _full()),
        # which hands over one message at most.
        self._ring[(self._first + self._n) % _QUEUE_MAX] = message
        self._n += 1
        self._ready.set()

    def _full(self):
        return self._n >= _QUEUE_MAX


class MQTTClient:
    """The asyncio client. Same constructor as umqtt.MQTTClient."""

    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0, ssl=False,
                 ssl_params={}, reconn=True, version=4, pingmaxnum=0, **kw):
        c = umqtt.MQTTClient(client_id, server, port=port, user=user, password=password, keepalive=keepalive,
                             ssl=ssl, ssl_params=ssl_params, reconn=reconn, version=version,
                             pingmaxnum=pingmaxnum, **kw)
        c._nb(True)
        self._c = c
        self._tls = ssl is not False and ssl is not None
        self._transport = kw.get("transport")
        self.messages = _Messages(self)
        c.set_callback(self.messages._put, message=True)
        # Level events: exactly one of them is set at any time.
        self.up = asyncio.Event()
        self.down = asyncio.Event()
        self.down.set()
        # The socket's room for commands (_room).
        self._poller = select.poll()
        self._polled = None
        # TLS: the socket under the TLS stream (_wait_on), the TLS stream it
        # is under, and a poller on the client (readable) and it (writable).
        self._raw = None
        self._raw_of = None
        self._tls_poller = None
        self._tls_polled = None
        self._room_waiter = False
        self._room_event = asyncio.Event()
        # Set after every step of the pump: command waiters look again.
        self._progress = asyncio.Event()
        self._pump_task = None
        self._starved = False       # the last step raised MemoryError (_step), since _starved_at
        self._starved_at = 0
        t = kw.get("timeout")
        self._timeout_ms = 10000 if t is None else int(t * 1000)
        self._alarm_task = None
        self._alarm_at = 0
        self._wake_at = 0           # when the parked pump wakes unless kicked
        self._parked = False
        # None while running (or never started), True once disconnected by
        # the application, else the exception that ended the connection.
        self._end = None

    # ----------------------------------------------------------------- API

    async def connect(self, clean_session=True, properties=None):
        """Connect; returns the session-present flag. Raises what the
        attempt failed with (OSError, MQTTException for a refusal).
        `properties` (version=5): sent on every connect from now on."""
        c = self._c
        self._end = None
        c._connect_start(clean_session, properties)
        self._start()
        try:
            while True:
                present = c._connect_result()
                if present is not None:
                    return present
                await self._wait_progress()
        except BaseException as e:
            # Failed, or cancelled (asyncio.wait_for): no attempt goes on
            # in the background.
            c.close()
            self._stop(e if isinstance(e, Exception) else True)
            raise

    async def publish(self, topic, msg, retain=False, qos=0, properties=None):
        """Complete once written (QoS 0) or acknowledged (QoS 1: PUBACK,
        QoS 2: PUBCOMP). Through a reconnect (reconn=True) the message stays
        in flight and the call keeps waiting: bound it with asyncio.wait_for
        if needed (a timed-out message is still re-sent). MQTT 5: a PUBACK
        or PUBREC with a failure reason code raises MQTTException(code)."""
        if qos:
            msg = _kept(msg)
        while True:
            t = await self._issue(self._c._publish_start, topic, msg, retain, qos, properties)
            if qos == 0:
                # Written; yield once all the same (as asyncio's drain()
                # does), so a loop of publishes cannot starve other tasks.
                await asyncio.sleep_ms(0)
                return
            if await self._result(t) != -1:
                return
            # -1: the driver dropped the unwritten message with a
            # connection; it was never sent, so it goes again.

    async def subscribe(self, topic, qos=0, **options):
        """Complete on SUBACK; returns the granted QoS. A refusal (0x80;
        MQTT 5: any reason code from 0x80) raises MQTTException(code).
        `options` (version=5): no_local, retain_as_published,
        retain_handling, subscription_identifier."""
        while True:
            t = await self._issue(self._start_subscribe, topic, qos, options)
            code = await self._result(t)
            if code != -1:
                return code

    def _start_subscribe(self, topic, qos, options):
        return self._c._subscribe_start(topic, qos, **options)

    async def unsubscribe(self, topic):
        """Complete on UNSUBACK (MQTT 5: a failure code raises MQTTException)."""
        while True:
            if await self._result(await self._issue(self._c._unsubscribe_start, topic)) != -1:
                return

    async def disconnect(self):
        """Send DISCONNECT (no will is published) and close the connection.
        Pending calls raise OSError; `client.messages` ends once read."""
        try:
            if self._c.get_mqttsta() == 0:
                self._c.disconnect()
        finally:
            self._c.close()
            self._stop(True)

    def close(self):
        """Close the transport without DISCONNECT (the will is published)."""
        self._c.close()
        self._stop(True)

    async def __aenter__(self):
        await self.connect()
        return self

    async def __aexit__(self, exc_type, exc, tb):
        try:
            await self.disconnect()
        except OSError:
            if exc_type is None:
                raise       # else the body's own exception says more

    def set_chunk_callback(self, f, buf):
        """As the native client's: a message longer than `buf` comes to
        f(message, chunk, offset, total) a buffer-full at a time. f runs in
        the client's pump task; an exception it raises goes to the event
        loop's exception handler and the next chunk still comes (the
        blocking faces raise it from wait_msg() instead: here nobody waits
        there, and a pump that stopped would lose the connection)."""
        if f is not None and not callable(f):
            # The native check sees the wrapper below, which is callable.
            raise TypeError("f must be callable or None")

        def chunk(message, data, offset, total):
            try:
                f(message, data, offset, total)
            except Exception as e:
                _report(e, "umqtt.aio: the chunk callback raised")
        self._c.set_chunk_callback(None if f is None else chunk, buf)

    def __getattr__(self, name):
        # The native client's configuration and non-blocking helpers
        # (client_id, server, keepalive, set_last_will, get_mqttsta, stats,
        # error_register_cb, ...). Its blocking calls are not for asyncio.
        if name in _BLOCKING or name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._c, name)

    # ------------------------------------------------- commands and waiting

    async def _issue(self, start, *args):
        """Start a command; while the driver says "not now" (connecting,
        re-sending first, window full), wait for the pump's next step."""
        while True:
            await self._room()
            t = start(*args)
            if t is not None:
                self._deadline_moved()
                return t
            await self._wait_progress()

    async def _result(self, t):
        """The ticket's result code (-1: dropped, issue again); raises
        MQTTException when the broker refused the command, and when the
        connection is closed for good."""
        c = self._c
        try:
            while True:
                r = c._ticket(t)
                if r is not None:
                    return r
                await self._wait_progress()
        except core.CancelledError:
            c._forget(t)    # nobody waits now; a publish stays in flight
            raise

    async def _room(self):
        """Wait until the transport takes more bytes. The native client
        writes a packet whole, waiting (up to `timeout`) while the socket
        is full: a broker that stops reading would hold the event loop
        that long. So commands wait here, in asyncio, until the socket polls
        writable (the kernel then has room for a third of its buffer or
        more). One task waits on the socket (asyncio lets one task wait
        to write on a stream), the others on an event it sets."""
        while True:
            sock = self._c.sock
            if sock is None or self._writable(sock):
                return
            if self._room_waiter:
                self._room_event.clear()
                await self._room_event.wait()
                continue
            self._room_waiter = True
            try:
                await _io_wait(sock, True)
            finally:
                self._room_waiter = False
                self._room_event.set()
                if self._c._tail():
                    self._kick()    # the pump waits for the same room (_park_write)

    def _writable(self, sock):
        """poll(0) on the socket alone: it takes bytes now, or has failed
        (the write then tells the native client so). The socket stays
        registered until the next one, so a command allocates nothing here."""
        if sock is not self._polled:
            if self._polled is not None:
                self._poller.unregister(self._polled)
            self._poller.register(sock, select.POLLOUT)
            self._polled = sock
        for _ in self._poller.ipoll(0):
            return True
        return False

    async def _wait_progress(self):
        """Wait for the pump's next step (or its end)."""
        if self._pump_task is None:
            # Not running: the native call that follows raises (or, if it
            # does not, nothing would ever wake us).
            raise self._end if isinstance(self._end, Exception) else OSError(_ENOTCONN)
        # No await between the caller's look and this wait: nothing is missed.
        self._progress.clear()
        await self._progress.wait()

    # --------------------------------------------------------------- pump

    def _start(self):
        if self._pump_task is None:
            self._alarm_at = ticks_add(ticks_ms(), _FOREVER_MS)
            self._alarm_task = asyncio.create_task(self._alarm())
            self._pump_task = asyncio.create_task(self._pump())

    def _stop(self, end):
        """End the pump (from any task): `end` is True (disconnected) or the
        exception; waiters are woken to see it."""
        if not isinstance(self._end, Exception):
            self._end = end
        pump, alarm = self._pump_task, self._alarm_task
        self._pump_task = self._alarm_task = None
        for t in (alarm, pump):
            if t is not None and t is not core.cur_task:
                t.cancel()
        self._set_up(False)
        self._progress.set()
        self.messages._ready.set()

    async def _pump(self):
        c = self._c
        try:
            while True:
                # At least one step (timers), then more while packets come,
                # up to a burst or a full `messages`.
                handled = 0
                while self._step(not self.messages._full()):
                    handled += 1
                    if handled == _BURST or self.messages._full():
                        break
                sta = c.get_mqttsta()
                self._set_up(sta == 0)
                self._progress.set()
                if sta == -1 or sta == 2:
                    # Closed for good (reconn=False, or the broker closed).
                    self._stop(_lost(c))
                    return
                want = c._want_open()
                if want is not None:
                    await self._open(*want)
                    continue
                if c._tail():
                    # The rest of a packet waits for room in the socket:
                    # nothing else is read or written before it.
                    await self._park_write(c._next_timeout())
                    continue
                busy = handled == _BURST and not self.messages._full()
                ms = 0 if busy else c._next_timeout()
                if self._starved and not 0 <= ms <= _STARVED_MS:
                    ms = _STARVED_MS    # what is buffered will not wake the socket
                await self._park(ms, self._wait_on())
        except core.CancelledError:
            raise
        except Exception as e:      # a bug here must not leave waiters hanging
            self._stop(e)

    def _step(self, deliver):
        """One step of the native client. A TLS stream raises from it when
        the rest of its handshake fails in the client's first reads or
        writes: that is a failed transport, as the blocking faces see it.
        MemoryError is not, at first: the objects of a received message
        could not be made, and the driver holds the message until they can
        (nothing is acknowledged before), so the connection stays and the
        pump steps again after _STARVED_MS; the event loop's exception
        handler hears of it once. A step that cannot finish cannot run the
        driver's deadlines either (keep-alive), so after the client's
        `timeout` without memory the transport counts as failed."""
        try:
            n = self._c._step(deliver)
        except MemoryError as e:
            now = ticks_ms()
            if not self._starved:
                self._starved = True
                self._starved_at = now
                _report(e, "umqtt.aio: no memory for a received message; trying again")
            elif ticks_diff(now, self._starved_at) > self._timeout_ms:
                self._starved = False
                self._c._attach_failed(e)
            return 0
        except Exception as e:
            self._c._attach_failed(_tls_failure(e))
            return 0
        self._starved = False
        return n

    def _wait_on(self):
        """What the parked pump waits on besides its deadline: nothing while
        `messages` is full or there is no transport; else the socket, so
        that the event loop's poll() sleeps in the kernel instead of asking
        the client every millisecond (it has no file descriptor of its
        own). A plain socket is the transport itself: the client reads it
        until it holds no whole packet (a whole packet left behind is a
        message for a full `messages`, handled above). Under TLS the client
        is waited on instead while it polls readable now (a whole packet
        held, or bytes the TLS stream holds decrypted: the socket would not
        say so), or while the socket under it is full (the TLS stream may
        then need to write before it can read: its own poll knows)."""
        if self.messages._full():
            return None
        c = self._c
        sock = c.sock
        if sock is None:
            return None
        if not self._tls:
            return sock
        raw = self._raw
        if raw is None or self._raw_of is not sock:
            return c
        p = self._tls_poller
        if p is None:
            p = self._tls_poller = select.poll()
            p.register(c, select.POLLIN)
        if self._tls_polled is not raw:
            if self._tls_polled is not None:
                p.unregister(self._tls_polled)
            p.register(raw, select.POLLOUT)
            self._tls_polled = raw
        writable = False
        for s, _ in p.ipoll(0):
            if s is c:
                return c
            writable = True
        return raw if writable else c

    async def _park_write(self, ms):
        """Wait until the socket takes more bytes (the client holds the
        tail of a packet), `ms` passed or a kick came. One task waits on the
        socket's writing side (asyncio allows one): a command waiting in
        _room already does, and kicks the pump when room comes."""
        sock = self._c.sock
        if sock is None or self._room_waiter:
            await self._park(ms)
            return
        self._room_waiter = True
        try:
            await self._park(ms, sock, True)
        finally:
            self._room_waiter = False
            self._room_event.set()

    def _set_up(self, up):
        if up != self.up.is_set():
            if up:
                self.down.clear()
                self.up.set()
            else:
                self.up.clear()
                self.down.set()

    # ------------------------------------------- waiting without blocking
    #
    # The pump waits on one stream (the client, or the socket being
    # opened) and at the same time for a deadline. asyncio has no such wait
    # without making tasks, so a second task, the alarm, sleeps until the
    # deadline and then reschedules the parked pump (_kick), exactly as
    # Task.cancel() reschedules a task, minus the exception. Other tasks kick
    # the pump too when they start a command (its deadline may be earlier).

    async def _park(self, ms, stream=None, write=False):
        """Wait until `stream` is ready, `ms` passed (-1: no deadline) or a
        kick came."""
        if ms == 0:
            await asyncio.sleep_ms(0)
            return
        self._wake_at = ticks_add(ticks_ms(), _FOREVER_MS if ms < 0 else ms)
        self._parked = True
        try:
            if stream is None:
                await asyncio.sleep_ms(_FOREVER_MS if ms < 0 else ms)
            else:
                self._set_alarm(ms)
                await _io_wait(stream, write)
        finally:
            self._parked = False

    def _deadline_moved(self):
        """A command started: its acknowledgement's deadline may come
        before the time the parked pump will wake at; if so, wake it now
        (it parks again with the new deadline)."""
        if self._parked:
            ms = self._c._next_timeout()
            if ms >= 0 and ticks_diff(ticks_add(ticks_ms(), ms), self._wake_at) < 0:
                self._kick()

    def _kick(self):
        """Reschedule the parked pump now (safe from any other task)."""
        t = self._pump_task
        if t is None or not self._parked or t is core.cur_task:
            return
        self._parked = False
        if t.data is core._io_queue:            # waiting on a stream
            _io_unqueue(t)
            core._task_queue.push(t)
        elif t.data is None:                    # sleeping: bring it forward
            core._task_queue.remove(t)
            core._task_queue.push(t)

    def _set_alarm(self, ms):
        # Called by the pump only; the alarm task then sits in the task
        # queue (it never waits on anything but its sleep).
        self._alarm_at = ticks_add(ticks_ms(), _FOREVER_MS if ms < 0 else ms)
        a = self._alarm_task
        if a is not None:
            core._task_queue.remove(a)
            core._task_queue.push(a, self._alarm_at)

    async def _alarm(self):
        while True:
            dt = ticks_diff(self._alarm_at, ticks_ms())
            if dt > 0:
                await asyncio.sleep_ms(dt)
                continue
            self._alarm_at = ticks_add(ticks_ms(), _FOREVER_MS)
            self._kick()

    # ----------------------------------------------------- the transport

    async def _open(self, server, port, timeout_ms):
        """Open the transport the driver asked for, within timeout_ms, and
        hand it over (or the reason it failed)."""
        c = self._c
        try:
            stream = await self._open_stream(server, port, timeout_ms)
        except Exception as e:
            c._attach_failed(e)
            return
        try:
            c._attach(stream)       # writes CONNECT
        except Exception as e:      # the rest of a TLS handshake failed
            c._attach_failed(_tls_failure(e))

    async def _open_stream(self, server, port, timeout_ms):
        deadline = ticks_add(ticks_ms(), timeout_ms)
        c = self._c
        if self._transport is not None:
            # The application's transport: a connected stream, opened as
            # it sees fit (it runs in the event loop: it should not block).
            s = self._transport()
            try:
                if hasattr(s, "setblocking"):
                    s.setblocking(False)
                return await self._wrap_tls(s, server, deadline)
            except BaseException:
                s.close()
                raise
        import socket

        family = socket.AF_INET6 if getattr(c, "ipvtype", 0) == 1 else 0
        # The one blocking step: asyncio has no non-blocking resolver.
        ai = socket.getaddrinfo(server, port, family, socket.SOCK_STREAM)
        if not ai:
            raise OSError(_EHOSTUNREACH)    # as the blocking faces
        ai = ai[0]
        s = socket.socket(ai[0], socket.SOCK_STREAM)
        try:
            s.setblocking(False)
            try:
                # One write per packet: Nagle would only hold them back.
                s.setsockopt(6, 1, 1)   # IPPROTO_TCP, TCP_NODELAY
            except (OSError, AttributeError):
                pass
            await self._tcp_connect(s, ai[-1], deadline)
            return await self._wrap_tls(s, server, deadline)
        except BaseException:
            s.close()
            raise

    async def _wrap_tls(self, s, server, deadline):
        """The stream itself, or TLS over it (ssl=True/SSLContext)."""
        if not self._tls:
            return s
        c = self._c
        tls = _tls_context(c.ssl, c.ssl_params).wrap_socket(
            s, server_hostname=c.ssl_params.get("server_hostname") or server, do_handshake_on_connect=False)
        tls.setblocking(False)
        await self._tls_handshake(tls, s, deadline)
        self._raw, self._raw_of = s, tls    # for _wait_on
        return tls

    async def _tls_handshake(self, tls, raw, deadline):
        """Run the TLS handshake here, so that a certificate that fails
        verification is a failed open (MQTTException, as the blocking faces
        raise it) and the native client's first write does not wait on the
        handshake. A read (of application data, which no broker sends
        before CONNECT) drives it. The TLS module cannot say when it is
        over; the server's certificate shows once its first flight is
        handled, and its last flight (ChangeCipherSpec, Finished) follows
        within about a round trip, so that long is waited for it. Should it
        come later, the native client's first write finishes the handshake
        (blocking for the rest of that round trip). Without getpeercert()
        the whole handshake happens there."""
        if not hasattr(tls, "getpeercert"):
            return
        buf = bytearray(1)
        sent = ticks_ms()
        rtt = None
        grace = False
        while True:
            _tls_read(tls, buf)
            if grace:
                return
            if tls.getpeercert(True) is not None:
                # One more read after about a round trip (or as soon as
                # the last flight is there), then the handshake is over.
                grace = True
                wait = 2 * (rtt or 25) + 20
            else:
                wait = ticks_diff(deadline, ticks_ms())
                if wait <= 0:
                    raise OSError(_ETIMEDOUT)
            await self._park(min(wait, max(1, ticks_diff(deadline, ticks_ms()))), raw)
            if rtt is None:
                rtt = ticks_diff(ticks_ms(), sent)

    async def _tcp_connect(self, s, addr, deadline):
        """A non-blocking connect(), waited for until writable or deadline."""
        try:
            s.connect(addr)
            return
        except OSError as e:
            if e.errno != _EINPROGRESS:
                raise
        while True:
            left = ticks_diff(deadline, ticks_ms())
            if left <= 0:
                raise OSError(_ETIMEDOUT)
            await self._park(left, s, True)
            # Asking again tells how it went: EISCONN once connected, the
            # failure (ECONNREFUSED...) otherwise, EALREADY while pending.
            try:
                s.connect(addr)
                return
            except OSError as e:
                if e.errno == _EISCONN:
                    return
                if e.errno not in (_EALREADY, _EINPROGRESS):
                    raise


# The native client's names that are not for asyncio: blocking calls, and
# the callback and socket that this module owns.
_BLOCKING = ("wait_msg", "check_msg", "ping", "set_callback", "cb", "sock")


def _kept(msg):
    # A QoS 1/2 payload as the client may keep it. publish() yields before
    # its PUBLISH is written (room in the socket, the connection), and the
    # message stays in flight for re-sends after a reconnect, past a
    # cancelled call too; meanwhile the script may refill its buffer. So a
    # mutable buffer is copied before the first yield; str and bytes cannot
    # change and go as they are (no allocation).
    if isinstance(msg, (str, bytes)):
        return msg
    if isinstance(msg, bytearray):
        return bytes(msg)
    try:
        view = memoryview(msg)      # a memoryview, an array
    except (TypeError, NameError):  # no buffer (the native call says so), or no memoryview on this port
        return msg
    return bytes(view)


def _report(e, message):
    # To the event loop's exception handler (loop.set_exception_handler),
    # as asyncio reports an exception no task retrieved.
    asyncio.get_event_loop().call_exception_handler({"message": message, "exception": e, "future": core.cur_task})


def _io_wait(stream, write):
    # asyncio's own way to wait for a stream (see asyncio/stream.py).
    yield core._io_queue.queue_write(stream) if write else core._io_queue.queue_read(stream)


def _io_unqueue(t):
    # Take task `t` off the stream it waits on, leaving another task that
    # waits on the other side of the same stream where it is (the IOQueue's
    # own remove() drops the stream, and that task's wait with it).
    q = core._io_queue
    for k in q.map:     # iterates without allocating
        sm = q.map[k]
        if sm[0] is t or sm[1] is t:
            break
    else:
        return
    if sm[0] is t:
        sm[0] = None
    if sm[1] is t:
        sm[1] = None
    if sm[0] is None and sm[1] is None:
        q._dequeue(sm[2])
    else:
        q.poller.modify(sm[2], select.POLLIN if sm[0] is not None else select.POLLOUT)


def _lost(c):
    """The exception of a connection closed for good, as the native client
    raises it for a waiter (OSError, or MQTTException for the broker's)."""
    try:
        c._ticket(0)
    except Exception as e:
        return e
    return OSError(_ENOTCONN)


def _tls_read(tls, buf):
    # One step of the handshake.
    try:
        n = tls.readinto(buf)
    except Exception as e:
        raise _tls_failure(e)
    if n is not None:
        raise OSError(_ECONNRESET)      # end of stream, or bytes before CONNECT


def _tls_failure(e):
    """A TLS module's exception as the blocking faces raise it (umqtt_io.c,
    raise_tls_failure): MQTTException naming the cause for a certificate
    that fails verification (the module raises a bare ValueError) or a
    broker that hangs up during the handshake; anything else as it is."""
    if isinstance(e, ValueError):
        return MQTTException("TLS: server certificate rejected: " + str(e).strip())
    if isinstance(e, OSError) and e.errno in (32, 103, 104):   # EPIPE, ECONNABORTED, ECONNRESET
        return MQTTException("TLS handshake failed: connection closed by the broker: " + str(e).strip())
    return e


def _tls_context(ssl, params):
    """An SSLContext from ssl=True and ssl_params (as the blocking faces
    build it in C), or the SSLContext the application gave."""
    if ssl is not True:
        return ssl
    try:
        import tls
    except ImportError:
        import ssl as tls
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ca = params.get("cadata") or params.get("ca")
    if ca is not None:
        ctx.load_verify_locations(ca)
    cert, key = params.get("cert"), params.get("key")
    if cert is not None or key is not None:
        ctx.load_cert_chain(cert, key)
    reqs = params.get("cert_reqs")
    # Verification is on whenever a CA is given or cert_reqs asks for it.
    ctx.verify_mode = reqs if reqs is not None else (tls.CERT_REQUIRED if ca is not None else tls.CERT_NONE)
    return ctx
