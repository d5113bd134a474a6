"""Drop-in defects of the micropython-lib faces found after issue 12, one
test each: what micropython-lib's umqtt.simple / umqtt.robust scripts do
that the faces got wrong. Each failed before its fix."""

import pytest

import mqtt_harness as h


def lines_of(r):
    assert r.returncode == 0, r.describe()
    return r.stdout.splitlines()


def test_robust_reconnect_calls_self_connect_and_log_prints_repr(broker, mpy, ids):
    lines = lines_of(mpy.run("face_robust_reconnect.py", env=mpy.env(broker, ids)))
    assert lines[:3] == ["CONNECT True", "CONNECT False", "RECONNECT False"], lines
    rest = lines[3:]
    assert rest[-1] == "DONE", lines
    pairs = rest[:-1]
    assert len(pairs) == 8, lines       # two exceptions, two log lines each, each after its EXPECT
    for expect, got in zip(pairs[0::2], pairs[1::2]):
        assert expect.startswith("EXPECT "), lines
        assert got == expect[len("EXPECT "):], lines


# A script's subclass of the robust face too (a Python class, where an
# attribute store goes to the instance's dict unless the class says
# otherwise); a subclass of the native faces is a documented limitation.
@pytest.mark.parametrize("face,kind", [("quecpython", "face"), ("simple", "face"), ("robust", "face"),
                                       ("robust", "subclass")])
def test_cb_is_the_callback_read_and_set(broker, mpy, ids, face, kind):
    lines = lines_of(mpy.run("face_cb_attribute.py", env=mpy.env(broker, ids, UMQTT_FACE=face, CB_KIND=kind)))
    assert lines == [
        kind + " INITIAL True",
        kind + " SET True",
        kind + " GOT [('on_msg', b'one')]",
        kind + " SET_CALLBACK True [('other', b'two')]",
        kind + " AGAIN True [('on_msg', b'three')]",
        kind + " NONE True",
    ]


@pytest.mark.parametrize("face,mode", [("simple", "blocking"), ("simple", "timeout"), ("simple", "nonblocking"),
                                       ("quecpython", "blocking"), ("robust", "timeout")])
def test_a_script_changing_the_socket_mode_does_not_break_the_client(broker, mpy, ids, face, mode):
    r = mpy.run("face_sock_mode.py", env=mpy.env(broker, ids, UMQTT_FACE=face, SOCK_MODE=mode), timeout=20)
    assert lines_of(r) == ["CHECK_QUICK True", "GOT [b'one', b'two']", "PING True", "CHECK_QUICK True"]


@pytest.mark.parametrize("face", ["quecpython", "simple", "robust"])
def test_every_method_takes_its_arguments_by_keyword(broker, mpy, ids, face):
    lines = lines_of(mpy.run("face_keywords.py", env=mpy.env(broker, ids, UMQTT_FACE=face)))
    chunk = ["set_chunk_callback OK"]
    middle = ["check_msg OK", "log OK", "reconnect OK"] if face == "robust" else ["check_msg OK"]
    assert lines == ["MQTTClient OK", "set_callback OK"] + chunk + [
        "error_register_cb OK", "set_last_will OK", "connect OK", "subscribe OK", "publish OK",
        "GOT [b'by keyword']"] + middle + [
        "ping OK", "wait_msg OK", "unsubscribe OK", "delay OK", "get_mqttsta OK", "stats OK", "disconnect OK",
        "close OK"]
