"""The installed package runs compiled kernels, not Python fallbacks or stale sources.

Kernel modules are found two ways: every ``_*.pyx`` next to the imported package (present in
a source checkout and an editable install; the wheel ships them too), plus a hard-coded list
that guards against a packaging change dropping the ``.pyx`` files.
"""
import glob
import importlib
import importlib.machinery
import os
import subprocess
import sys

import pytest

import fastnewton

PKG_DIR = os.path.dirname(fastnewton.__file__)
KNOWN_KERNELS = ["_linalg"]


def _kernel_modules():
    found = {os.path.splitext(os.path.basename(p))[0]
             for p in glob.glob(os.path.join(PKG_DIR, "_*.pyx"))}
    return sorted(found.union(KNOWN_KERNELS))


def test_kernel_list_includes_linalg():
    assert "_linalg" in _kernel_modules()


@pytest.mark.parametrize("name", _kernel_modules())
def test_kernel_module_is_compiled_extension(name):
    fullname = f"fastnewton.{name}"
    try:
        mod = importlib.import_module(fullname)
    except ImportError as exc:
        pytest.fail(f"{fullname} is not importable (was it built? `pip install -e .`): {exc}")
    loader = getattr(mod.__spec__, "loader", None)
    assert isinstance(loader, importlib.machinery.ExtensionFileLoader), (
        f"{fullname} is loaded by {type(loader).__name__}, not ExtensionFileLoader: "
        f"it is not a compiled extension ({mod.__file__})")
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    assert mod.__file__.endswith(suffixes), (
        f"{fullname} comes from {mod.__file__}, whose suffix is none of {suffixes}")


def test_selfcheck_command(tmp_path):
    # Run from an empty directory so that no source folder beside the tests shadows the
    # installed package.
    proc = subprocess.run(
        [sys.executable, "-m", "fastnewton", "selfcheck"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    detail = f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 0, detail
    assert "selfcheck passed" in proc.stdout, detail
