"""Small CPython servers for the TLS tests (loopback only, bounded).

- ``SniRecordingProxy``: a TLS server with the test PKI's ``server``
  certificate (``localhost``) that records the SNI name of every handshake
  (``None`` when the client sent none) and then forwards the decrypted bytes
  to a plain MQTT broker port, so the client's connect() completes.
- ``SilentServer``: accepts TCP connections and never sends a byte (a TLS
  handshake or a CONNACK that never comes).

Both stop by themselves ``max_lifetime`` seconds after ``start()``.
"""

import select
import socket
import ssl
import threading
import time

LOOPBACK = "127.0.0.1"

# The default port test needs 8883 itself; it listens on 127.0.0.2 so that
# nothing on 127.0.0.1:8883 (another broker on this machine) gets in the way.
DEFAULT_PORT_ADDRESS = "127.0.0.2"


class _Server:
    def __init__(self, max_lifetime=120.0):
        self.max_lifetime = max_lifetime
        self._stop = threading.Event()
        self._threads = []
        self._socks = []
        self._lock = threading.Lock()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((LOOPBACK, 0))
        self.listener.listen(16)
        self.listener.settimeout(0.05)
        self.host = LOOPBACK
        self.port = self.listener.getsockname()[1]

    def start(self):
        self._deadline = time.monotonic() + self.max_lifetime
        self._spawn(self._accept_loop)
        return self

    def _spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        self._threads.append(t)
        t.start()

    def _running(self):
        return not self._stop.is_set() and time.monotonic() < self._deadline

    def _keep(self, sock):
        with self._lock:
            self._socks.append(sock)

    def _accept_loop(self):
        while self._running():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self._keep(conn)
            self._spawn(self._serve, conn)

    def _serve(self, conn):  # pragma: no cover - overridden
        raise NotImplementedError

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        with self._lock:
            socks, self._socks = self._socks, []
        for s in socks + [self.listener]:
            try:
                s.close()
            except OSError:
                pass


class SilentServer(_Server):
    """Accepts and holds connections open; never sends anything."""

    def __init__(self, max_lifetime=120.0):
        super().__init__(max_lifetime)
        self.accepted = 0

    def _serve(self, conn):
        with self._lock:
            self.accepted += 1
        while self._running():
            time.sleep(0.05)


class SniRecordingProxy(_Server):
    """TLS in front of a plain MQTT port; ``names`` lists the SNI of each handshake."""

    def __init__(self, certfile, keyfile, target_port, target_host=LOOPBACK, max_lifetime=120.0):
        super().__init__(max_lifetime)
        self.target = (target_host, target_port)
        self.names = []
        self.errors = []
        self._cond = threading.Condition()
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(certfile), str(keyfile))
        self.ctx.sni_callback = self._on_sni

    def _on_sni(self, sslobj, name, ctx):
        with self._cond:
            self.names.append(name)
            self._cond.notify_all()
        return None

    def wait_names(self, n, timeout=10.0):
        with self._cond:
            self._cond.wait_for(lambda: len(self.names) >= n, timeout=timeout)
            return list(self.names)

    def _serve(self, conn):
        conn.settimeout(10)
        try:
            tls_conn = self.ctx.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError) as e:
            self.errors.append(repr(e))
            return
        self._keep(tls_conn)
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError as e:
            self.errors.append(repr(e))
            tls_conn.close()
            return
        self._keep(upstream)
        tls_conn.setblocking(False)
        upstream.setblocking(False)
        try:
            while self._running():
                if tls_conn.pending():
                    readable = [tls_conn]
                else:
                    readable, _, _ = select.select([tls_conn, upstream], [], [], 0.05)
                for src in readable:
                    dst = upstream if src is tls_conn else tls_conn
                    try:
                        data = src.recv(65536)
                    except (ssl.SSLWantReadError, BlockingIOError):
                        continue
                    if not data:
                        return
                    dst.setblocking(True)
                    dst.settimeout(5)
                    dst.sendall(data)
                    dst.setblocking(False)
        except (OSError, ssl.SSLError):
            return
        finally:
            for s in (tls_conn, upstream):
                try:
                    s.close()
                except OSError:
                    pass
