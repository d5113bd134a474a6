"""The on-target suite's marker: ``-m "not target"`` leaves out the runs under
qemu-system-arm (on a machine without the ARM toolchain or qemu)."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "target: runs on an emulated ARM board under qemu-system-arm (deselect with -m 'not target')")
