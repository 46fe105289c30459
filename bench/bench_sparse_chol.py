"""Sparse Cholesky: fastnewton's nested dissection + multifrontal factorization beside SciPy's
SuperLU in symmetric mode (``splu``, MMD on A^T + A, no pivoting), on the minimal-surface
Hessian pattern (7 points per row, an m x m grid) with SPD values.

``test_sparse_factor`` times the numeric factorization alone, with the ordering and symbolic
analysis done once beforehand (what a Newton solve repeats each iteration); SuperLU has no
separate refactorization in SciPy, so its side is a full ``splu``. ``test_sparse_analyse_and
_factor`` times fastnewton's whole public call (validation, ordering, symbolic analysis,
factorization). nnz(L) of both sides is stored in ``extra_info`` and printed at the end.

n = 10^4 and 10^5 by default; n = 10^6 only with FASTNEWTON_BENCH_LARGE=1 (SuperLU takes
~20 s per factorization there). Run with ``--benchmark-group-by=param`` (see conftest.py).
"""
import os

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from fastnewton import _sparse_chol
from fastnewton._colouring import _pattern
from fastnewton.linalg import sparse_modified_cholesky
from fastnewton.testing import minimal_surface

# grid side -> timed rounds
ROUNDS = {100: 20, 316: 5}
if os.environ.get("FASTNEWTON_BENCH_LARGE") == "1":
    ROUNDS[1000] = 2
_nnz = {}


def _problem(m):
    """The minimal-surface pattern with SPD values: -1 off the diagonal, degree + 0.1 on it."""
    ip, ix = _pattern(minimal_surface(m, m).sparsity)
    n = ip.shape[0] - 1
    rows = np.repeat(np.arange(n), np.diff(ip))
    hval = np.where(rows == ix, np.diff(ip)[rows] - 0.9, -1.0)
    A = sp.csr_matrix((hval, ix, ip), shape=(n, n))
    return ip, ix, hval, A


def _superlu(Acsc):
    return spla.splu(Acsc, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                     options={"SymmetricMode": True})


def _check_solutions(A, solve_ours, lu):
    b = np.ones(A.shape[0])
    x, y = solve_ours(b), lu.solve(b)
    assert np.linalg.norm(A @ x - b) <= 1e-12 * sp.linalg.norm(A) * np.linalg.norm(x)
    assert np.linalg.norm(x - y) <= 1e-8 * np.linalg.norm(y)


@pytest.mark.parametrize("m", sorted(ROUNDS))
def test_sparse_factor(ours_vs_scipy, benchmark, register_summary, m):
    ip, ix, hval, A = _problem(m)
    plan = _sparse_chol.analyse(ip, ix)
    work = np.empty(plan.factor_size)
    scratch = np.empty(plan.solve_scratch)
    Acsc = A.tocsc()

    def ours():
        assert _sparse_chol._factor(plan, hval, 0.0, work) == 0
        return work

    def solve(b):
        x = b.copy()
        _sparse_chol._solve(plan, work, x, scratch)
        return x

    def check(_, lu):
        _check_solutions(A, solve, lu)
        benchmark.extra_info["nnz_L_fastnewton"] = int(plan.nnz_l)
        benchmark.extra_info["nnz_L_superlu"] = int(lu.L.nnz)
        _nnz[A.shape[0]] = (int(plan.nnz_l), int(lu.L.nnz), plan.flops)

    register_summary("fastnewton-sparse-chol", _Summary)
    ours_vs_scipy(fastnewton=ours, scipy=lambda: _superlu(Acsc), setup=tuple,
                  rounds=ROUNDS[m], check=check)


@pytest.mark.parametrize("m", sorted(ROUNDS))
def test_sparse_analyse_and_factor(ours_vs_scipy, m):
    _, _, _, A = _problem(m)
    Acsc = A.tocsc()

    def check(f, lu):
        assert f.tau == 0.0
        _check_solutions(A, f.solve, lu)

    ours_vs_scipy(fastnewton=lambda: sparse_modified_cholesky(A),
                  scipy=lambda: _superlu(Acsc), setup=tuple, rounds=max(2, ROUNDS[m] // 2),
                  check=check)


class _Summary:
    @staticmethod
    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(terminalreporter):
        if not _nnz:
            return
        terminalreporter.write_line("")
        terminalreporter.write_line("sparse Cholesky, minimal-surface pattern: nnz(L)")
        terminalreporter.write_line(f"{'n':>10} {'fastnewton':>12} {'SuperLU':>12} "
                                    f"{'ratio':>7} {'GFlop':>7}")
        for n, (ours, theirs, flops) in sorted(_nnz.items()):
            terminalreporter.write_line(f"{n:>10} {ours:>12} {theirs:>12} "
                                        f"{ours / theirs:>7.3f} {flops / 1e9:>7.2f}")
