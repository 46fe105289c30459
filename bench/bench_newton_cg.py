"""Newton-CG (issue 13 item 4): fastnewton.minimize(method='newton-cg') beside SciPy's
newton-cg, same problems, same start, same analytic Python gradient.

Both sides take their Hessian-vector products by forward differences of that gradient, one
gradient per product: fastnewton by default, SciPy with ``hess='2-point'`` (which its newton-cg
serves as a LinearOperator, one gradient per CG iteration; no matrix is formed on either
side). fastnewton stops at max|g_i| <= 1e-5; SciPy has no gradient test (it stops when the
mean |step| is below its xtol, 1e-5), so its answer may be more or less accurate: its
max|g| is recorded (``extra_info['scipy_max_abs_grad']``), and only fastnewton's answer is
asserted. Problems (fastnewton.testing, vectorized): extended Rosenbrock (MGH #21) and Broyden
tridiagonal (MGH #30), n = 10 ... 10^6.

``test_newton_cg[problem, n]``   Target: fastnewton faster at every n.

Rounds: as many as fit in BUDGET seconds, at least 3; n = 10^6 takes 1 round, no warm-up.
Run with ``--benchmark-group-by=param`` (see conftest.py).
"""
import time
import warnings

import numpy as np
import pytest
import scipy.optimize

import fastnewton
from fastnewton import testing as _problems

GTOL = 1e-5
BUDGET = 2.0
SIZES = (10, 100, 1000, 10 ** 4, 10 ** 5, 10 ** 6)


def _ours(prob):
    def solve(x0):
        return fastnewton.minimize(prob.fun, x0, jac=prob.grad, method="newton-cg",
                                   options={"gtol": GTOL})
    return solve


def _scipy(prob):
    def solve(x0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return scipy.optimize.minimize(prob.fun, x0, jac=prob.grad, hess="2-point",
                                           method="newton-cg")
    return solve


def _rounds(benchmark, solve, x0, n):
    if benchmark.disabled or n >= 10 ** 6:
        return 1, 0
    t0 = time.perf_counter()
    solve(x0.copy())
    t = time.perf_counter() - t0
    return max(3, min(200, int(BUDGET / max(t, 1e-9)))), 0


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("problem", ["extended_rosenbrock", "broyden_tridiagonal"])
def test_newton_cg(ours_vs_scipy, benchmark, impl, problem, n):
    prob = _problems.get(problem, n)
    sides = {"fastnewton": _ours(prob), "scipy": _scipy(prob)}
    rounds, warmup = _rounds(benchmark, sides[impl], prob.x0, n)

    def check(ours, theirs):
        go = float(np.max(np.abs(prob.grad(ours.x))))
        assert ours.status == 0 and go <= GTOL, (ours.status, go)
        benchmark.extra_info.update(
            fastnewton_nit=int(ours.nit), fastnewton_njev=int(ours.njev),
            fastnewton_ncg=int(ours.ncg), fastnewton_max_abs_grad=go,
            scipy_nit=int(theirs.nit), scipy_njev=int(theirs.njev),
            scipy_nhev=int(theirs.get("nhev", 0)),
            scipy_max_abs_grad=float(np.max(np.abs(prob.grad(theirs.x)))))

    benchmark.extra_info.update(n=n, problem=problem, gtol=GTOL, rounds=rounds,
                                scipy_method="newton-cg, hess='2-point'")
    ours_vs_scipy(fastnewton=sides["fastnewton"], scipy=sides["scipy"],
                  setup=lambda: (prob.x0.copy(),), rounds=rounds, warmup_rounds=warmup,
                  check=check)
