"""Shared fixtures: the C test objectives of tests/cobjectives.c.

``cobj`` (session scope) compiles ``tests/cobjectives.c`` once with the system C compiler into a
temporary directory and returns a ``tests/_cbuild.CObjectives``: ``cobj.rosen()``,
``cobj.rosen(value_only=True)``, ``cobj.quadratic(A)``, ``cobj.counted_rosen()``,
``cobj.bad_signature()``, and ``cobj.lib`` for the raw ctypes functions. Without a C compiler
the fixture errors (it does not skip).
"""
import importlib.util
import os
import sys

import pytest


def _load_cbuild():
    # pytest runs with --import-mode=importlib, so tests/ is not on sys.path: load by file path.
    name = "_fastnewton_tests_cbuild"
    if name in sys.modules:
        return sys.modules[name]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_cbuild.py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_cbuild = _load_cbuild()


@pytest.fixture(scope="session")
def cbuild():
    """tests/_cbuild.py itself (compile_shared, _voidp, ...), for tests with C files of their
    own."""
    return _cbuild


@pytest.fixture(scope="session")
def cobj(tmp_path_factory):
    """The compiled C objectives (a ``CObjectives``), built once per session."""
    return _cbuild.build(tmp_path_factory.mktemp("cobjectives"))
