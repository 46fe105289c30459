"""Finite-difference Hessian from gradients: fastnewton.hessian beside SciPy's
``approx_derivative(grad, x, method='3-point')`` -- both central differences, 2n gradient
evaluations plus one at x.

Two groups, each over n in (10, 100, 500):

``test_fd_hessian_python``
    Python gradients: SciPy's ``rosen_der`` (chained Rosenbrock; costly per call, so both
    sides are dominated by it) and the extended Rosenbrock gradient of
    ``fastnewton.testing`` (cheap per call, so the per-evaluation overhead of each side
    shows): ``fastnewton.hessian(f, x, jac=grad)`` vs ``approx_derivative(grad, x)``.
``test_fd_hessian_c``
    The same objective (and a dense quadratic, whose gradient costs O(n^2)) compiled from
    tests/cobjectives.c. ``impl`` is
      * ``fastnewton``: ``fastnewton.hessian`` on the ``scipy.LowLevelCallable``;
      * ``scipy``: ``approx_derivative`` on a Python function calling the C gradient via ctypes;
      * ``c-floor``: the C function ``fd_hessian_floor`` -- the 2n + 1 gradient calls of the
        Hessian and nothing else, in one ctypes call. ``fastnewton / c-floor`` is the cost of
        everything fastnewton adds (validation, allocation, differences, symmetrization).
    Each round computes ``REPS[n]`` Hessians (a Python loop for fastnewton and scipy, a C loop
    for the floor), so the ctypes call overhead of the floor is amortized: compare per round.
    The hessian / floor ratios are printed at the end of this module's run.

Run with ``--benchmark-group-by=param`` (see conftest.py).
"""
import ctypes

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der
from scipy.optimize._numdiff import approx_derivative

from _tables import write_table

import fastnewton
import fastnewton.testing

SIZES = (10, 100, 500)
# Rounds per size: a stable median with the whole file well under 90 s.
ROUNDS_PY = {10: 100, 100: 20, 500: 6}
ROUNDS_C = {("rosen", 10): 60, ("rosen", 100): 30, ("rosen", 500): 15,
            ("quadratic", 10): 60, ("quadratic", 100): 10, ("quadratic", 500): 3}
REPS = {10: 100, 100: 5, 500: 1}     # Hessians per round in test_fd_hessian_c


def _point(n):
    return np.random.default_rng(n).uniform(-2.0, 2.0, n)


def _check(ours, theirs):
    """Same Hessian up to the (rounding-dominated) error of central differences."""
    assert np.array_equal(ours, ours.T)
    assert np.abs(ours - theirs).max() <= 1e-6 * np.abs(theirs).max()


def _gradient(name, n):
    """(f, grad): SciPy's chained Rosenbrock (rosen_der: ~20 us per call at n = 10, many small
    NumPy operations), or the extended Rosenbrock of fastnewton.testing (a few us)."""
    if name == "rosen_der":
        return rosen, rosen_der
    p = fastnewton.testing.get("extended_rosenbrock", n)
    return p.fun, p.grad


@pytest.mark.parametrize("grad", ["rosen_der", "ext_rosen"])
@pytest.mark.parametrize("n", SIZES)
def test_fd_hessian_python(ours_vs_scipy, n, grad):
    x = _point(n)
    f, g = _gradient(grad, n)
    ours_vs_scipy(
        fastnewton=lambda x: fastnewton.hessian(f, x, jac=g),
        scipy=lambda x: approx_derivative(g, x, method="3-point"),
        setup=lambda: (x,),
        rounds=ROUNDS_PY[n],
        check=_check,
    )


# -- C objectives ---------------------------------------------------------------------------

_per_hessian = {}      # (objective, n) -> {impl: (median, min) seconds per Hessian}


class _FloorRatios:
    """Plugin registered by the fixture below: prints fastnewton / c-floor after the tables.

    Both the median ratio and the min ratio are shown: on a loaded machine the minimum is the
    steadier estimate of what each side costs by itself."""

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter):
        rows = [(k, v) for k, v in sorted(_per_hessian.items())
                if {"fastnewton", "c-floor"} <= set(v)]
        if not rows:
            return
        def us(seconds):
            return f"{seconds * 1e6:.1f}us"

        table = []
        for (objective, n), t in rows:
            ours, floor = t["fastnewton"], t["c-floor"]
            table.append((objective, n, ours[0], floor[0], ours[0] / floor[0],
                          ours[1] / floor[1], t.get("paired"),
                          t["scipy"][0] / ours[0] if "scipy" in t else None))
        write_table(
            terminalreporter, "fd Hessian, C objective: time per Hessian, fastnewton / raw-C "
                              "floor (target <= 1.2)",
            ("objective", "n", "fastnewton med", "c-floor med", "ratio med", "ratio min",
             "paired", "scipy/fastnewton med"),
            table, formats=(None, "d", us, us, ".2f", ".2f", ".2f", ".1f"),
            notes_before=["paired: the median ratio of back-to-back runs (bench/conftest.py "
                          "paired_ratio), the steadier figure on a busy machine"])


@pytest.fixture(scope="module", autouse=True)
def _floor_ratio_summary(register_summary):
    register_summary("fastnewton-bench-fdiff-floor-ratios", _FloorRatios())


def _c_case(cobj, objective, n):
    """(LowLevelCallable, Python gradient through ctypes, floor-runner factory)."""
    p_double = ctypes.POINTER(ctypes.c_double)
    if objective == "rosen":
        fun, name, user_data = cobj.rosen(), "rosen_fg", None
    else:
        rng = np.random.default_rng(n)
        m = rng.standard_normal((n, n))
        fun = cobj.quadratic(m @ m.T / n + np.eye(n))
        name, user_data = "quad_fg", fun.user_data
    cfun = getattr(cobj.lib, name)

    def grad(x):
        g = np.empty(n)
        cfun(n, x.ctypes.data_as(p_double), g.ctypes.data_as(p_double), user_data)
        return g

    def floor(x, reps):
        return cobj.hessian_floor(x, name=name, user_data=user_data, reps=reps)

    return fun, grad, floor


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("objective", ["rosen", "quadratic"])
@pytest.mark.parametrize("impl", ["fastnewton", "scipy", "c-floor"])
def test_fd_hessian_c(benchmark, cobj, paired, impl, objective, n):
    x = _point(n)
    reps = REPS[n]
    fun, grad, floor = _c_case(cobj, objective, n)
    if impl == "fastnewton":
        def target():
            for _ in range(reps):
                h = fastnewton.hessian(fun, x)
            return h
    elif impl == "scipy":
        def target():
            for _ in range(reps):
                h = approx_derivative(grad, x, method="3-point")
            return h
    else:
        target = floor(x, reps)
    benchmark.extra_info.update(impl=impl, hessians_per_round=reps)
    result = benchmark.pedantic(target, rounds=ROUNDS_C[objective, n], iterations=1,
                                warmup_rounds=1)
    if impl == "fastnewton":
        _check(result, approx_derivative(grad, x, method="3-point"))
    stats = getattr(getattr(benchmark, "stats", None), "stats", None)
    if stats is not None:
        _per_hessian.setdefault((objective, n), {})[impl] = (stats.median / reps,
                                                             stats.min / reps)
        if impl == "fastnewton":    # and, timed back to back with the floor: see paired_ratio
            r = paired(target, floor(x, reps))
            benchmark.extra_info["paired_ratio_to_floor"] = r
            _per_hessian[objective, n]["paired"] = r
