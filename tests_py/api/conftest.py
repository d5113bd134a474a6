"""Fixtures of the API tests: a test PKI and a mosquitto with TLS listeners,
made as tests_py/tls makes them (``mqtt_harness.Pki``, ``mqtt_harness.TlsBroker``)."""

import pytest

import mqtt_harness as h


@pytest.fixture(scope="module")
def api_pki(tmp_path_factory):
    try:
        return h.Pki(tmp_path_factory.mktemp("api-pki")).generate()
    except (OSError, RuntimeError) as e:
        pytest.fail("could not make the test certificates with openssl: {}".format(e), pytrace=False)


@pytest.fixture(scope="module")
def api_tls_broker(tmp_path_factory, api_pki):
    b = h.TlsBroker(tmp_path_factory.mktemp("api-mosquitto-tls"), api_pki, name="mosquitto-tls")
    try:
        b.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield b
    b.stop()
