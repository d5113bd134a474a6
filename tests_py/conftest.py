"""pytest fixtures for the umqtt tests against a real broker.

Run from the repository root:   python3 -m pytest tests_py
Firmware under test:            $UMQTT_FIRMWARE, else build/micropython
Needs:                          mosquitto + mosquitto_passwd (Debian package
                                "mosquitto"), pytest and paho-mqtt 2.x.

Each session starts two private mosquitto brokers on free loopback ports:
``broker`` (anonymous) and ``auth_broker`` (password file, no anonymous
clients). Every test gets its own client id and topic prefix, so tests never
see each other's messages. Every wait is bounded; on top of that each test
body runs under an alarm (``umqtt_test_timeout`` in pytest.ini, or the
``umqtt_timeout(seconds)`` marker).
"""

import signal
import types
from pathlib import Path

import pytest

import mqtt_harness as h

# Fixtures of the fault-injection and session tests (brokers that can be
# killed or frozen, fault proxies, agents, figures).
pytest_plugins = ["fault_fixtures"]



def pytest_addoption(parser):
    parser.addini("umqtt_test_timeout", "seconds each test body may run", default="120")


def pytest_configure(config):
    config.addinivalue_line("markers", "umqtt_timeout(seconds): time limit for this test's body")


class UmqttTestTimeout(BaseException):
    """Raised by the alarm; a BaseException so no test code swallows it."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    marker = item.get_closest_marker("umqtt_timeout")
    seconds = int(marker.args[0]) if marker else int(item.config.getini("umqtt_test_timeout"))
    use_alarm = hasattr(signal, "SIGALRM")
    if use_alarm:
        def on_alarm(signum, frame):
            raise UmqttTestTimeout("test exceeded its {} s limit".format(seconds))

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(seconds)
    try:
        yield
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for name in ("broker", "auth_broker"):
            b = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if b is None:
                continue
            start = getattr(item, "_umqtt_log_offsets", {}).get(name, 0)
            text = b.log_text()[start:]
            if len(text) > 8000:
                text = "...\n" + text[-8000:]
            report.sections.append(("{} log during this test".format(name), text))


@pytest.fixture(scope="session")
def firmware():
    path = h.default_firmware()
    problem = h.check_firmware(path)
    if problem:
        pytest.fail(problem, pytrace=False)
    return path


def _start_broker(tmp_path_factory, name, users=None):
    return h.start_or_fail(h.Broker(tmp_path_factory.mktemp(name), users=users, name=name))


@pytest.fixture(scope="session")
def _broker_session(tmp_path_factory):
    b = _start_broker(tmp_path_factory, "mosquitto")
    yield b
    b.stop()


@pytest.fixture(scope="session")
def _auth_broker_session(tmp_path_factory):
    b = _start_broker(tmp_path_factory, "mosquitto-auth", users=h.AUTH_USERS)
    yield b
    b.stop()


def _remember_log_offset(request, name, b):
    offsets = getattr(request.node, "_umqtt_log_offsets", None)
    if offsets is None:
        offsets = request.node._umqtt_log_offsets = {}
    offsets[name] = b.mark_log()


@pytest.fixture
def broker(request, _broker_session):
    """The anonymous broker (session-wide); checked alive for each test."""
    assert _broker_session.alive(), "mosquitto died:\n" + _broker_session.diagnostics()
    _remember_log_offset(request, "broker", _broker_session)
    return _broker_session


@pytest.fixture
def auth_broker(request, _auth_broker_session):
    """The broker with a password file; ``auth_broker.users`` holds the accounts."""
    assert _auth_broker_session.alive(), "mosquitto (auth) died:\n" + _auth_broker_session.diagnostics()
    _remember_log_offset(request, "auth_broker", _auth_broker_session)
    return _auth_broker_session


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """The test PKI openssl makes once (``mqtt_harness.Pki``): a CA, a ``localhost``
    server certificate, one for the wrong host, an expired one, client certificates."""
    try:
        return h.Pki(tmp_path_factory.mktemp("pki")).generate()
    except (OSError, RuntimeError) as e:
        pytest.fail("could not make the test certificates with openssl: {}".format(e), pytrace=False)


@pytest.fixture(scope="session")
def tls_broker_session(tmp_path_factory, pki):
    b = h.start_or_fail(h.TlsBroker(tmp_path_factory.mktemp("mosquitto-tls"), pki))
    yield b
    b.stop()


@pytest.fixture
def tls_broker(request, tls_broker_session):
    """A mosquitto listening plain on ``port`` and with TLS on ``tls_ports[...]``
    (``mqtt_harness.TlsBroker``), session-wide; checked alive for each test."""
    b = tls_broker_session
    assert b.alive(), "mosquitto (TLS) died:\n" + b.diagnostics()
    b.mark_log()
    request.node._umqtt_tls_broker = b
    return b


@pytest.fixture
def ids(request):
    """A client id and a topic prefix unique to this test."""
    return types.SimpleNamespace(
        client_id=h.unique("umqtt"),
        topic="umqtt-test/{}".format(h.unique(request.node.name.split("[")[0])[-30:]),
    )


@pytest.fixture
def paho_peer():
    """Factory: ``paho_peer(broker, **kw)`` returns a connected PahoPeer, closed at teardown."""
    peers = []

    def make(b, **kw):
        p = h.PahoPeer(b.host, b.port, **kw)
        peers.append(p)
        return p.connect()

    yield make
    for p in peers:
        try:
            p.close()
        except Exception:
            pass


class Mpy:
    """Runs MicroPython scripts of the requesting test's folder on the firmware."""

    def __init__(self, firmware, folder):
        self.firmware = firmware
        self.folder = Path(folder)
        self.procs = []

    def path(self, script):
        p = Path(script)
        return p if p.is_absolute() else self.folder / p

    @staticmethod
    def env(b, ids=None, **extra):
        """Environment for a script: MQTT_HOST/MQTT_PORT of broker ``b`` (+ ids, + extra)."""
        e = {"MQTT_HOST": b.host, "MQTT_PORT": b.port}
        if ids is not None:
            e["MQTT_CLIENT_ID"] = ids.client_id
            e["MQTT_TOPIC"] = ids.topic
        e.update(extra)
        return e

    def run(self, script, env=None, timeout=30.0, args=()):
        """Run to completion: returns MpyResult(returncode, stdout, stderr)."""
        return h.run_mpy(self.firmware, self.path(script), env=env, timeout=timeout, args=args,
                         cwd=str(self.folder))

    def start(self, script, env=None, args=()):
        """Start in the background: returns an MpyProcess (killed at teardown)."""
        p = h.MpyProcess(self.firmware, self.path(script), env=env, args=args, cwd=str(self.folder))
        self.procs.append(p)
        return p


@pytest.fixture
def mpy(request, firmware):
    m = Mpy(firmware, Path(str(request.path)).parent)
    yield m
    for p in m.procs:
        p.close()


@pytest.fixture
def heap_firmware(tmp_path, firmware):
    """The firmware with -X heapsize=<heap>, as an executable wrapper (for
    mpy.firmware)."""
    def make(heap):
        path = tmp_path / "micropython-heap-{}".format(heap)
        path.write_text('#!/bin/sh\nexec "{}" -X heapsize={} "$@"\n'.format(firmware, heap))
        path.chmod(0o755)
        return path
    return make

