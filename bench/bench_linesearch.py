"""Strong-Wolfe line search: fastnewton.line_search beside scipy.optimize.line_search, on the
same functions, points and directions.

Three groups:

``test_search_python[problem]``
    One search per round with Python callables at n = 10 (Rosenbrock from a random point
    along -g, a dense quadratic along -g and along the Newton direction, a sum of
    exponentials, a trigonometric function). Target: fastnewton at most 0.5x SciPy's time.
``test_eval_counts[suite]``
    A fixed suite of 30 (problem, point, direction) searches per round. The timing is the
    suite's; the point is the evaluation count fc + gc of each search, deterministic: totals
    and medians of both sides go to ``extra_info`` and the summary, and the benchmark asserts
    that fastnewton's median is at most SciPy's.
``test_search_c[n]``
    A C objective (``family_fg`` of tests/cobjectives_ls.c, a trigonometric sum) at several n,
    gfk and old_fval given as inside a solver. ``impl`` is
      * ``fastnewton``: ``fastnewton.line_search`` on the ``scipy.LowLevelCallable``;
      * ``scipy``: ``scipy.optimize.line_search`` on Python functions calling the C function
        through ctypes;
      * ``c-floor``: ``ls_eval_floor`` -- the k value-and-gradient calls this search makes
        (k and the trial steps taken from fastnewton's own run of the same search, in this
        run), and nothing else, in one ctypes call. fastnewton / c-floor is the cost of
        everything the search adds (validation, allocation, the Python layer); target <= 1.2.

Run with ``--benchmark-group-by=param`` (see conftest.py).
The fastnewton / c-floor ratios and the evaluation counts are printed after the tables.
"""
import ctypes
import os
import warnings

import numpy as np
import pytest
import scipy.optimize
from scipy import LowLevelCallable
from scipy.optimize import rosen, rosen_der

import fastnewton

try:
    from scipy.optimize._linesearch import LineSearchWarning
except ImportError:  # pragma: no cover
    from fastnewton._linesearch import LineSearchWarning

HERE = os.path.dirname(os.path.abspath(__file__))
LS_SOURCE = os.path.join(os.path.dirname(HERE), "tests", "cobjectives_ls.c")
_P_DOUBLE = ctypes.POINTER(ctypes.c_double)

ROUNDS_PY = 3000                         # one search per round, ~30-400 us each
ROUNDS_SUITE = 40                        # 30 searches per round
C_SIZES = (1000, 10_000, 100_000)
ROUNDS_C = {1000: 2000, 10_000: 300, 100_000: 40}


# -- problems (Python) ------------------------------------------------------------------------

class _Family:
    """f = sum d x^2 / 2 + b x + q x^4 + s sin(k x) + sum_j w_j exp(c_j . x), as family_fg."""

    def __init__(self, n, rng, kind):
        z = np.zeros(n)
        self.d, self.b, self.q, self.s, self.k = z, z, z, z, z
        self.w, self.C = np.zeros(0), np.zeros((0, n))
        if kind == "quartic":
            self.d, self.b = rng.uniform(-2.0, 2.0, n), rng.standard_normal(n)
            self.q = rng.uniform(0.05, 1.0, n)
        elif kind == "exp":
            self.d, self.b = rng.uniform(0.0, 0.5, n), 0.1 * rng.standard_normal(n)
            self.w, self.C = rng.uniform(0.5, 2.0, 3), rng.standard_normal((3, n)) / np.sqrt(n)
        elif kind == "trig":
            self.d, self.b = rng.uniform(0.05, 0.5, n), 0.1 * rng.standard_normal(n)
            self.s, self.k = rng.uniform(0.5, 2.0, n), rng.uniform(0.5, 3.0, n)
        else:
            raise ValueError(kind)

    def f(self, x):
        x2 = x * x
        v = np.sum(0.5 * self.d * x2 + self.b * x + self.q * (x2 * x2)
                   + self.s * np.sin(self.k * x))
        if self.w.size:
            v += np.sum(self.w * np.exp(self.C @ x))
        return float(v)

    def grad(self, x):
        g = (self.d * x + self.b + 4.0 * self.q * (x * x * x)
             + self.s * self.k * np.cos(self.k * x))
        if self.w.size:
            g = g + (self.w * np.exp(self.C @ x)) @ self.C
        return g

    def params(self):
        return np.ascontiguousarray(np.concatenate(
            [self.d, self.b, self.q, self.s, self.k, [float(self.w.size)], self.w,
             self.C.ravel()]))


class _Quadratic:
    """0.5 x^T A x - b^T x, A dense SPD with condition number ~100."""

    def __init__(self, n, rng):
        q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        self.A = (q * np.logspace(0, 2, n)) @ q.T
        self.A = 0.5 * (self.A + self.A.T)
        self.bvec = rng.standard_normal(n)

    def f(self, x):
        return float(0.5 * x @ (self.A @ x) - self.bvec @ x)

    def grad(self, x):
        return self.A @ x - self.bvec


class _Rosen:
    f = staticmethod(rosen)
    grad = staticmethod(rosen_der)


def _problem(name, n, seed):
    rng = np.random.default_rng(seed)
    if name.startswith("rosen"):
        return _Rosen(), rng.uniform(-2.0, 2.0, n), rng
    if name.startswith("quadratic"):
        return _Quadratic(n, rng), rng.standard_normal(n), rng
    prob = _Family(n, rng, name)
    return prob, rng.standard_normal(n), rng


def _direction(prob, x, how, rng):
    g = prob.grad(x)
    if how == "steepest":
        return -g
    if how == "newton":
        return -np.linalg.solve(prob.A, g)
    if how == "scaled":
        return -g * 10.0 ** rng.uniform(-2.0, 1.0)
    p = rng.standard_normal(x.shape[0])
    return -p if p @ g > 0 else p


PY_CASES = {   # name: (problem, direction)
    "rosen": ("rosen", "steepest"),
    "quadratic": ("quadratic", "steepest"),
    "quadratic-newton": ("quadratic", "newton"),
    "exp": ("exp", "steepest"),
    "trig": ("trig", "steepest"),
}


def _quiet(ls):
    def run(*args, **kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LineSearchWarning)
            return ls(*args, **kw)
    return run


def _same_search(ours, theirs, counts=True):
    """Same step (to rounding), value and gradient (SciPy's new_slope is a gradient too), and
    with ``counts`` the same fc, gc (not for a C objective, which gives f and g together)."""
    assert ours[0] is not None and theirs[0] is not None
    assert ours[0] == pytest.approx(theirs[0], rel=1e-10)
    if counts:
        assert ours[1:3] == theirs[1:3]
    assert ours[3] == pytest.approx(theirs[3], rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(ours[5], theirs[5], rtol=1e-8, atol=1e-10)


def _python_calls(f, g, x, p):
    """The (function, point) calls fastnewton's search makes, in order, as fresh copies."""
    calls = []

    def rf(z):
        calls.append((f, z.copy()))
        return f(z)

    def rg(z):
        calls.append((g, z.copy()))
        return g(z)

    _quiet(fastnewton.line_search)(rf, rg, x, p)
    return calls


@pytest.mark.parametrize("problem", sorted(PY_CASES))
@pytest.mark.parametrize("impl", ["fastnewton", "scipy", "py-floor"])
def test_search_python(ours_vs_scipy, benchmark, impl, problem):
    """``py-floor`` times only the Python calls fastnewton's search makes (the same functions
    at the same points, recorded from one run, with f(xk) and the gradient there): what no
    search on these callables can go below. A search whose callables cost more than half of
    SciPy's time cannot be 0.5x SciPy's at the same evaluation count."""
    name, how = PY_CASES[problem]
    prob, x, rng = _problem(name, 10, seed=1)
    p = _direction(prob, x, how, rng)
    f, g = prob.f, prob.grad
    if impl == "py-floor":
        calls = _python_calls(f, g, x, p)
        benchmark.extra_info.update(impl=impl, n=10, calls=len(calls))

        def floor():
            for fn, z in calls:
                fn(z)

        benchmark.pedantic(floor, rounds=ROUNDS_PY, iterations=1, warmup_rounds=1)
        _record("python", problem, benchmark, len(calls))
        return
    # these searches succeed: no warning to silence, so no catch_warnings (a few us) timed
    result = ours_vs_scipy(
        fastnewton=fastnewton.line_search,
        scipy=scipy.optimize.line_search,
        setup=lambda: (f, g, x, p),
        rounds=ROUNDS_PY,
        check=_same_search,
    )
    benchmark.extra_info.update(n=10, fc=result[1], gc=result[2])
    _record("python", problem, benchmark, result[1] + result[2])


# -- evaluation counts ---------------------------------------------------------------------

_summary = {"counts": {}, "floor": {}, "python": {}}


def _record(group, key, benchmark, evals):
    """(median, min, evals) of the side this run timed, for the summary."""
    stats = getattr(getattr(benchmark, "stats", None), "stats", None)
    if stats is not None:
        impl = benchmark.extra_info["impl"]
        _summary[group].setdefault(key, {})[impl] = (stats.median, stats.min, evals)


def _suite():
    """30 (problem, point, direction) triples at n = 10: 5 problems x 2 points x 3 directions."""
    cases = []
    for name in ("rosen", "quadratic", "quartic", "exp", "trig"):
        for seed in (11, 12):
            prob, x, rng = _problem(name, 10, seed)
            for how in ("steepest", "random", "scaled"):
                cases.append((prob.f, prob.grad, x, _direction(prob, x, how, rng)))
    return cases


SUITE = _suite()


def _run_suite(ls):
    """(fc, gc, succeeded) per search; SciPy's unchecked maxiter step counts as a failure."""
    ls = _quiet(ls)
    out = []
    for f, g, x, p in SUITE:
        alpha, fc, gc, _, _, slope = ls(f, g, x, p)
        out.append((fc, gc, alpha is not None and slope is not None))
    return out


def _count_stats(results):
    evals = [fc + gc for fc, gc, _ in results]
    return {"total": int(sum(evals)), "median": float(np.median(evals)),
            "failed": sum(1 for *_, ok in results if not ok)}


def test_eval_counts(ours_vs_scipy, benchmark):
    def check(ours, theirs):
        o, s = _count_stats(ours), _count_stats(theirs)
        benchmark.extra_info.update(
            searches=len(SUITE), fastnewton_total_fc_gc=o["total"],
            fastnewton_median_fc_gc=o["median"], fastnewton_failed=o["failed"],
            scipy_total_fc_gc=s["total"], scipy_median_fc_gc=s["median"],
            scipy_failed=s["failed"])
        _summary["counts"] = {"fastnewton": o, "scipy": s}
        assert o["median"] <= s["median"], (o, s)

    ours_vs_scipy(
        fastnewton=lambda: _run_suite(fastnewton.line_search),
        scipy=lambda: _run_suite(scipy.optimize.line_search),
        setup=lambda: (),
        rounds=ROUNDS_SUITE,
        check=check,
    )


# -- a C objective, against the floor of its own evaluations -----------------------------

class _LSLib:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        self.lib.family_fg.argtypes = [ctypes.c_int, _P_DOUBLE, _P_DOUBLE, ctypes.c_void_p]
        self.lib.family_fg.restype = ctypes.c_double
        self.lib.ls_eval_floor.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                           _P_DOUBLE, _P_DOUBLE, _P_DOUBLE, ctypes.c_int,
                                           _P_DOUBLE]
        self.lib.ls_eval_floor.restype = ctypes.c_double


@pytest.fixture(scope="module")
def lslib(cbuild, tmp_path_factory):
    return _LSLib(cbuild.compile_shared(tmp_path_factory.mktemp("cobjectives_ls"),
                                        source=LS_SOURCE))


def _c_case(lslib, n):
    """(llc, f, g through ctypes, xk, pk, gfk, old_fval) for the trig family at n."""
    rng = np.random.default_rng(n)
    prob = _Family(n, rng, "trig")
    params = prob.params()
    ud = ctypes.cast(params.ctypes.data_as(_P_DOUBLE), ctypes.c_void_p)   # keeps params
    cfun = lslib.lib.family_fg
    llc = LowLevelCallable(cfun, ud)

    def f(x):
        return cfun(n, x.ctypes.data_as(_P_DOUBLE), None, ud)

    def g(x):
        out = np.empty(n)
        cfun(n, x.ctypes.data_as(_P_DOUBLE), out.ctypes.data_as(_P_DOUBLE), ud)
        return out

    xk = rng.standard_normal(n)
    gfk = g(xk)
    return llc, f, g, xk, -gfk, gfk, f(xk), ud


def _trial_steps(f, g, xk, pk, gfk, f0):
    """The steps at which fastnewton's search evaluates f (same path as on the C callable)."""
    steps = []
    pp = float(pk @ pk)

    def rec(x):
        steps.append(float((x - xk) @ pk) / pp)
        return f(x)

    fastnewton.line_search(rec, g, xk, pk, gfk=gfk, old_fval=f0)
    return np.array(steps)


@pytest.mark.parametrize("n", C_SIZES)
@pytest.mark.parametrize("impl", ["fastnewton", "scipy", "c-floor"])
def test_search_c(benchmark, lslib, paired, impl, n):
    llc, f, g, xk, pk, gfk, f0, ud = _c_case(lslib, n)
    ours = fastnewton.line_search(llc, None, xk, pk, gfk=gfk, old_fval=f0)
    k = ours[1]
    assert ours[0] is not None and ours[2] == k >= 1       # f and g together, k trials
    steps = _trial_steps(f, g, xk, pk, gfk, f0)
    assert len(steps) == k and steps[-1] == pytest.approx(ours[0], rel=1e-12)
    work = np.empty(2 * n)
    floor = lslib.lib.ls_eval_floor
    floor_args = (ctypes.cast(lslib.lib.family_fg, ctypes.c_void_p), ud, n,
                  xk.ctypes.data_as(_P_DOUBLE), pk.ctypes.data_as(_P_DOUBLE),
                  steps.ctypes.data_as(_P_DOUBLE), k, work.ctypes.data_as(_P_DOUBLE))
    if impl == "fastnewton":
        def target():
            return fastnewton.line_search(llc, None, xk, pk, gfk=gfk, old_fval=f0)
    elif impl == "scipy":
        def target():
            return scipy.optimize.line_search(f, g, xk, pk, gfk=gfk, old_fval=f0)
    else:
        def target():
            return floor(*floor_args)
    benchmark.extra_info.update(impl=impl, n=n, evaluations=k)
    result = benchmark.pedantic(target, rounds=ROUNDS_C[n], iterations=1, warmup_rounds=2)
    if impl == "scipy":
        _same_search(ours, result, counts=False)
        assert result[1] == k                              # the same trial steps
    _record("floor", n, benchmark, k)
    if impl == "fastnewton" and n in _summary["floor"]:
        # timed back to back with the floor too (see bench/conftest.py paired_ratio): reps
        # searches per side so that each timing is well above the clock's resolution
        reps = max(1, ROUNDS_C[n] // 40)

        def ours_reps():
            for _ in range(reps):
                fastnewton.line_search(llc, None, xk, pk, gfk=gfk, old_fval=f0)

        def floor_reps():
            for _ in range(reps):
                floor(*floor_args)

        r = paired(ours_reps, floor_reps)
        benchmark.extra_info["paired_ratio_to_floor"] = r
        _summary["floor"][n]["paired"] = (r,)


# -- summary after the tables -----------------------------------------------------------

class _Summary:
    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        rows = [(p, t) for p, t in sorted(_summary["python"].items())
                if {"fastnewton", "scipy"} <= set(t)]
        if rows:
            tr.ensure_newline()
            tr.write_sep("-", "line search, Python callables (n = 10): time per search, "
                              "fastnewton / scipy (target <= 0.5)")
            tr.write_line("py-floor: the same Python calls alone; floor/scipy is the lowest "
                          "ratio any search making them could reach; overhead = time - floor")
            tr.write_line(f"{'problem':<17} {'fc+gc':>5} {'fastnewton med':>15} "
                          f"{'scipy med':>11} {'ratio med':>10} {'ratio min':>10} "
                          f"{'py-floor med':>13} {'floor/scipy':>12} {'overhead ours':>14} "
                          f"{'overhead scipy':>15}")
            for problem, t in rows:
                ours, theirs = t["fastnewton"], t["scipy"]
                fl = t.get("py-floor")
                extra = ("" if fl is None else
                         f" {fl[0] * 1e6:>11.1f}us {fl[0] / theirs[0]:>12.2f} "
                         f"{(ours[0] - fl[0]) * 1e6:>12.1f}us "
                         f"{(theirs[0] - fl[0]) * 1e6:>13.1f}us")
                tr.write_line(f"{problem:<17} {ours[2]:>5} {ours[0] * 1e6:>13.1f}us "
                              f"{theirs[0] * 1e6:>9.1f}us {ours[0] / theirs[0]:>10.2f} "
                              f"{ours[1] / theirs[1]:>10.2f}{extra}")
        counts = _summary["counts"]
        if counts:
            tr.ensure_newline()
            tr.write_sep("-", f"line search: evaluations fc + gc over the {len(SUITE)}-search "
                              "suite (lower is better)")
            for impl in ("fastnewton", "scipy"):
                c = counts[impl]
                tr.write_line(f"{impl:<11} total {c['total']:>5}   median {c['median']:>5.1f}"
                              f"   failed {c['failed']}")
        rows = [(n, t) for n, t in sorted(_summary["floor"].items())
                if {"fastnewton", "c-floor"} <= set(t)]
        if rows:
            tr.ensure_newline()
            tr.write_sep("-", "line search, C objective: fastnewton / raw-C floor of the same "
                              "evaluations (target <= 1.2)")
            tr.write_line("paired: the median ratio of back-to-back runs (bench/conftest.py "
                          "paired_ratio), the steadier figure on a busy machine")
            tr.write_line(f"{'n':>7} {'evals':>5} {'fastnewton med':>15} {'c-floor med':>13} "
                          f"{'ratio med':>10} {'ratio min':>10} {'paired':>7} "
                          f"{'scipy/fastnewton med':>21}")
            for n, t in rows:
                ours, floor = t["fastnewton"], t["c-floor"]
                sr = f"{t['scipy'][0] / ours[0]:.2f}" if "scipy" in t else "-"
                pr = f"{t['paired'][0]:.2f}" if "paired" in t else "-"
                tr.write_line(f"{n:>7} {ours[2]:>5} {ours[0] * 1e6:>13.1f}us "
                              f"{floor[0] * 1e6:>11.1f}us {ours[0] / floor[0]:>10.2f} "
                              f"{ours[1] / floor[1]:>10.2f} {pr:>7} {sr:>21}")


@pytest.fixture(scope="module", autouse=True)
def _summary_plugin(register_summary):
    register_summary("fastnewton-bench-linesearch-summary", _Summary())
