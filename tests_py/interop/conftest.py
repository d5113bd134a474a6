"""Fixtures for the interoperability tests: the same tests against two
independent broker implementations.

- ``mosquitto`` (Debian package, C): the broker every other test uses.
- ``amqtt`` (PyPI, pure Python asyncio): the second, independent
  implementation. It is installed by ``tools/install-deps.sh`` /
  ``.ci/run``; when it is missing the tests FAIL (they are not skipped) and
  say how to install it.

``ibroker`` is parametrized over both (one broker of each kind for the whole
session); ``make_ibroker(kind)`` starts a private broker of that kind that a
test may kill and restart on the same port. Each broker carries
``implementation`` and ``version``; the versions tested are printed in the
terminal summary. Where a broker departs from MQTT 3.1.1 the tests name the
deviation (``DEVIATIONS`` in test_interop.py) and check what that broker
really does, rather than loosening the check for every broker.
"""

import pytest

import mqtt_harness as h

BROKERS = ("mosquitto", "amqtt")

_TESTED = {}


def _new_broker(kind, workdir):
    if kind == "mosquitto":
        b = h.Broker(workdir, name="mosquitto-interop")
        b.implementation = "mosquitto"
        b.version = h.mosquitto_version()
    elif kind == "amqtt":
        b = h.AmqttBroker(workdir, name="amqtt-interop")
    else:  # pragma: no cover
        raise ValueError(kind)
    h.start_or_fail(b, kind)
    _TESTED[kind] = b.version
    return b


@pytest.fixture(scope="session")
def _interop_brokers(tmp_path_factory):
    started = {}

    def get(kind):
        if kind not in started:
            started[kind] = _new_broker(kind, tmp_path_factory.mktemp(kind + "-interop"))
        return started[kind]

    yield get
    for b in started.values():
        b.stop()


@pytest.fixture(params=BROKERS)
def ibroker(request, _interop_brokers):
    """A running broker of each implementation in turn (session-wide)."""
    b = _interop_brokers(request.param)
    assert b.alive(), "{} died:\n{}".format(request.param, b.diagnostics())
    b.mark_log()
    request.node._umqtt_ibroker = b
    return b


@pytest.fixture
def make_ibroker(request, tmp_path):
    """``make_ibroker(kind)``: a private broker of that implementation, for a
    test that kills and restarts it (``h.kill_broker`` / ``h.restart_broker``);
    stopped at teardown."""
    made = []

    def make(kind):
        b = _new_broker(kind, tmp_path / "{}{}".format(kind, len(made)))
        made.append(b)
        request.node._umqtt_ibroker = b
        return b

    yield make
    for b in made:
        b.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    b = getattr(item, "_umqtt_ibroker", None)
    if report.when == "call" and report.failed and b is not None:
        text = b.new_log() if hasattr(b, "new_log") else ""
        if len(text) > 8000:
            text = "...\n" + text[-8000:]
        report.sections.append(("{} {} log during this test".format(b.implementation, b.version), text))


def pytest_terminal_summary(terminalreporter):
    if _TESTED:
        terminalreporter.write_line("interop: brokers tested: " + ", ".join(
            "{} {}".format(k, v or "(version unknown)") for k, v in sorted(_TESTED.items())))
