"""The type stubs in stubs/umqtt (what editors and type checkers see) are
valid under ``mypy --strict``, accept what scripts for each face do and
reject misuse, and declare exactly the public names the firmware has: for
each face, the names in ``dir(module)`` and ``dir(MQTTClient(...))`` on the
firmware against the names the .pyi declares (read with ``ast``; dunder and
private ``_`` names ignored on both sides, inherited names followed through
the stub's base classes). A name in one and not the other fails, listing
the names."""

import ast
import json
import os
import re
import subprocess
import sys

import pytest

import mqtt_harness as h

STUBS = h.REPO / "stubs"
HERE = h.TESTS_DIR / "api"
FACES = {"umqtt": "__init__.pyi", "umqtt.simple": "simple.pyi", "umqtt.robust": "robust.pyi"}


def mypy(*args, mypypath=None):
    try:
        import mypy  # noqa: F401
    except ImportError:
        pytest.fail("mypy is not installed: python3 -m pip install mypy", pytrace=False)
    env = dict(os.environ)
    if mypypath:
        env["MYPYPATH"] = str(mypypath)
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--no-error-summary",
                           "--hide-error-context", *[str(a) for a in args]],
                          capture_output=True, text=True, timeout=300, cwd=str(h.REPO), env=env)


@pytest.mark.umqtt_timeout(300)
def test_stubs_pass_mypy_strict():
    r = mypy(STUBS)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.umqtt_timeout(300)
def test_scripts_for_each_face_type_check():
    r = mypy(HERE / "stub_usage.py", mypypath=STUBS)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.umqtt_timeout(300)
def test_misuse_is_reported():
    src = (HERE / "stub_misuse.py").read_text().splitlines()
    expected = {i + 1 for i, line in enumerate(src) if line.rstrip().split("#")[-1].strip().startswith("E:")}
    r = mypy(HERE / "stub_misuse.py", mypypath=STUBS)
    reported = {int(m.group(1)) for m in re.finditer(r"stub_misuse\.py:(\d+): error:", r.stdout)}
    assert expected and reported == expected, "lines expected to fail {}, mypy reported {}:\n{}".format(
        sorted(expected), sorted(reported), r.stdout + r.stderr)


# ---------------------------------------------------------------------------
# Stub names (ast) against dir() on the firmware


def public(name):
    return not name.startswith("_")


def _targets(node):
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        # Only the explicit re-export form ``import x as x`` / ``from m import x as x``
        # makes a stub name public (PEP 484).
        return [a.asname for a in node.names if a.asname is not None and a.asname == a.name.split(".")[-1]]
    return []


def _parse(face):
    return ast.parse((STUBS / "umqtt" / FACES[face]).read_text())


def stub_module_names(face):
    return {n for node in _parse(face).body for n in _targets(node) if public(n)}


def _class_node(face, name):
    for node in _parse(face).body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    return None


def _resolve_base(face, base):
    """A base-class expression in ``face``'s stub -> (face, class name) in the stubs, or None."""
    if isinstance(base, ast.Name):
        if _class_node(face, base.id) is not None:
            return face, base.id
        for node in _parse(face).body:
            if isinstance(node, ast.ImportFrom):
                for a in node.names:
                    if (a.asname or a.name) == base.id:
                        mod = node.module if node.level == 0 else "umqtt"
                        return (mod, a.name) if mod in FACES else None
        return None
    if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
        # simple.MQTTClient where ``simple`` was imported from umqtt
        mod = "umqtt." + base.value.id if "umqtt." + base.value.id in FACES else base.value.id
        return (mod, base.attr) if mod in FACES else None
    return None


def stub_class_names(face, cls="MQTTClient"):
    node = _class_node(face, cls)
    assert node is not None, "{} declares no class {}".format(FACES[face], cls)
    names = {n for item in node.body for n in _targets(item) if public(n)}
    for base in node.bases:
        resolved = _resolve_base(face, base)
        if resolved is not None:
            names |= stub_class_names(*resolved)
    return names


@pytest.fixture(scope="module")
def firmware_dirs(firmware):
    r = h.run_mpy(firmware, HERE / "dir_faces.py", timeout=30, cwd=str(HERE))
    lines = [l for l in r.stdout.splitlines() if l.startswith("DIR ")]
    assert r.returncode == 0 and len(lines) == 1, "dir_faces.py failed:\n{}\n{}".format(r.stdout, r.stderr)
    return json.loads(lines[0][4:])


def compare(kind, face, declared, present):
    missing_in_stub = sorted(present - declared)
    missing_on_firmware = sorted(declared - present)
    assert not missing_in_stub and not missing_on_firmware, (
        "{} of {}: on the firmware but not in stubs/umqtt/{}: {}; in the stub but not on the firmware: {}".format(
            kind, face, FACES[face], missing_in_stub, missing_on_firmware))


@pytest.mark.parametrize("face", sorted(FACES))
def test_module_names_match_stub(firmware_dirs, face):
    present = {n for n in firmware_dirs["modules"][face] if public(n)}
    compare("dir(module)", face, stub_module_names(face), present)


@pytest.mark.parametrize("face", sorted(FACES))
def test_instance_names_match_stub(firmware_dirs, face):
    present = {n for n in firmware_dirs["instances"][face] if public(n)}
    compare("dir(MQTTClient(...))", face, stub_class_names(face), present)


def test_version_is_a_str_and_declared(firmware_dirs):
    # __version__ is a dunder (ignored above), so it is checked here.
    assert isinstance(firmware_dirs["version"], str) and re.match(r"^\d+\.\d+\.\d+", firmware_dirs["version"]), (
        firmware_dirs["version"])
    assert any(isinstance(n, ast.AnnAssign) and getattr(n.target, "id", None) == "__version__"
               for n in _parse("umqtt").body)
