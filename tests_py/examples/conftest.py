"""Fixtures of the example tests: a test PKI and a mosquitto with TLS
listeners, made as tests_py/tls makes them (``mqtt_harness.Pki`` and
``mqtt_harness.TlsBroker``), for examples/tls_pinned_ca.py."""

import pytest

import mqtt_harness as h


@pytest.fixture(scope="module")
def examples_pki(tmp_path_factory):
    try:
        return h.Pki(tmp_path_factory.mktemp("examples-pki")).generate()
    except (OSError, RuntimeError) as e:
        pytest.fail("could not make the test certificates with openssl: {}".format(e), pytrace=False)


@pytest.fixture(scope="module")
def examples_tls_broker(tmp_path_factory, examples_pki):
    b = h.TlsBroker(tmp_path_factory.mktemp("examples-mosquitto-tls"), examples_pki, name="mosquitto-tls")
    try:
        b.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield b
    b.stop()
