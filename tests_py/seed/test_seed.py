"""The application note's complete example (examples/seed_demo.py) against paho "Client A".

Client A subscribes to topic A and publishes to topic B; the device runs the
note's MqttClientManage class and main code unchanged (only server/port
point at the local broker) and publishes to topic A from its main thread.
"""

import re

import mqtt_harness as h


def test_seed_demo_file_is_the_note_with_local_server():
    text = h.SEED_DEMO.read_text()
    assert re.search(r'(?m)^server = "127\.0\.0\.1"$', text)
    assert re.search(r"(?m)^port = 18830$", text)
    assert "class MqttClientManage(object):" in text
    assert "stage, state = checkNet.waitNetworkReady(30)" in text


def test_seed_example_exchange_both_directions(broker, firmware, tmp_path):
    a_texts = ["Hello, QuecPython", "Second message from Client A"]
    res = h.seed_exchange(firmware, broker, tmp_path, client_a_messages=a_texts)
    describe = "device stdout:\n{}\ndevice stderr:\n{}".format("\n".join(res.device_lines), res.device_stderr)
    assert res.returncode == 0, describe
    assert "mqtt connect state:  0" in res.device_lines, describe
    # Client A -> device: the note's callback prints each message.
    assert res.device_received == [{"topic": h.SEED_TOPIC_B, "msg": t} for t in a_texts], describe
    assert ("QuecPython receive Topic=/public/TEST/QuecPython2023_B,Msg=Hello, QuecPython"
            in res.device_lines), describe
    # Device -> Client A: every message of the main thread, exact text, in order.
    assert [m.payload for m in res.client_a_received] == [
        "Hello, PC {}".format(i).encode() for i in range(h.SEED_DEMO_MESSAGES)
    ], describe
    assert all(m.qos == 0 and not m.retain for m in res.client_a_received)
    # The listening thread reported no error while the script ran (what it
    # may print while the interpreter shuts down is not judged here).
    assert "demo done" in res.device_lines, describe
    running = res.device_lines[:res.device_lines.index("demo done")]
    assert not [l for l in running if l.startswith("mqtt client listen error")], describe
