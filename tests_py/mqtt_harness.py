"""Shared helpers for the broker tests (``conftest.py``) and ``tools/demo.py``.

CPython only. Everything here waits with a deadline: a broker that never
opens its port, a firmware that never prints its marker or a peer that never
receives a message ends in an ``AssertionError`` that shows what was seen,
never in a hang.

Pieces:
- ``Broker``: a private Eclipse Mosquitto on a loopback port, optionally with
  a password file; its log is readable (``wait_log``) so tests can check what
  the broker saw.
- ``PahoPeer``: a paho-mqtt 2.x client ("Client A" of the seed) that records
  every message it receives in a thread-safe list.
- ``run_mpy`` / ``MpyProcess``: run a MicroPython script on the firmware,
  either to completion or in the background, reading its output line by line.
- ``seed_exchange``: the application note's two-client exchange, used by the
  seed test and by the demo driver.
"""

import collections
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTS_DIR = Path(__file__).resolve().parent
SEED_DEMO = REPO / "examples" / "seed_demo.py"

MOSQUITTO = os.environ.get("UMQTT_MOSQUITTO", "/usr/sbin/mosquitto")
MOSQUITTO_PASSWD = os.environ.get(
    "UMQTT_MOSQUITTO_PASSWD", shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
)

LOOPBACK = "127.0.0.1"

# The seed's topics and message texts (the application note's "Client A"
# subscribes to A; the device, "Client B", subscribes to B).
SEED_TOPIC_A = "/public/TEST/QuecPython2023_A"
SEED_TOPIC_B = "/public/TEST/QuecPython2023_B"
SEED_PORT = 18830
SEED_DEMO_MESSAGES = 30  # what the appended part of examples/seed_demo.py publishes

# Accounts of the broker with a password file (``auth_broker``).
AUTH_USERS = {"alice": "s3cret-Pass", "device01": "d3vice!pw"}


def default_firmware():
    """The firmware under test: $UMQTT_FIRMWARE, else <repo>/build/micropython."""
    return os.environ.get("UMQTT_FIRMWARE") or str(REPO / "build" / "micropython")


def start_or_fail(broker, what=None):
    """``broker.start()``, or fail the running test (no traceback) when it cannot
    start; returns the broker. pytest is imported only then: bench/run.py uses
    this module without it."""
    try:
        broker.start()
    except RuntimeError as e:
        import pytest
        pytest.fail("{} broker could not start: {}".format(what, e) if what else str(e), pytrace=False)
    return broker


def free_port():
    """A TCP port on the loopback address that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def port_accepts(port, host=LOOPBACK):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout, interval=0.02):
    """Poll ``predicate`` until it returns a true value or ``timeout`` passes.

    Returns the last value of the predicate (falsy on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def unique(prefix):
    return "{}-{}".format(prefix, uuid.uuid4().hex[:10])


def sha256_hex(data):
    return hashlib.sha256(bytes(data)).hexdigest()


def pattern_bytes(n, seed=0):
    """Deterministic, non-repeating-looking payload; the MicroPython scripts build the same."""
    return bytes(((i * 31 + 7 + seed) & 0xFF) for i in range(n))


# --------------------------------------------------------------------------
# Mosquitto
# --------------------------------------------------------------------------


class Broker:
    """A private mosquitto on ``127.0.0.1:<port>``.

    ``users`` is a dict ``{name: password}``; when given, the broker has a
    password file and refuses anonymous clients."""

    def __init__(self, workdir, port=None, users=None, name="mosquitto"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.host = LOOPBACK
        self.requested_port = port
        self.port = None
        self.users = dict(users or {})
        self.name = name
        self.proc = None
        self.conf_path = self.workdir / (name + ".conf")
        self.log_path = self.workdir / (name + ".log")
        self.out_path = self.workdir / (name + ".out")
        self.passwd_path = self.workdir / (name + ".passwd")

    def _write_config(self, port):
        lines = [
            "listener {} {}".format(port, LOOPBACK),
            "persistence false",
            "log_dest file {}".format(self.log_path),
            "log_type all",
            "log_timestamp true",
            "connection_messages true",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # Stay root: the work dir is private to root (mosquitto would
            # otherwise switch to the "mosquitto" user and lose access).
            lines.append("user root")
        if self.users:
            if self.passwd_path.exists():
                self.passwd_path.unlink()
            first = True
            for user, password in self.users.items():
                cmd = [MOSQUITTO_PASSWD, "-b", str(self.passwd_path), user, password]
                if first:
                    cmd.insert(1, "-c")
                    first = False
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
                if r.returncode != 0:
                    raise RuntimeError("mosquitto_passwd failed: {} {}".format(r.stdout, r.stderr))
            lines.append("allow_anonymous false")
            lines.append("password_file {}".format(self.passwd_path))
        else:
            lines.append("allow_anonymous true")
        self.conf_path.write_text("\n".join(lines) + "\n")

    def start(self, timeout=15):
        if not os.path.exists(MOSQUITTO):
            raise RuntimeError(
                "mosquitto not found at {} (apt-get install mosquitto mosquitto-clients)".format(MOSQUITTO)
            )
        attempts = 1 if self.requested_port else 5
        last_error = None
        for _ in range(attempts):
            port = self.requested_port or free_port()
            self._write_config(port)
            if self.log_path.exists():
                self.log_path.unlink()
            out = open(self.out_path, "wb")
            self.proc = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.conf_path)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            out.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if port_accepts(port):
                    self.port = port
                    return self
                time.sleep(0.02)
            last_error = "mosquitto ({}) did not accept on port {} (exit code {}):\n{}".format(
                self.name, port, self.proc.poll(), self.diagnostics()
            )
            self.stop()
        raise RuntimeError(last_error)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def diagnostics(self):
        text = self.log_text()
        try:
            text += self.out_path.read_text(errors="replace")
        except FileNotFoundError:
            pass
        return text

    def mark_log(self):
        """Make ``new_log``/``wait_log`` look only at what the broker logs from now on."""
        self.log_mark = len(self.log_text())
        return self.log_mark

    def new_log(self):
        return self.log_text()[getattr(self, "log_mark", 0):]

    def wait_log(self, pattern, timeout=5.0):
        """Wait until the log since ``mark_log()`` matches regex ``pattern``; return the match or None."""
        rx = re.compile(pattern)
        return wait_until(lambda: rx.search(self.new_log()), timeout, interval=0.02)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------
# paho-mqtt peer ("Client A")
# --------------------------------------------------------------------------

Message = collections.namedtuple("Message", "topic payload qos retain")


class PahoPeer:
    """A paho-mqtt 2.x client that records what it receives.

    Every call that talks to the broker waits for its acknowledgement with a
    timeout and raises ``AssertionError`` when it does not come."""

    def __init__(self, host, port, client_id=None, username=None, password=None, on_message=None):
        import paho.mqtt.client as mqtt

        self._mqtt = mqtt
        self.host = host
        self.port = port
        self.client_id = client_id or unique("paho")
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv311
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self._cond = threading.Condition()
        self._messages = []
        self._connack = None
        self._subacks = {}
        self._user_on_message = on_message
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self._started = False

    # paho callbacks (network thread)
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        with self._cond:
            self._connack = reason_code
            self._cond.notify_all()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        with self._cond:
            self._subacks[mid] = list(reason_codes)
            self._cond.notify_all()

    def _on_message(self, client, userdata, msg):
        m = Message(msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain))
        with self._cond:
            self._messages.append(m)
            self._cond.notify_all()
        if self._user_on_message is not None:
            self._user_on_message(m)

    def _wait(self, predicate, timeout):
        with self._cond:
            return self._cond.wait_for(predicate, timeout=timeout)

    def connect(self, timeout=10.0):
        self.client.connect(self.host, self.port, keepalive=60)
        self.client.loop_start()
        self._started = True
        if not self._wait(lambda: self._connack is not None, timeout):
            raise AssertionError("paho peer {}: no CONNACK within {} s".format(self.client_id, timeout))
        if self._connack.is_failure:
            raise AssertionError("paho peer {}: connection refused: {}".format(self.client_id, self._connack))
        return self

    def subscribe(self, topic, qos=1, timeout=10.0):
        rc, mid = self.client.subscribe(topic, qos)
        if rc != self._mqtt.MQTT_ERR_SUCCESS:
            raise AssertionError("paho subscribe({!r}) failed: rc={}".format(topic, rc))
        if not self._wait(lambda: mid in self._subacks, timeout):
            raise AssertionError("paho subscribe({!r}): no SUBACK within {} s".format(topic, timeout))
        codes = self._subacks[mid]
        if any(c.is_failure for c in codes):
            raise AssertionError("paho subscribe({!r}) refused: {}".format(topic, codes))
        return codes

    def publish(self, topic, payload, qos=0, retain=False, timeout=10.0, wait=True):
        """Publish; with ``wait`` return only once sent (QoS 0) or acknowledged (QoS 1/2)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != self._mqtt.MQTT_ERR_SUCCESS:
            raise AssertionError("paho publish({!r}) failed: rc={}".format(topic, info.rc))
        if wait:
            self.wait_published(info, timeout)
        return info

    @staticmethod
    def wait_published(info, timeout=10.0):
        info.wait_for_publish(timeout)
        if not info.is_published():
            raise AssertionError("paho publish mid={} not completed within {} s".format(info.mid, timeout))

    def messages(self, topic=None):
        with self._cond:
            return [m for m in self._messages if topic is None or m.topic == topic]

    def wait_messages(self, count, topic=None, timeout=10.0):
        """Wait until at least ``count`` messages (on ``topic``) arrived; return them all (maybe fewer)."""

        def enough():
            return sum(1 for m in self._messages if topic is None or m.topic == topic) >= count

        self._wait(enough, timeout)
        return self.messages(topic)

    def wait_for(self, predicate, timeout):
        """Wait until ``predicate(list_of_messages)`` is true; return its final value."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(list(self._messages)), timeout=timeout)

    def close(self):
        if self._started:
            try:
                self.client.disconnect()
            finally:
                self.client.loop_stop()
            self._started = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --------------------------------------------------------------------------
# MicroPython processes
# --------------------------------------------------------------------------


def mpy_env(extra=None):
    """The environment for a firmware process: ours plus ``extra`` (values made str)."""
    env = dict(os.environ)
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


def _kill_group(proc, sig=signal.SIGKILL):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass


class MpyResult(collections.namedtuple("MpyResult", "returncode stdout stderr")):
    def describe(self):
        return "exit code {}\n--- stdout ---\n{}--- stderr ---\n{}".format(
            self.returncode, self.stdout, self.stderr
        )


def run_mpy(firmware, script, env=None, timeout=30.0, args=(), cwd=None):
    """Run ``<firmware> <script> [args]`` to completion; return (returncode, stdout, stderr).

    A script still running after ``timeout`` seconds is killed and the call
    raises ``AssertionError`` with its output so far."""
    cmd = [str(firmware), str(script)] + [str(a) for a in args]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=mpy_env(env),
        cwd=cwd,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate(timeout=10)
        raise AssertionError(
            "{} did not finish within {} s; killed.\n--- stdout ---\n{}--- stderr ---\n{}".format(
                Path(script).name, timeout, out.decode(errors="replace"), err.decode(errors="replace")
            )
        ) from None
    return MpyResult(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


class MpyProcess:
    """A firmware process running in the background, its output read line by line.

    ``wait_line(pattern)`` waits (bounded) for the next stdout line matching a
    regex, starting after the previous match, so markers are consumed in order."""

    def __init__(self, firmware, script, env=None, args=(), cwd=None, on_line=None):
        self.script = Path(script)
        cmd = [str(firmware), str(script)] + [str(a) for a in args]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=mpy_env(env),
            cwd=cwd,
            start_new_session=True,
        )
        self._cond = threading.Condition()
        self._out = []
        self._err = []
        self._eof = 0
        self._cursor = 0
        self._on_line = on_line
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self._out, "stdout"), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self._err, "stderr"), daemon=True),
        ]
        for t in self._readers:
            t.start()

    def _read(self, stream, sink, name):
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode(errors="replace").rstrip("\r\n")
                with self._cond:
                    sink.append(line)
                    self._cond.notify_all()
                if self._on_line is not None:
                    self._on_line(name, line)
        finally:
            with self._cond:
                self._eof += 1
                self._cond.notify_all()

    @property
    def lines(self):
        with self._cond:
            return list(self._out)

    @property
    def stdout(self):
        with self._cond:
            return "".join(l + "\n" for l in self._out)

    @property
    def stderr(self):
        with self._cond:
            return "".join(l + "\n" for l in self._err)

    @property
    def returncode(self):
        return self.proc.poll()

    def describe(self):
        return "{} (exit code {})\n--- stdout ---\n{}--- stderr ---\n{}".format(
            self.script.name, self.proc.poll(), self.stdout, self.stderr
        )

    def wait_line(self, pattern, timeout=10.0):
        """Wait for the next stdout line matching regex ``pattern`` (re.search); return the match.

        Raises AssertionError (with the output so far) if the process ends or
        the timeout passes first."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(self._cursor, len(self._out)):
                    m = rx.search(self._out[i])
                    if m:
                        self._cursor = i + 1
                        return m
                self._cursor = len(self._out)
                remaining = deadline - time.monotonic()
                if self._eof >= 2 or remaining <= 0:
                    break
                self._cond.wait(min(remaining, 0.2))
        if self._eof >= 2:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        why = "ended" if self._eof >= 2 else "still running after {} s".format(timeout)
        raise AssertionError(
            "no stdout line matching {!r}: process {}.\n{}".format(pattern, why, self.describe())
        )

    def send_line(self, text):
        self.proc.stdin.write((text + "\n").encode())
        self.proc.stdin.flush()

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            _kill_group(self.proc, sig)

    def wait(self, timeout=10.0):
        """Wait for the process to exit and its output to be read; return the exit code.

        On timeout the process is killed and AssertionError raised."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait(timeout=10)
            self._join_readers()
            raise AssertionError("{} did not exit within {} s; killed.\n{}".format(
                self.script.name, timeout, self.describe())) from None
        self._join_readers()
        return self.proc.returncode

    def _join_readers(self):
        for t in self._readers:
            t.join(timeout=5)

    def close(self):
        """Kill if still running and release the pipes (for teardown)."""
        self.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._join_readers()
        for s in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                s.close()
            except Exception:
                pass


def check_firmware(path):
    """Return an error text if ``path`` is not a runnable firmware, else None."""
    p = Path(path)
    if not p.is_file():
        return (
            "firmware not found at {}: build it first (the unix port with the umqtt module), "
            "or set UMQTT_FIRMWARE to a MicroPython binary".format(p)
        )
    if not os.access(str(p), os.X_OK):
        return "firmware at {} is not executable".format(p)
    return None


def parse_results(stdout, prefix):
    """Lines ``<prefix> <key> <rest>`` -> {key: rest}; a key printed twice is an error."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split(" ", 2)
        if len(parts) >= 2 and parts[0] == prefix:
            key = parts[1]
            assert key not in out, "{} {} printed twice:\n{}".format(prefix, key, stdout)
            out[key] = parts[2] if len(parts) > 2 else ""
    return out


# --------------------------------------------------------------------------
# The seed's example exchange
# --------------------------------------------------------------------------


def write_seed_demo(dest, port, src=SEED_DEMO):
    """Copy examples/seed_demo.py to ``dest`` with its ``port = 18830`` line set to ``port``."""
    text = Path(src).read_text()
    new, n = re.subn(r"(?m)^port = \d+$", "port = {}".format(int(port)), text)
    if n != 1:
        raise AssertionError("{}: expected exactly one 'port = <n>' line, found {}".format(src, n))
    Path(dest).write_text(new)
    return Path(dest)


SeedResult = collections.namedtuple(
    "SeedResult", "returncode device_lines device_stderr device_received client_a_received client_a_sent"
)

SEED_RECEIVE_RE = r"^QuecPython receive Topic=(?P<topic>.*?),Msg=(?P<msg>.*)$"


def seed_exchange(firmware, broker, workdir, client_a_messages=("Hello, QuecPython",), on_event=None,
                  connect_timeout=20.0, run_timeout=None):
    """Run the application note's exchange between paho "Client A" and the device.

    Client A subscribes to topic A; the device (examples/seed_demo.py with the
    broker's port) connects, subscribes to topic B and publishes to topic A;
    once the device has subscribed, Client A publishes ``client_a_messages``
    to topic B. Returns a ``SeedResult``; asserting is the caller's job.
    ``on_event(side, text)`` (optional) is told of each line of traffic."""

    def event(side, text):
        if on_event is not None:
            on_event(side, text)

    script = write_seed_demo(Path(workdir) / "seed_demo_port{}.py".format(broker.port), broker.port)

    def a_got(m):
        event("Client A", "received topic={} msg={!r} (qos {})".format(m.topic, m.payload, m.qos))

    peer = PahoPeer(broker.host, broker.port, client_id=unique("MQTT_FX_Client_A"), on_message=a_got)
    device = None
    sent = []
    try:
        peer.connect()
        peer.subscribe(SEED_TOPIC_A, qos=0)
        event("Client A", "connected, subscribed to {}".format(SEED_TOPIC_A))
        device = MpyProcess(
            firmware, script, on_line=lambda name, line: event("device" if name == "stdout" else "device stderr", line)
        )
        device.wait_line(r"^mqtt connect state: ", timeout=connect_timeout)
        device.wait_line(r"^mqtt subscribe state: ", timeout=connect_timeout)
        for text in client_a_messages:
            event("Client A", "publish topic={} msg={!r}".format(SEED_TOPIC_B, text))
            peer.publish(SEED_TOPIC_B, text, qos=0)
            sent.append(text)
        # The device publishes SEED_DEMO_MESSAGES messages 200 ms apart, then exits.
        rc = device.wait(timeout=run_timeout or (SEED_DEMO_MESSAGES * 0.2 + 30))
        peer.wait_messages(SEED_DEMO_MESSAGES, topic=SEED_TOPIC_A, timeout=5)
        rx = re.compile(SEED_RECEIVE_RE)
        received = [m.groupdict() for m in map(rx.match, device.lines) if m]
        return SeedResult(rc, device.lines, device.stderr, received, peer.messages(SEED_TOPIC_A), sent)
    finally:
        if device is not None:
            device.close()
        peer.close()


# --------------------------------------------------------------------------
# Fault tests (tests_py/faults, tests_py/session): a broker that can be
# killed, frozen and restarted on the same port, and a persistent paho peer.
# --------------------------------------------------------------------------


class ConfigurableBroker(Broker):
    """A ``Broker`` with extra mosquitto.conf lines and optional persistence.

    ``kill(sig)`` stops it (SIGKILL or SIGTERM), ``restart()`` starts it again
    on the same port, ``freeze()``/``thaw()`` send SIGSTOP/SIGCONT. ``stop()``
    thaws first, so a frozen broker never outlives its test."""

    def __init__(self, workdir, port=None, users=None, name="mosquitto", persistence=False, extra_config=()):
        super().__init__(workdir, port=port, users=users, name=name)
        self.persistence = persistence
        self.extra_config = list(extra_config)
        self.frozen = False

    def _write_config(self, port):
        super()._write_config(port)
        lines = self.conf_path.read_text().splitlines()
        if self.persistence:
            lines = [l for l in lines if not l.startswith("persistence ")]
            lines += ["persistence true", "persistence_location {}/".format(self.workdir)]
        lines += self.extra_config
        self.conf_path.write_text("\n".join(lines) + "\n")

    def freeze(self):
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self):
        if self.proc is not None and self.frozen:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.frozen = False

    def kill(self, sig=signal.SIGKILL, timeout=10):
        """Stop the broker with ``sig`` and wait until it has exited and the port is free."""
        self.thaw()
        self.proc.send_signal(sig)
        self.proc.wait(timeout=timeout)
        self.proc = None

    def _port_reusable(self):
        # As mosquitto binds: SO_REUSEADDR, so connections in TIME_WAIT do not count.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((LOOPBACK, self.port))
            except OSError:
                return False
            return True

    def restart(self, timeout=15):
        """Start again on the same port (log appended to a fresh file)."""
        self.requested_port = self.port
        if not wait_until(self._port_reusable, timeout):
            raise AssertionError("port {} still busy: cannot restart the broker".format(self.port))
        return self.start(timeout=timeout)

    def stop(self):
        self.thaw()
        super().stop()


class PersistentPahoPeer(PahoPeer):
    """A ``PahoPeer`` with ``clean_session=False`` (MQTT 3.1.1), so the broker keeps
    its subscriptions and queues QoS 1/2 messages for it; it reconnects by
    itself (paho's loop) within about a second and counts its CONNACKs."""

    def __init__(self, host, port, client_id=None, clean_session=False, **kw):
        super().__init__(host, port, client_id=client_id, **kw)
        mqtt = self._mqtt
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv311,
            clean_session=clean_session,
        )
        if kw.get("username") is not None:
            self.client.username_pw_set(kw["username"], kw.get("password"))
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.connacks = 0

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        with self._cond:
            self.connacks += 1
        super()._on_connect(client, userdata, flags, reason_code, properties)

    def wait_connacks(self, n, timeout=10.0):
        """Wait until paho has had ``n`` CONNACKs (i.e. reconnected ``n - 1`` times)."""
        return self._wait(lambda: self.connacks >= n, timeout)


# --------------------------------------------------------------------------
# TLS (tests_py/tls, tests_py/auth) and a second broker (tests_py/interop):
# a test PKI made by openssl at test time, mosquitto with TLS listeners, and
# amqtt as an independent broker implementation.
# --------------------------------------------------------------------------

OPENSSL = os.environ.get("UMQTT_OPENSSL") or shutil.which("openssl") or "/usr/bin/openssl"


def _openssl(args, cwd, timeout=60):
    cmd = [OPENSSL] + [str(a) for a in args]
    r = subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise RuntimeError("{} failed (exit code {}):\n{}{}".format(" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r.stdout


class Pki:
    """A throw-away PKI generated with the openssl command line in ``workdir``.

    - ``ca``: the test CA (EC P-256) that signs ``server``, ``wrong_host``,
      ``expired`` and ``client``.
    - ``other_ca``: an unrelated CA; it signs ``rogue_client``.
    - ``server``: RSA 2048, CN and subjectAltName DNS ``localhost``.
    - ``wrong_host``: EC, CN and subjectAltName DNS ``WRONG_HOST``.
    - ``expired``: EC, ``localhost``, valid only during two days of 2020.
    - ``client`` / ``rogue_client``: EC client certificates (extendedKeyUsage
      clientAuth), CN ``umqtt-device`` / ``umqtt-rogue``.

    ``path(name, kind)`` gives the file (kind ``"crt"``, ``"key"``, ``"crt.der"``,
    ``"key.der"``); every file is world-readable (mode 644) in a traversable
    directory, so a broker that drops its privileges can still read it."""

    WRONG_HOST = "wrong-host.invalid"
    CLIENT_CN = "umqtt-device"

    def __init__(self, workdir):
        self.dir = Path(workdir)

    def path(self, name, kind="crt"):
        return self.dir / "{}.{}".format(name, kind)

    def read(self, name, kind="crt"):
        return self.path(name, kind).read_bytes()

    def _ca_conf(self, name):
        d = self.dir / (name + "-db")
        d.mkdir(exist_ok=True)
        (d / "index.txt").write_text("")
        (d / "serial").write_text("{:02X}\n".format(16 * (len(self._ca_confs) + 1)))
        conf = self.dir / (name + ".cnf")
        conf.write_text("\n".join([
            "[ ca ]", "default_ca = this_ca",
            "[ this_ca ]",
            "database = {}".format(d / "index.txt"),
            "new_certs_dir = {}".format(d),
            "serial = {}".format(d / "serial"),
            "default_md = sha256",
            "policy = any_name",
            "unique_subject = no",
            "copy_extensions = none",
            "[ any_name ]", "commonName = supplied",
            "",
        ]))
        return conf

    def _make_ca(self, name, cn):
        _openssl(["req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-keyout", self.path(name, "key"), "-out", self.path(name, "crt"), "-days", "30",
                  "-subj", "/O=umqtt tests/CN=" + cn,
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign"], self.dir)
        self._ca_confs[name] = self._ca_conf(name)

    def _make_leaf(self, name, cn, ca, usage, dns=None, rsa=False, start=None, end=None):
        keyopts = ["-newkey", "rsa:2048"] if rsa else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        csr = self.dir / (name + ".csr")
        _openssl(["req", "-new"] + keyopts + ["-nodes", "-keyout", self.path(name, "key"), "-out", csr,
                                              "-subj", "/O=umqtt tests/CN=" + cn], self.dir)
        ext = self.dir / (name + ".ext")
        lines = ["[ leaf ]", "basicConstraints = critical,CA:FALSE",
                 "keyUsage = critical,digitalSignature,keyEncipherment",
                 "extendedKeyUsage = " + usage]
        if dns:
            lines.append("subjectAltName = DNS:" + dns)
        ext.write_text("\n".join(lines) + "\n")
        now = time.time()
        start = start or time.strftime("%Y%m%d%H%M%SZ", time.gmtime(now - 86400))
        end = end or time.strftime("%Y%m%d%H%M%SZ", time.gmtime(now + 7 * 86400))
        _openssl(["ca", "-batch", "-config", self._ca_confs[ca], "-notext",
                  "-cert", self.path(ca, "crt"), "-keyfile", self.path(ca, "key"),
                  "-in", csr, "-out", self.path(name, "crt"), "-extfile", ext, "-extensions", "leaf",
                  "-startdate", start, "-enddate", end], self.dir)

    def generate(self):
        """Make every key and certificate (about a second); returns self."""
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(str(self.dir), 0o755)
        self._ca_confs = {}
        self._make_ca("ca", "umqtt test CA")
        self._make_ca("other_ca", "unrelated test CA")
        self._make_leaf("server", "localhost", "ca", "serverAuth", dns="localhost", rsa=True)
        self._make_leaf("wrong_host", self.WRONG_HOST, "ca", "serverAuth", dns=self.WRONG_HOST)
        self._make_leaf("expired", "localhost", "ca", "serverAuth", dns="localhost",
                        start="20200101000000Z", end="20200103000000Z")
        self._make_leaf("client", self.CLIENT_CN, "ca", "clientAuth")
        self._make_leaf("rogue_client", "umqtt-rogue", "other_ca", "clientAuth")
        # DER forms of what a device may hold as binary data.
        for name in ("ca", "client"):
            _openssl(["x509", "-in", self.path(name, "crt"), "-outform", "DER", "-out", self.path(name, "crt.der")],
                     self.dir)
        _openssl(["pkey", "-in", self.path("client", "key"), "-outform", "DER", "-out", self.path("client", "key.der")],
                 self.dir)
        for p in self.dir.rglob("*"):
            os.chmod(str(p), 0o755 if p.is_dir() else 0o644)
        return self


class TlsBroker(Broker):
    """A ``Broker`` (plain listener on ``port``) with four more TLS listeners,
    each on its own free loopback port in ``tls_ports``:

    - ``"tls"``: the ``server`` certificate (``localhost``), no client certificate asked;
    - ``"mutual"``: the ``server`` certificate, a client certificate signed by
      the test CA required (``require_certificate true``);
    - ``"wrong_host"``: a CA-signed certificate for ``Pki.WRONG_HOST``;
    - ``"expired"``: a CA-signed ``localhost`` certificate that expired in 2020.

    ``extra_listeners`` maps more names to ``(address, port, certificate
    name)`` for listeners on a fixed address/port (e.g. 8883 on 127.0.0.2)."""

    TLS_LISTENERS = (("tls", "server", False), ("mutual", "server", True),
                     ("wrong_host", "wrong_host", False), ("expired", "expired", False))

    def __init__(self, workdir, pki, name="mosquitto-tls", extra_listeners=None):
        super().__init__(workdir, name=name)
        self.pki = pki
        self.tls_ports = {}
        self.extra_listeners = dict(extra_listeners or {})

    def _tls_lines(self, address, port, cert, mutual):
        lines = [
            "listener {} {}".format(port, address),
            "cafile {}".format(self.pki.path("ca")),
            "certfile {}".format(self.pki.path(cert)),
            "keyfile {}".format(self.pki.path(cert, "key")),
        ]
        if mutual:
            lines += ["require_certificate true", "use_identity_as_username false"]
        return lines

    def _write_config(self, port):
        super()._write_config(port)
        used = {port}
        self.tls_ports = {}
        lines = self.conf_path.read_text().splitlines()
        for name, cert, mutual in self.TLS_LISTENERS:
            p = free_port()
            while p in used:
                p = free_port()
            used.add(p)
            self.tls_ports[name] = p
            lines += self._tls_lines(LOOPBACK, p, cert, mutual)
        for name, (address, p, cert) in self.extra_listeners.items():
            lines += self._tls_lines(address, p, cert, False)
        self.conf_path.write_text("\n".join(lines) + "\n")

    def start(self, timeout=15):
        super().start(timeout=timeout)
        pending = dict(self.tls_ports)
        for name, (address, p, cert) in self.extra_listeners.items():
            pending[name] = p
        addresses = {name: address for name, (address, p, cert) in self.extra_listeners.items()}
        ok = wait_until(lambda: all(port_accepts(p, addresses.get(n, LOOPBACK)) for n, p in pending.items()),
                        timeout)
        if not ok:
            text = self.diagnostics()
            self.stop()
            raise RuntimeError("mosquitto ({}) did not open its TLS listeners {}:\n{}".format(self.name, pending, text))
        return self


# The second, independent broker implementation: amqtt (PyPI, pure Python).
AMQTT_VERSION = "0.12.1"
AMQTT_INSTALL_HINT = "python3 -m pip install amqtt=={}".format(AMQTT_VERSION)


def amqtt_version():
    """The installed amqtt's version, or None when it is not installed."""
    try:
        from importlib.metadata import version, PackageNotFoundError
    except ImportError:  # pragma: no cover
        return None
    try:
        return version("amqtt")
    except PackageNotFoundError:
        return None


class AmqttBroker:
    """amqtt's broker (``python3 -m amqtt.scripts.broker_script``) on a free
    loopback port, anonymous clients allowed, no persistence; the same
    surface as ``Broker`` for the tests (``host``, ``port``, ``start``,
    ``stop``, ``alive``, ``log_text``, ``mark_log``/``new_log``/``wait_log``,
    ``diagnostics``); ``kill_broker``/``restart_broker`` work on it."""

    implementation = "amqtt"

    def __init__(self, workdir, port=None, name="amqtt"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.host = LOOPBACK
        self.requested_port = port
        self.port = None
        self.name = name
        self.proc = None
        self.conf_path = self.workdir / (name + ".yaml")
        self.log_path = self.workdir / (name + ".log")
        self.version = amqtt_version()

    def _write_config(self, port):
        self.conf_path.write_text("\n".join([
            "listeners:",
            "  default:",
            "    type: tcp",
            "    bind: {}:{}".format(LOOPBACK, port),
            "plugins:",
            "  amqtt.plugins.logging_amqtt.EventLoggerPlugin: {}",
            "  amqtt.plugins.logging_amqtt.PacketLoggerPlugin: {}",
            "  amqtt.plugins.authentication.AnonymousAuthPlugin:",
            "    allow_anonymous: true",
            "",
        ]))

    def start(self, timeout=30):
        if self.version is None:
            raise RuntimeError("amqtt (the second broker) is not installed: {}".format(AMQTT_INSTALL_HINT))
        import sys
        attempts = 1 if self.requested_port else 5
        last_error = None
        for _ in range(attempts):
            port = self.requested_port or free_port()
            self._write_config(port)
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "amqtt.scripts.broker_script", "-d", "-c", str(self.conf_path)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if port_accepts(port):
                    self.port = port
                    return self
                time.sleep(0.05)
            last_error = "amqtt did not accept on port {} (exit code {}):\n{}".format(
                port, self.proc.poll(), self.diagnostics())
            self.stop()
        raise RuntimeError(last_error)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    diagnostics = log_text

    def mark_log(self):
        self.log_mark = len(self.log_text())
        return self.log_mark

    def new_log(self):
        return self.log_text()[getattr(self, "log_mark", 0):]

    def wait_log(self, pattern, timeout=5.0):
        rx = re.compile(pattern)
        return wait_until(lambda: rx.search(self.new_log()), timeout, interval=0.02)


def mosquitto_version():
    """``"2.0.11"`` (from ``mosquitto -h``), or None."""
    try:
        r = subprocess.run([MOSQUITTO, "-h"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"mosquitto version (\S+)", r.stdout + r.stderr)
    return m.group(1) if m else None


def kill_broker(broker, sig=signal.SIGKILL, timeout=10):
    """Kill a ``Broker``'s or ``AmqttBroker``'s process with ``sig`` (no clean
    shutdown) and wait until it has exited. Its connections are gone; the port
    may linger in TIME_WAIT, which a restarted broker (SO_REUSEADDR) ignores."""
    broker.proc.send_signal(sig)
    broker.proc.wait(timeout=timeout)
    broker.proc = None


def restart_broker(broker, timeout=30):
    """Start a killed broker again on the same port (it comes back empty: no
    persistence, so no sessions and no retained messages)."""
    broker.requested_port = broker.port
    return broker.start(timeout=timeout)


def port_is_free_on(address, port):
    """True if nothing listens on ``address:port`` (a loopback address) now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
        return True


AgentMessage = collections.namedtuple("AgentMessage", "topic length sha256 head time")


class Agent:
    """Drives ``tests_py/session/agent.py``: a MicroPython client run by commands on stdin.

    ``ok("sub t 1")`` sends a command and waits (bounded) for its ``OK`` line;
    ``messages()`` / ``wait_messages()`` read the ``MSG`` lines (one per
    delivery to the callback), ``errcb()`` the ``ERRCB`` lines. Every line's
    arrival time (``time.monotonic()``) is kept in ``arrivals``."""

    SCRIPT = TESTS_DIR / "session" / "agent.py"

    def __init__(self, firmware, env, ready_timeout=20.0):
        self.arrivals = []
        self._lock = threading.Lock()
        self.proc = MpyProcess(firmware, self.SCRIPT, env=env, cwd=str(self.SCRIPT.parent), on_line=self._seen)
        self.proc.wait_line(r"^READY$", timeout=ready_timeout)

    def _seen(self, stream, line):
        if stream == "stdout":
            with self._lock:
                self.arrivals.append((time.monotonic(), line))

    def send(self, text):
        self.proc.send_line(text)

    def cmd(self, text, timeout=20.0):
        """Send a command; return (ok, rest of its result line, arrival time)."""
        name = text.split(" ", 1)[0]
        self.send(text)
        m = self.proc.wait_line(r"^(OK|ERR) {}(?: (.*))?$".format(re.escape(name)), timeout=timeout)
        return m.group(1) == "OK", m.group(2) or "", self.arrival_of(m.string)

    def ok(self, text, timeout=20.0):
        """Send a command that must succeed; return its result text."""
        ok, rest, _ = self.cmd(text, timeout)
        if not ok:
            raise AssertionError("agent command {!r} failed: {}\n{}".format(text, rest, self.describe()))
        return rest

    def arrival_of(self, line):
        with self._lock:
            for t, l in reversed(self.arrivals):
                if l == line:
                    return t
        return None

    def lines_matching(self, pattern):
        rx = re.compile(pattern)
        with self._lock:
            return [(t, l) for t, l in self.arrivals if rx.search(l)]

    def messages(self, topic=None):
        out = []
        for t, l in self.lines_matching(r"^MSG "):
            _, tp, n, sha, head = l.split(" ")
            if topic is None or tp == topic:
                out.append(AgentMessage(tp, int(n), sha, "" if head == "-" else head, t))
        return out

    def wait_messages(self, n, topic=None, timeout=10.0):
        """Wait until at least ``n`` deliveries (on ``topic``); return them all (maybe fewer)."""
        wait_until(lambda: len(self.messages(topic)) >= n, timeout)
        return self.messages(topic)

    def errcb(self):
        """[(device time.time(), text)] of every error_register_cb call so far."""
        out = []
        for _, l in self.lines_matching(r"^ERRCB "):
            _, t, text = l.split(" ", 2)
            out.append((float(t), text))
        return out

    def wait_errcb(self, text, count=1, timeout=10.0):
        wait_until(lambda: sum(1 for _, x in self.errcb() if x == text) >= count, timeout)
        return [x for _, x in self.errcb()]

    def describe(self):
        return self.proc.describe()

    def close(self):
        if self.proc.returncode is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=5)
            except Exception:
                pass
        self.proc.close()


def message_digest(payload):
    """(length, sha256 hex, first 40 bytes hex) as agent.py prints a delivery."""
    payload = bytes(payload)
    return len(payload), sha256_hex(payload), payload[:40].hex()


def _paho_wait_count(self, n, timeout):
    """Wait until at least ``n`` messages arrived in total (cheap: no list copy)."""
    with self._cond:
        return self._cond.wait_for(lambda: len(self._messages) >= n, timeout=timeout)


PersistentPahoPeer.wait_count = _paho_wait_count
