# Wrong keywords and wrong ssl_params keys are named in the error; a file
# name where certificate data belongs is told apart from PEM data.
from face_common import describe, face_class

def case(name, f):
    try:
        f()
        print(name, "NO ERROR")
    except Exception as e:
        print(name, type(e).__name__, str(e))

for face in ("quecpython", "simple", "robust"):
    C = face_class(face)
    case(face + " ctor", lambda: C("c", "h", keepalvie=30))
    c = C("c", "h")
    case(face + " connect", lambda: c.connect(clean_sesion=False))
    case(face + " publish", lambda: c.publish("t", "m", qso=1))
case("cafile", lambda: face_class()("c", "h", ssl=True, ssl_params={"cafile": "/etc/ca.crt"}))
case("ca path", lambda: face_class()("c", "h", ssl=True, ssl_params={"ca": "/path/ca.crt"}))
case("ca pem", lambda: face_class()("c", "h", ssl=True, ssl_params={"ca": "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"}))
case("ca der", lambda: face_class()("c", "h", ssl=True, ssl_params={"cadata": b"\x30\x82\x01\x00"}))
case("server_side", lambda: face_class()("c", "h", ssl=True, ssl_params={"server_side": True}))
case("ipvtype", lambda: face_class()("c", "h", ipvtype=2))
import umqtt
print("VERSION", type(umqtt.__version__).__name__, umqtt.__version__.count(".") == 2)
