"""The installed package runs compiled kernels, not Python fallbacks or stale sources.

Kernel modules are found two ways: every ``_*.pxd`` next to the imported package (each kernel
declares its C functions in one, and the wheel ships them for Cython users), plus a
hard-coded list that guards against a packaging change dropping the ``.pxd`` files. (That the
wheel ships no ``.pyx`` sources or generated C is checked on the wheel itself, in .ci/run.)
The ``selfcheck`` command is tested in test_cli.py.
"""
import glob
import importlib
import importlib.machinery
import os

import pytest

import fastnewton

PKG_DIR = os.path.dirname(fastnewton.__file__)
from fastnewton.__main__ import KERNELS as KNOWN_KERNELS, COMPILED   # the one list of them


def _kernel_modules():
    found = {os.path.splitext(os.path.basename(p))[0]
             for p in glob.glob(os.path.join(PKG_DIR, "_*.pxd"))}
    return sorted(found.union(COMPILED))


def test_installed_package_ships_declarations():
    """Each kernel's .pxd and fastnewton.h, in the folder get_include() names, for cimport."""
    names = set(os.listdir(PKG_DIR))
    for kernel in KNOWN_KERNELS:
        assert f"{kernel}.pxd" in names
    assert "fastnewton.h" in names
    assert fastnewton.get_include() == PKG_DIR


@pytest.mark.parametrize("name", _kernel_modules())
def test_kernel_module_is_compiled_extension(name):
    fullname = f"fastnewton.{name}"
    try:
        mod = importlib.import_module(fullname)
    except ImportError as exc:
        pytest.fail(f"{fullname} is not importable (was it built? `pip install .`): {exc}")
    loader = getattr(mod.__spec__, "loader", None)
    assert isinstance(loader, importlib.machinery.ExtensionFileLoader), (
        f"{fullname} is loaded by {type(loader).__name__}, not ExtensionFileLoader: "
        f"it is not a compiled extension ({mod.__file__})")
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    assert mod.__file__.endswith(suffixes), (
        f"{fullname} comes from {mod.__file__}, whose suffix is none of {suffixes}")
