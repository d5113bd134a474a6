"""Shared by auth/conftest.py and test_auth.py (a uniquely named module:
``import conftest`` would be ambiguous with several conftest.py files)."""

import binascii
import json

# Accounts of cred_broker: ASCII, and UTF-8 in both name and password.
CRED_USERS = {"alice": "s3cret-Pass", "d\u00e9vice-\u00fc": "p\u00e4ssw\u00f6rd \u2713"}


def cred(v):
    """A credential for AUTH_SPEC: str -> {"str": v}, bytes -> {"bytes": hex}, None -> None."""
    if v is None:
        return None
    if isinstance(v, str):
        return {"str": v}
    return {"bytes": binascii.hexlify(v).decode()}


class AuthRun:
    def __init__(self, result, spec):
        self.result = result
        self.spec = spec
        self.results = []
        self.ctor = None
        for line in result.stdout.splitlines():
            if line.startswith("RESULT "):
                self.results.append(json.loads(line[7:]))
            elif line.startswith("CTOR "):
                self.ctor = json.loads(line[5:])

    def describe(self):
        return "spec: {}\n{}".format(json.dumps(self.spec), self.result.describe())
