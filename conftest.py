"""Shared by tests/ and bench/: the support modules, loaded once, and the C-objective fixtures.

pytest runs with --import-mode=importlib (the installed, compiled fastnewton is what is tested,
never src/), so neither tests/ nor bench/ is on sys.path. This file, the one conftest above
both, loads their helper modules by path, once, under fixed names in ``sys.modules``, before
any test or benchmark file is imported; those files then import them by name:

* ``_support`` (tests/_support.py): the C objectives and their loaders, the line-search
  objective family, ``Counted``;
* ``_tables`` (bench/_tables.py): the one table printer of the benchmark summaries;
* ``_gate`` (bench/_gate.py): the benchmark ratio gate (bench/conftest.py registers it as a
  plugin; tests/test_bench_gate.py tests it).

The fixtures compile each C file of tests/ once per session with the system C compiler;
without one they error (they do not skip).
"""
import importlib.util
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.abspath(__file__))


def _load(name, relpath):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, relpath))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


support = _load("_support", os.path.join("tests", "_support.py"))
_load("_tables", os.path.join("bench", "_tables.py"))
_load("_gate", os.path.join("bench", "_gate.py"))


@pytest.fixture(scope="session")
def cobj(tmp_path_factory):
    """tests/cobjectives.c compiled and loaded (a ``_support.CObjectives``)."""
    return support.build(tmp_path_factory.mktemp("cobjectives"))


@pytest.fixture(scope="session")
def lslib(tmp_path_factory):
    """tests/cobjectives_ls.c compiled and loaded (a ``_support.LSLib``)."""
    return support.build_ls(tmp_path_factory.mktemp("cobjectives_ls"))


@pytest.fixture(scope="session")
def cmin(tmp_path_factory):
    """tests/cobjectives_min.c compiled and loaded (a ``_support.MinCObjectives``)."""
    return support.build_min(tmp_path_factory.mktemp("cobjectives_min"))
