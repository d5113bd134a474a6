"""Keep-alive while the application is busy elsewhere (ports with threads):
the client's background keep-alive sends PINGREQ on time, so the broker keeps
an idle client (mosquitto drops one after 1.5 x keepalive of silence), and a
frozen broker is noticed without any call into the client."""

import time
from pathlib import Path

import mqtt_harness as h

HERE = Path(__file__).resolve().parent


def test_idle_application_keeps_its_connection(firmware, make_broker):
    broker = make_broker()
    topic = h.unique("umqtt-test/idle")
    proc = h.MpyProcess(firmware, HERE / "idle_device.py",
                        env={"MQTT_PORT": str(broker.port), "TOPIC": topic, "MODE": "idle",
                             "CLIENT_ID": h.unique("idle")})
    try:
        assert proc.wait(30) == 0, proc.describe()
        out = proc.stdout
        assert "STA 0" in out, out
        # No reconnect was needed: the broker never dropped the idle client.
        assert "GOT [b'after idle'] EVENTS []" in out, out
        log = broker.log_text()
        assert "exceeded timeout" not in log, log[-2000:]
    finally:
        proc.close()


def test_frozen_broker_is_noticed_while_the_application_is_idle(firmware, make_broker, figures):
    broker = make_broker()
    topic = h.unique("umqtt-test/idle-freeze")
    proc = h.MpyProcess(firmware, HERE / "idle_device.py",
                        env={"MQTT_PORT": str(broker.port), "TOPIC": topic, "MODE": "freeze",
                             "CLIENT_ID": h.unique("idlefz")})
    try:
        proc.wait_line(r"^READY", timeout=15)
        time.sleep(2.5)             # a keep-alive exchange or two go through
        t_freeze = time.time()
        broker.freeze()
        try:
            proc.wait_line(r"^NOTICED ", timeout=15)
        finally:
            broker.thaw()
        line = [l for l in proc.lines if l.startswith("NOTICED ")][0]
        _, t_noticed, text = line.split(" ", 2)
        assert t_noticed != "None", proc.describe()
        detection = float(t_noticed) - t_freeze
        figures("idle keep-alive detection (keepalive=2 s, reconn=False): {:.2f} s after SIGSTOP".format(detection))
        assert detection <= 3.5, "noticed {:.2f} s after the freeze".format(detection)
        assert "keep-alive" in text, text
    finally:
        proc.close()
