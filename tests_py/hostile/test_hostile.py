"""A broker that sends malformed bytes, stalls or vanishes: the client raises a
clear exception, the interpreter lives on, and the same client object connects
again. The fake broker is CPython on a free loopback port."""

import socket
import threading
from pathlib import Path

import pytest

import mqtt_harness as h

HERE = Path(__file__).resolve().parent
CONNACK_OK = b"\x20\x02\x00\x00"

# case -> (bytes sent after CONNECT on the first connection, or None to close
#          at once; reply to the first PUBLISH; expected exception)
CASES = {
    # Shorter than CONNACK's fixed length: mqttrs would index past the end.
    "connack_short": (b"\x20\x00", None, "MQTTException"),
    "connack_bad_code": (b"\x20\x02\x00\x07", None, "MQTTException"),
    "connack_garbage": (b"\xff\xff\xff\xff\xff", None, "MQTTException"),
    "connack_never": (b"", None, "OSError"),
    "close_before_connack": (None, None, "OSError"),
    "puback_short": (CONNACK_OK, b"\x40\x00", "MQTTException"),
    # A fifth remaining-length byte.
    "publish_length_5_bytes": (CONNACK_OK + b"\x30\xff\xff\xff\xff\x01", None, "MQTTException"),
    # Topic length runs past the packet.
    "publish_topic_overrun": (CONNACK_OK + b"\x30\x04\x00\x10ab", None, "MQTTException"),
    # QoS 1 PUBLISH with no room for its packet id.
    "publish_qos1_no_id": (CONNACK_OK + b"\x32\x02\x00\x00", None, "MQTTException"),
    "publish_qos3": (CONNACK_OK + b"\x36\x05\x00\x01a\x00\x01", None, "MQTTException"),
    "suback_unsolicited_short": (CONNACK_OK + b"\x90\x02\x00\x01", None, "MQTTException"),
    "server_sends_connect": (CONNACK_OK + b"\x10\x02\x00\x00", None, "MQTTException"),
    # Announces more than max_packet (128 KiB by default).
    "publish_too_large": (CONNACK_OK + b"\x30\xff\xff\xff\x7f", None, "MQTTException"),
    "server_closes": (CONNACK_OK, None, "OSError"),
}


def read_packet(conn):
    """One MQTT packet (type byte, body) from a blocking socket, or None at EOF."""
    first = conn.recv(1)
    if not first:
        return None
    length, shift = 0, 0
    while True:
        b = conn.recv(1)
        if not b:
            return None
        length |= (b[0] & 0x7F) << shift
        shift += 7
        if not b[0] & 0x80:
            break
    body = b""
    while len(body) < length:
        chunk = conn.recv(length - len(body))
        if not chunk:
            return None
        body += chunk
    return first[0], body


class FakeBroker:
    def __init__(self, first_reply, publish_reply):
        self.first_reply = first_reply
        self.publish_reply = publish_reply
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((h.LOOPBACK, 0))
        self.server.listen(2)
        self.server.settimeout(20)
        self.port = self.server.getsockname()[1]
        self.second_packets = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        try:
            conn, _ = self.server.accept()
            with conn:
                conn.settimeout(10)
                read_packet(conn)                       # CONNECT
                if self.first_reply is not None:
                    conn.sendall(self.first_reply)
                if self.publish_reply is not None:
                    if read_packet(conn):
                        conn.sendall(self.publish_reply)
                        read_packet(conn)
                elif self.first_reply == b"":
                    read_packet(conn)                   # stall until the client gives up
            conn, _ = self.server.accept()
            with conn:
                conn.settimeout(10)
                self.second_packets.append(read_packet(conn))
                conn.sendall(CONNACK_OK)
                while True:
                    pkt = read_packet(conn)
                    if pkt is None:
                        break
                    self.second_packets.append(pkt)
                    if pkt[0] >> 4 == 3 and pkt[0] & 0x06:        # QoS 1 PUBLISH: PUBACK
                        topic_len = int.from_bytes(pkt[1][:2], "big")
                        pid = pkt[1][2 + topic_len:4 + topic_len]
                        conn.sendall(b"\x40\x02" + pid)
                    if pkt[0] == 0xE0:
                        break
        except OSError:
            pass
        finally:
            self.server.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_broker_raises_and_client_stays_usable(firmware, case):
    first, publish_reply, expected = CASES[case]
    fake = FakeBroker(first, publish_reply)
    result = h.run_mpy(firmware, HERE / "hostile_broker.py",
                       env={"FAKE_PORT": str(fake.port), "CASE": case}, timeout=30)
    fake.thread.join(10)
    out = result.stdout
    assert result.returncode == 0, result.describe()
    assert "RESULT " + expected in out, result.describe()
    assert "STA -1" in out or "STA 2" in out, result.describe()
    assert "RECONNECT 0" in out and "ALIVE" in out, result.describe()
    # The second connection carried CONNECT, the QoS 1 publish and DISCONNECT.
    kinds = [p[0] >> 4 for p in fake.second_packets if p]
    assert kinds == [1, 3, 14], fake.second_packets
    publish = fake.second_packets[1][1]
    assert publish.endswith(b"fine") and publish[2:2 + 4] == b"t/ok"
