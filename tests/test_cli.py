"""The command line, run as a newcomer runs it: ``python -m fastnewton ...`` in a subprocess.

The demo runs from the repository root (the folder holding pyproject.toml), where a package
folder beside the tests must not shadow the installed, compiled package (the src layout).
"""
import os
import subprocess
import sys

import pytest

import fastnewton.__main__ as fastnewton_main

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ("newton", "bfgs", "lbfgs", "sr1")


def _run(*args, cwd):
    proc = subprocess.run([sys.executable, "-m", "fastnewton", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    return proc, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"


def test_repo_root_is_found():
    assert os.path.isfile(os.path.join(REPO_ROOT, "pyproject.toml"))


def test_demo_from_the_repository_root():
    proc, detail = _run("demo", "--method", "all", "--repeat", "1", cwd=REPO_ROOT)
    assert proc.returncode == 0, detail
    for method in METHODS:
        assert f"fastnewton {method} vs SciPy" in proc.stdout, detail
    # SciPy's counterparts are named in the tables too
    for label in ("scipy trust-exact", "scipy BFGS", "scipy L-BFGS-B", "scipy trust-constr SR1"):
        assert label in proc.stdout, detail
    # every fastnewton row solved its problem
    assert not [line for line in proc.stdout.splitlines()
                if "fastnewton " in line and line.endswith("(failed)")], detail


def test_default_demo_is_newton(tmp_path):
    proc, detail = _run("demo", "--repeat", "1", cwd=tmp_path)
    assert proc.returncode == 0, detail
    assert "fastnewton newton vs SciPy" in proc.stdout, detail
    assert "fastnewton bfgs" not in proc.stdout, detail
    # the large-n row: sparse Newton, Newton-CG and L-BFGS-B reach the same gtol
    assert "Large n: minimal surface" in proc.stdout, detail
    for label in ("fastnewton newton (sparse)", "fastnewton newton-cg", "scipy L-BFGS-B"):
        assert label in proc.stdout, detail


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_exits_zero(tmp_path, flag):
    proc, detail = _run(flag, cwd=tmp_path)
    assert proc.returncode == 0, detail
    assert proc.stdout.startswith("usage: python -m fastnewton"), detail
    assert "demo" in proc.stdout and "selfcheck" in proc.stdout, detail


def test_selfcheck_help_prints_help_without_running_checks(tmp_path):
    proc, detail = _run("selfcheck", "--help", cwd=tmp_path)
    assert proc.returncode == 0, detail
    assert proc.stdout.startswith("usage: python -m fastnewton selfcheck"), detail
    assert "selfcheck passed" not in proc.stdout and "ok  " not in proc.stdout, detail


def test_selfcheck_passes_and_covers_every_compiled_module(tmp_path):
    proc, detail = _run("selfcheck", cwd=tmp_path)
    assert proc.returncode == 0, detail
    lines = proc.stdout.splitlines()
    assert lines[-1] == "selfcheck passed", detail
    assert not [line for line in lines if line.startswith("FAIL")], detail
    for module in fastnewton_main.COMPILED:
        assert any(line.startswith("ok") and f"fastnewton.{module} is compiled" in line
                   for line in lines), detail
    for method in METHODS:
        assert any(line.startswith("ok") and f"minimize(method={method!r})" in line
                   for line in lines), detail
    for name in ("cho_solve_inplace", "modified_cholesky", "gradient", "hessian",
                 "line_search", "minimize(LowLevelCallable)"):
        assert any(line.startswith("ok") and name in line for line in lines), detail


def test_selfcheck_reports_a_failing_check(monkeypatch, capsys):
    """A check that is wrong makes selfcheck count a failure (exit status 1 from main)."""
    import fastnewton.__main__ as cli
    monkeypatch.setattr(cli, "_check_gradient", lambda: (False, "forced failure"))
    assert cli.main(["selfcheck"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  gradient" in out and "selfcheck FAILED: gradient" in out


@pytest.mark.parametrize("args", [["bogus"], [], ["demo", "--method", "nelder-mead"],
                                  ["demo", "--repeat", "0"]])
def test_bad_command_line_is_a_usage_error(tmp_path, args):
    proc, detail = _run(*args, cwd=tmp_path)
    assert proc.returncode == 2, detail
    assert "usage: python -m fastnewton" in proc.stderr, detail
