# umqtt.simple 1.1 behind QuecPython's MQTTClient constructor, so that the
# seed application note's example (examples/seed_demo.py) runs on it with one
# changed line, the import (for bench/run.py's smallest-heap comparison).
# umqtt.simple 1.1 has no user/password/keepalive/reconn: they are dropped.
from usimple11.simple import MQTTClient as _Simple


class MQTTClient(_Simple):
    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0, ssl=False,
                 ssl_params=None, reconn=True):
        _Simple.__init__(self, client_id, server, port, ssl)
