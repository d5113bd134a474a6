"""MQTT 5 helpers for tests_py/mqtt5 (CPython side).

- ``Paho5Peer``: the paho-mqtt 2.x peer of mqtt_harness, speaking MQTT 5;
  it records each message with its properties (``V5Message``) and publishes
  and subscribes with properties / subscription options.
- ``props_dict``: a paho ``Properties`` object as a plain dict of the
  properties a PUBLISH may carry (paho's names).
- ``publish_v5`` / ``connack_v5`` / ``disconnect_v5``: exact MQTT 5 packets
  for the scripted streams' expectations.

Facts about Mosquitto 2.0.11 these tests rely on (probed with raw sockets and
paho v5):
- CONNACK to a v5 client: ``20 09 00 00 06 22 00 0a 21 00 14``, i.e. the
  properties Topic Alias Maximum 10 and Receive Maximum 20 (the default
  ``max_inflight_messages``), nothing else; with an empty client id also
  Assigned Client Identifier ``auto-<UUID>``; with ``max_inflight_messages 2``
  Receive Maximum 2.
- A refused login (wrong password, unknown user, no user at all) gets CONNACK
  0x87 Not authorized, not 0x86.
- ``acl_file`` never refuses a SUBSCRIBE (SUBACK grants the QoS, the messages
  are just not delivered); a publish it denies gets PUBACK 0x87 (QoS 1) or
  PUBREC 0x87 (QoS 2). The dynamic security plugin refuses a SUBSCRIBE with
  SUBACK 0x87.
- QoS 2 PUBLISHes beyond its Receive Maximum get PUBREC 0x97 Quota exceeded
  (logged as ``rc151``); QoS 1 ones are accepted.
- A second connection with the same client id: the first is closed with no
  DISCONNECT packet (no 0x8E) in 2.0.11.
"""

import collections
import threading

import mqtt_harness as h

V5Message = collections.namedtuple("V5Message", "topic payload qos retain properties")

PUBLISH_PROPERTY_NAMES = ("PayloadFormatIndicator", "MessageExpiryInterval", "ContentType", "ResponseTopic",
                          "CorrelationData", "UserProperty", "SubscriptionIdentifier", "TopicAlias")


def props_dict(props):
    if props is None:
        return {}
    out = {}
    for name in PUBLISH_PROPERTY_NAMES:
        if hasattr(props, name):
            v = getattr(props, name)
            if name == "UserProperty":
                v = [tuple(x) for x in v]
            out[name] = v
    return out


class Paho5Peer(h.PahoPeer):
    """A PahoPeer speaking MQTT 5 (clean start, session expiry 0)."""

    def __init__(self, host, port, client_id=None, username=None, password=None, on_message=None):
        super().__init__(host, port, client_id=client_id, username=username, password=password,
                         on_message=on_message)
        mqtt = self._mqtt
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                                  protocol=mqtt.MQTTv5)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.v5_messages = []
        self.connack_properties = None

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.connack_properties = properties
        super()._on_connect(client, userdata, flags, reason_code, properties)

    def _on_message(self, client, userdata, msg):
        with self._cond:
            self.v5_messages.append(V5Message(msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain),
                                              props_dict(getattr(msg, "properties", None))))
        super()._on_message(client, userdata, msg)

    def subscribe_v5(self, topic, qos=1, timeout=10.0, **options):
        """subscribe with MQTT 5 options (noLocal, retainAsPublished, retainHandling)."""
        from paho.mqtt.subscribeoptions import SubscribeOptions
        rc, mid = self.client.subscribe(topic, options=SubscribeOptions(qos=qos, **options))
        assert rc == self._mqtt.MQTT_ERR_SUCCESS, rc
        assert self._wait(lambda: mid in self._subacks, timeout), "no SUBACK"
        return self._subacks[mid]

    def publish_props(self, topic, payload, qos=1, retain=False, timeout=10.0, **props):
        """Publish with PUBLISH properties given by paho name (UserProperty=[(k, v)], ContentType=...)."""
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties
        p = Properties(PacketTypes.PUBLISH)
        for k, v in props.items():
            setattr(p, k, v)
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=p)
        assert info.rc == self._mqtt.MQTT_ERR_SUCCESS, info.rc
        self.wait_published(info, timeout)
        return info

    def messages_v5(self, topic=None):
        with self._cond:
            return [m for m in self.v5_messages if topic is None or m.topic == topic]


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


_FIXED = {0x01: 1, 0x02: 4, 0x11: 4, 0x13: 2, 0x17: 1, 0x18: 4, 0x19: 1, 0x21: 2, 0x22: 2, 0x23: 2, 0x24: 1,
          0x25: 1, 0x27: 4, 0x28: 1, 0x29: 1, 0x2A: 1}
_STRINGS = {0x03, 0x08, 0x09, 0x12, 0x15, 0x16, 0x1A, 0x1C, 0x1F}


def parse_properties(data):
    """MQTT 5 property bytes -> list of (id, value bytes); user properties as (0x26, (k, v))."""
    out, i = [], 0
    while i < len(data):
        pid = data[i]
        i += 1
        if pid in _FIXED:
            out.append((pid, bytes(data[i:i + _FIXED[pid]])))
            i += _FIXED[pid]
        elif pid in _STRINGS:
            n = int.from_bytes(data[i:i + 2], "big")
            out.append((pid, bytes(data[i + 2:i + 2 + n])))
            i += 2 + n
        elif pid == 0x26:
            n = int.from_bytes(data[i:i + 2], "big")
            k = bytes(data[i + 2:i + 2 + n])
            i += 2 + n
            m = int.from_bytes(data[i:i + 2], "big")
            out.append((pid, (k, bytes(data[i + 2:i + 2 + m]))))
            i += 2 + m
        elif pid == 0x0B:
            v, shift = 0, 0
            while True:
                b = data[i]
                i += 1
                v |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
            out.append((pid, v))
        else:
            raise ValueError("unknown property 0x{:02x} in {}".format(pid, bytes(data).hex()))
    return out
