"""Authentication: user name and password (str or bytes, UTF-8, empty), a
password without a user name, and CONNACK refusals 1-5 surfaced as
MQTTException(code) with a readable message, the client reusable after.

Checked both on a real broker (mosquitto with a password file) and on the
wire (a fake broker that decodes each CONNECT field by field).
"""

import re

import pytest

from auth_support import CRED_USERS, cred

FORMS = {
    # name: (user, password) as the script passes them
    "str": ("alice", CRED_USERS["alice"]),
    "bytes": (b"alice", CRED_USERS["alice"].encode()),
    "str-user-bytes-password": ("alice", CRED_USERS["alice"].encode()),
    "utf8-str": ("d\u00e9vice-\u00fc", CRED_USERS["d\u00e9vice-\u00fc"]),
    "utf8-bytes": ("d\u00e9vice-\u00fc".encode(), CRED_USERS["d\u00e9vice-\u00fc"].encode()),
}


def _b(v):
    return v.encode("utf-8") if isinstance(v, str) else v


@pytest.mark.parametrize("form", sorted(FORMS))
def test_credentials_accepted_by_mosquitto(cred_broker, auth_run, ids, form):
    user, password = FORMS[form]
    cred_broker.mark_log()
    a = auth_run(cred_broker, {"user": cred(user), "password": cred(password)})
    assert [(r["ok"], r.get("rc")) for r in a.results] == [(True, 0)], a.describe()
    assert cred_broker.wait_log(r"New client connected from 127\.0\.0\.1:\d+ as {} \(p2, c1, k30, u'{}'\)\.".format(
        re.escape(ids.client_id), re.escape(_b(user).decode()))), cred_broker.new_log()


@pytest.mark.parametrize("form", sorted(FORMS))
def test_credentials_on_the_wire(fake_broker, auth_run, form):
    user, password = FORMS[form]
    fb = fake_broker()
    a = auth_run(fb, {"user": cred(user), "password": cred(password)})
    assert [(r["ok"], r.get("rc")) for r in a.results] == [(True, 0)], a.describe()
    (c,) = fb.wait_connects(1)
    assert (c["user_flag"], c["password_flag"], c["user"], c["password"], c["trailing"]) == (
        True, True, _b(user), _b(password), b""), c


def test_wrong_password_refused_with_code_5(cred_broker, auth_run):
    a = auth_run(cred_broker, {"user": cred(b"alice"), "password": cred(b"not-the-password")})
    (r,) = a.results
    assert (r["ok"], r["type"], r["code"]) == (False, "MQTTException", 5), a.describe()
    assert re.search(r"(?i)not authori[sz]ed", r["str"]), a.describe()


# mosquitto 2.0.11 refuses an empty password even when the password file
# holds one (paho-mqtt gets CONNACK 5 the same way), so the empty password
# is checked on the wire.
@pytest.mark.parametrize("password", ["", b""], ids=["str", "bytes"])
def test_empty_password_is_sent_as_an_empty_field(fake_broker, auth_run, password):
    fb = fake_broker()
    a = auth_run(fb, {"user": cred("device"), "password": cred(password)})
    assert [(r["ok"], r.get("rc")) for r in a.results] == [(True, 0)], a.describe()
    (c,) = fb.wait_connects(1)
    assert (c["user_flag"], c["password_flag"], c["user"], c["password"], c["trailing"]) == (
        True, True, b"device", b"", b""), c


def test_empty_user_name_and_password(broker, fake_broker, auth_run):
    # MQTT 3.1.1 allows a zero-length user name; an anonymous broker accepts it.
    fb = fake_broker()
    a = auth_run(fb, {"user": cred(""), "password": cred("")})
    assert [(r["ok"], r.get("rc")) for r in a.results] == [(True, 0)], a.describe()
    (c,) = fb.wait_connects(1)
    assert (c["user_flag"], c["password_flag"], c["user"], c["password"]) == (True, True, b"", b""), c
    a = auth_run(broker, {"user": cred(""), "password": cred("")})
    assert [(r["ok"], r.get("rc")) for r in a.results] == [(True, 0)], a.describe()


def test_simple_face_sends_no_empty_user_name(fake_broker, auth_run):
    # micropython-lib's umqtt.simple sends credentials only `if self.user:`:
    # user="" (scripts pass it for "none") sends neither field, while
    # QuecPython's face, whose reference tests `is not None`, sends both
    # empty (above). The simple face sent an empty user name before.
    fb = fake_broker()
    a = auth_run(fb, {"face": "simple", "user": cred(""), "password": cred("")})
    assert [(r["ok"], r.get("rc")) for r in a.results] == [(True, 0)], a.describe()
    (c,) = fb.wait_connects(1)
    assert (c["user_flag"], c["password_flag"]) == (False, False), c
    a = auth_run(fb, {"face": "simple", "user": cred(b"device"), "password": cred(b"")})
    (c, c2) = fb.wait_connects(2)
    assert (c2["user_flag"], c2["password_flag"], c2["user"], c2["password"]) == (True, True, b"device", b""), c2


@pytest.mark.parametrize("version", [4, 3], ids=["mqtt3.1.1", "mqtt3.1"])
def test_password_without_user_never_breaks_the_protocol(broker, fake_broker, auth_run, version):
    """MQTT 3.1.1 [MQTT-3.1.2-22]: "If the User Name Flag is set to 0, the
    Password Flag MUST be set to 0"; mosquitto closes such a connection
    ("password without username"), for MQTT 3.1 as well. Two behaviours are
    acceptable: a ValueError naming the argument (api.md: wrong values raise
    at once, naming the argument), or the password left out of the CONNECT,
    as umqtt.simple does (it sends credentials only with a user name), so
    the connection works."""
    spec = {"password": cred("secret"), "version": version}
    fb = fake_broker()
    a = auth_run(fb, spec)
    sent = fb.wait_connects(1, timeout=1.0)
    raised = a.ctor or (a.results[0] if a.results and not a.results[0]["ok"] else None)
    problems = []
    bad = [c for c in sent if c["password_flag"] and not c["user_flag"]]
    if bad:
        problems.append("sent a CONNECT with the password flag but no user name flag: {}".format(bad[0]))
    if raised is not None:
        if raised["type"] != "ValueError" or not re.search(r"(?i)password|user", raised["str"]):
            problems.append("raised {} {!r}: not a ValueError naming the password/user argument".format(
                raised["type"], raised["str"]))
    elif not bad and not (a.results and a.results[0]["ok"] and a.results[0]["rc"] == 0 and sent):
        problems.append("neither refused with ValueError nor connected without the password")
    # The same against mosquitto: a named ValueError, or a working connection.
    m = auth_run(broker, spec)
    m_raised = m.ctor or (m.results[0] if m.results and not m.results[0]["ok"] else None)
    if m_raised is not None and not (m_raised["type"] == "ValueError" and re.search(r"(?i)password|user",
                                                                                    m_raised["str"])):
        problems.append("against mosquitto: raised {} {!r}".format(m_raised["type"], m_raised["str"]))
    assert not problems, "\n".join(problems) + "\n" + a.describe() + "\n" + m.describe()


REFUSALS = {
    1: r"(?i)protocol",
    2: r"(?i)identifier|client id",
    3: r"(?i)unavailable",
    4: r"(?i)(user ?name|username).*password|credentials",
    5: r"(?i)not authori[sz]ed",
}


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_connack_refusal_raises_MQTTException_with_code_then_connects(fake_broker, auth_run, code):
    fb = fake_broker(codes=[code])  # refuse once, then accept
    a = auth_run(fb, {"user": cred("alice"), "password": cred("pw")}, retry=True)
    assert len(a.results) == 2, a.describe()
    refused, retried = a.results
    assert (refused["ok"], refused["type"], refused["code"]) == (False, "MQTTException", code), a.describe()
    assert re.search(REFUSALS[code], refused["str"]), "message {!r} does not say why\n{}".format(
        refused["str"], a.describe())
    assert refused["ms"] < 3000, a.describe()
    assert (retried["ok"], retried["rc"]) == (True, 0), a.describe()
    assert [c["answered"] for c in fb.wait_connects(2)] == [code, 0]
