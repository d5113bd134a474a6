# connect() returns the session-present flag: False for a new session, True
# when the broker kept one (second clean_session=False connect), False after
# a clean_session=True connect.
from diffimpl import CLIENT_ID, HOST, PORT, kind, out, simple

for n, clean in ((1, False), (2, False), (3, True)):
    c = simple.MQTTClient(CLIENT_ID, HOST, PORT)
    r = c.connect(clean_session=clean)
    out("connect{}_clean{}".format(n, clean), kind(r))
    out("connect{}_truth".format(n), bool(r))
    c.disconnect()
