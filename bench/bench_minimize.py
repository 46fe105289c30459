"""Whole solves: fastnewton.minimize beside scipy.optimize.minimize, same problems, same start,
same gradient tolerance (max|g_i| <= GTOL = 1e-5 for every method that has one).

Newton (issue 5), extended Rosenbrock (MGH #21, decoupled pairs; fastnewton.testing) with its
analytic Python gradient. fastnewton's ``method='newton'`` takes its Hessian by central
differences of the gradient, with its defaults: ``hess_bandwidth='auto'`` takes the first
Hessian dense (2n gradients), sees that its nonzeros lie within one diagonal of the
main one, and takes the later ones banded (6 gradients, plus two that check the band).
SciPy's counterparts, one group each (``vs=``):

* ``trust-exact`` with a Hessian callable ``approx_derivative(grad, x, method='3-point')``,
  symmetrized (trust-exact refuses the FD strings), ``options={'gtol': 1e-5}``;
* ``Newton-CG`` with ``hess='2-point'`` and its defaults. It has no gradient tolerance (it stops
  on the step size, ``xtol``), and SciPy serves ``hess='2-point'`` there as a LinearOperator:
  each CG iteration is one forward-difference Hessian-vector product (one gradient call), so
  it never forms the Hessian. Whether its answer meets max|g| <= 1e-5 is recorded
  (``extra_info['scipy_converged']``) and printed in the Newton summary; an unconverged
  Newton-CG run is still timed, and marked there.

``test_newton_python[n, vs]``      n = 2, 10, 100, 500. Targets: fastnewton <= 0.5x SciPy's
                                   best at n <= 100, <= 1x at n = 500.
``test_newton_dense_python[n, vs]``    the same with ``options={'hess_bandwidth': None}``: every
                                   FD Hessian dense, 2n gradients (what 'auto' saves).
``test_newton_c[n, vs]``           n = 10, fastnewton on the C objective (a LowLevelCallable from
                                   tests/cobjectives_min.c), SciPy on the Python one (it cannot
                                   take a LowLevelCallable). Target: >= 20x faster.
``test_newton_c_auto_vs_dense[n]`` n = 8, 10: Newton's default (``hess_bandwidth='auto'``, which
                                   goes tridiagonal here) on the C objective, timed, and the
                                   median paired ratio default / ``hess_bandwidth=None``
                                   (``paired_ratio``, 41 back-to-back pairs). Target: <= 1.1
                                   (the default never slower than dense beyond noise).

Quasi-Newton (issue 6), methods paired as bfgs <-> 'BFGS', lbfgs <-> 'L-BFGS-B' (no bounds; memory
10 on both sides) and sr1 <-> 'trust-constr' with ``hess=SR1()``. L-BFGS-B runs with
``ftol=0``: with its default ftol it stops on a small relative decrease of f, often before
max|g| <= 1e-5 (wood even at f = 7.88), so only ftol=0 makes both sides stop on the same test.

``test_qn_counts[method]``   The evaluation count nfev + njev per problem over QN_PROBLEMS
                             (n <= 100), both sides -- deterministic. Per-problem counts go to
                             ``extra_info`` and a table printed at the end; asserts: the median
                             over problems of ours/SciPy is <= 1.2. The timing is that of the
                             whole problem set per round: the per-method wall-time ratio.
``test_qn_python[method, problem]``   Wall time per problem (n <= 100). Target ours <= 0.5x.
``test_lbfgs_large[n]``      L-BFGS on extended Rosenbrock, n = 10**4 and 10**6 (vectorized NumPy
                             gradient), vs L-BFGS-B. Target: no slower. Each side checks its own
                             answer against the known minimum (f* = 0, x* = 1), so no extra
                             solve of the other side is paid at n = 10**6.
``test_qn_c[method]``        n = 10, fastnewton on the C objective, SciPy on the Python one.
                             Target: >= 20x faster.

QN_PROBLEMS holds problems that every one of the six solvers solves, to the same minimum value,
from the standard start. Left out, and why (as of this writing): meyer (no solver on either side
converges); jennrich_sampson, powell_badly_scaled (L-BFGS-B or trust-constr fail); osborne1,
biggs_exp6 (trust-constr fails or reaches another minimum); chained_rosenbrock (SciPy's BFGS
stops at another local minimum); penalty1, penalty2 (minimum so flat that max|g| <= 1e-5 leaves
f unsettled at the 1e-6 level); brown_dennis (fastnewton's bfgs and sr1 end with a line-search
failure at max|g| ~ 1e-4).

Every check runs outside the timing: both sides end with success and max|grad(x)| <= 1e-5
(recomputed from the returned x), and reach the same f (|df| <= 1e-6 max(1, |f|); x is not
compared, since e.g. box_3d has a line of minimizers).

Rounds: each benchmark first runs its solve once untimed (that run is the warm-up) and takes as
many rounds as fit in BUDGET seconds, at least 3 (2 for a problem-set round); n = 10**6 takes
3 rounds and no warm-up. The machine is shared and noisy: read ratios within one run only.
Run with ``--benchmark-group-by=param`` (see conftest.py).
"""
import ctypes
import time
import warnings

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize import SR1
from scipy.optimize._numdiff import approx_derivative

from _tables import fmt_time, write_table

import fastnewton
from fastnewton import testing as _problems

_P_DOUBLE = ctypes.POINTER(ctypes.c_double)

GTOL = 1e-5
F_RTOL = 1e-6           # "same minimum": |f_ours - f_scipy| <= F_RTOL * max(1, |f_scipy|)
BUDGET = 0.5            # seconds of timed rounds per benchmark
BUDGET_SET = 1.0        # ... per test_qn_counts benchmark (one round solves the whole set)
MAX_ROUNDS = 200

NEWTON_SIZES = (2, 10, 100, 500)
NEWTON_SCIPY = ("trust-exact", "Newton-CG")
NEWTON_TARGET = {2: 0.5, 10: 0.5, 100: 0.5, 500: 1.0}     # ours / SciPy's best, at most
C_TARGET = 1.0 / 20.0                                     # ours / SciPy at most: >= 20x faster
QN_TARGET = 0.5
COUNT_TARGET = 1.2                                        # median ours / SciPy nfev + njev
LARGE_SIZES = (10**4, 10**6)
LARGE_ROUNDS = {10**6: 3}                                 # fixed rounds, no warm-up solve

QN_SCIPY = {"bfgs": "BFGS", "lbfgs": "L-BFGS-B", "sr1": "trust-constr"}
QN_PROBLEMS = (     # (name, n): n None is the problem's standard size
    ("rosenbrock", None),
    ("beale", None),
    ("powell_singular", None),
    ("wood", None),
    ("helical_valley", None),
    ("brown_badly_scaled", None),
    ("extended_rosenbrock", 100),
    ("broyden_tridiagonal", 100),
    ("freudenstein_roth", None),
    ("bard", None),
    ("box_3d", None),
    ("kowalik_osborne", None),
    ("osborne2", None),
    ("watson", 6),
    ("trigonometric", 10),
    ("discrete_boundary_value", 10),
    ("extended_powell", 100),
    ("chebyquad", 8),
)


def _pid(name, n):
    return name if n is None else f"{name}-{n}"


QN_IDS = [_pid(*p) for p in QN_PROBLEMS]
_PROBLEMS = {_pid(*p): _problems.get(*p) for p in QN_PROBLEMS}


# -- the C objective --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def c_ext_rosen(cmin):
    """LowLevelCallable of ext_rosen_fg (tests/cobjectives_min.c, loaded by the root conftest's
    fixture ``cmin``): double (int, double *, double *, void *)."""
    fn = cmin.lib.ext_rosen_fg
    llc = cmin.llc("ext_rosen_fg")
    # the C twin of the Python problem: same gradient (bitwise), same value (to rounding)
    prob = _problems.get("extended_rosenbrock", 10)
    x = np.random.default_rng(0).uniform(-2.0, 2.0, 10)
    g = np.empty(10)
    f = fn(10, x.ctypes.data_as(_P_DOUBLE), g.ctypes.data_as(_P_DOUBLE), None)
    assert np.array_equal(g, prob.grad(x))
    assert f == pytest.approx(prob.fun(x), rel=1e-14)
    return llc


# -- solvers ----------------------------------------------------------------------------------

def _gmax(prob, x):
    return float(np.max(np.abs(prob.grad(x))))


def _scipy_newton(method, prob):
    if method == "trust-exact":
        def hess(x):
            h = approx_derivative(prob.grad, x, method="3-point")
            return 0.5 * (h + h.T)

        return lambda x0: scipy.optimize.minimize(prob.fun, x0, method="trust-exact",
                                                  jac=prob.grad, hess=hess,
                                                  options={"gtol": GTOL})
    return lambda x0: scipy.optimize.minimize(prob.fun, x0, method="Newton-CG",
                                              jac=prob.grad, hess="2-point")


def _ours(method, fun, jac, **options):
    return lambda x0: fastnewton.minimize(fun, x0, method=method, jac=jac,
                                          options={"gtol": GTOL, **options})


def _scipy_qn(method, fun, jac):
    if method == "bfgs":
        return lambda x0: scipy.optimize.minimize(fun, x0, method="BFGS", jac=jac,
                                                  options={"gtol": GTOL})
    if method == "lbfgs":
        return lambda x0: scipy.optimize.minimize(fun, x0, method="L-BFGS-B", jac=jac,
                                                  options={"gtol": GTOL, "ftol": 0.0})

    def trust_constr(x0):
        with warnings.catch_warnings():   # "delta_grad == 0.0" near the end of some solves
            warnings.simplefilter("ignore", UserWarning)
            return scipy.optimize.minimize(fun, x0, method="trust-constr", jac=jac, hess=SR1(),
                                           options={"gtol": GTOL})
    return trust_constr


def _evals(res):
    return int(res.nfev) + int(res.njev)


def _assert_converged(prob, res, who):
    g = _gmax(prob, res.x)
    assert res.success and g <= GTOL, (f"{who} on {prob.name} (n={prob.n}) did not converge: "
                                       f"success={res.success}, max|g|={g:.2e}, "
                                       f"message={res.message!r}")
    return g


def _assert_same_minimum(prob, ours, theirs):
    go = _assert_converged(prob, ours, "fastnewton")
    gs = _assert_converged(prob, theirs, "scipy")
    assert abs(ours.fun - theirs.fun) <= F_RTOL * max(1.0, abs(theirs.fun)), (
        f"{prob.name}: different minima, f = {ours.fun!r} (fastnewton) vs {theirs.fun!r}")
    return go, gs


# -- timing bookkeeping ---------------------------------------------------------------------

_times = {}      # section -> key -> impl -> (median, min) seconds
_info = {}       # section -> key -> dict, for the summary


def _record(section, key, benchmark):
    stats = getattr(getattr(benchmark, "stats", None), "stats", None)
    if stats is not None:
        impl = benchmark.extra_info["impl"]
        _times.setdefault(section, {}).setdefault(key, {})[impl] = (stats.median, stats.min)


def _rounds(benchmark, impl, sides, x0, budget=BUDGET, least=3):
    """(rounds, warmup_rounds): one untimed solve of the timed side sizes the rounds."""
    if benchmark.disabled:
        return 1, 0
    t0 = time.perf_counter()
    sides[impl](x0.copy())
    t = time.perf_counter() - t0
    return max(least, min(MAX_ROUNDS, int(budget / max(t, 1e-9)))), 0


def _run(ours_vs_scipy, benchmark, impl, sides, x0, check, **kw):
    rounds, warmup = _rounds(benchmark, impl, sides, x0, **kw)
    benchmark.extra_info["rounds"] = rounds
    return ours_vs_scipy(fastnewton=sides["fastnewton"], scipy=sides["scipy"],
                         setup=lambda: (x0.copy(),), rounds=rounds, warmup_rounds=warmup,
                         check=check)


# -- Newton (issue 5) -------------------------------------------------------------------------

def _newton_check(benchmark, prob, scipy_method, section, key):
    def check(ours, theirs):
        go = _assert_converged(prob, ours, "fastnewton")
        np.testing.assert_allclose(ours.x, 1.0, rtol=0, atol=1e-6)
        gs = _gmax(prob, theirs.x)
        converged = bool(theirs.success) and gs <= GTOL
        info = dict(scipy_method=scipy_method, scipy_converged=converged,
                    scipy_success=bool(theirs.success), scipy_max_abs_grad=gs,
                    scipy_nit=int(theirs.nit), scipy_nfev=int(theirs.nfev),
                    scipy_njev=int(theirs.njev), scipy_nhev=int(theirs.get("nhev", 0)),
                    fastnewton_max_abs_grad=go, fastnewton_nit=int(ours.nit),
                    fastnewton_nfev=int(ours.nfev), fastnewton_njev=int(ours.njev),
                    fastnewton_nhev=int(ours.nhev))
        benchmark.extra_info.update(info)
        _info.setdefault(section, {})[key] = info
        if scipy_method == "trust-exact":
            _assert_converged(prob, theirs, "scipy trust-exact")
        # Newton-CG may stop early (on its step size): then only the same basin is required
        assert np.max(np.abs(theirs.x - ours.x)) <= 1e-2, (
            f"scipy {scipy_method} ended far from the minimizer: max|x - 1| = "
            f"{np.max(np.abs(theirs.x - 1.0)):.2e}")

    return check


@pytest.mark.parametrize("vs", NEWTON_SCIPY)
@pytest.mark.parametrize("n", NEWTON_SIZES)
def test_newton_python(ours_vs_scipy, benchmark, impl, n, vs):
    prob = _problems.get("extended_rosenbrock", n)
    sides = {"fastnewton": _ours("newton", prob.fun, prob.grad),
             "scipy": _scipy_newton(vs, prob)}
    benchmark.extra_info.update(n=n, gtol=GTOL)
    _run(ours_vs_scipy, benchmark, impl, sides, prob.x0,
         _newton_check(benchmark, prob, vs, "newton", (n, vs)))
    _record("newton", (n, vs), benchmark)


@pytest.mark.parametrize("vs", NEWTON_SCIPY)
@pytest.mark.parametrize("n", NEWTON_SIZES)
def test_newton_dense_python(ours_vs_scipy, benchmark, impl, n, vs):
    """The same solves with ``options={'hess_bandwidth': None}``: every FD Hessian dense
    (2n gradients) and factored by the dense modified Cholesky, whatever its pattern."""
    prob = _problems.get("extended_rosenbrock", n)
    sides = {"fastnewton": _ours("newton", prob.fun, prob.grad, hess_bandwidth=None),
             "scipy": _scipy_newton(vs, prob)}
    benchmark.extra_info.update(n=n, gtol=GTOL, hess_bandwidth=None)
    _run(ours_vs_scipy, benchmark, impl, sides, prob.x0,
         _newton_check(benchmark, prob, vs, "newton_dense", (n, vs)))
    _record("newton_dense", (n, vs), benchmark)


@pytest.mark.parametrize("vs", NEWTON_SCIPY)
@pytest.mark.parametrize("n", [10])
def test_newton_c(ours_vs_scipy, benchmark, impl, c_ext_rosen, n, vs):
    prob = _problems.get("extended_rosenbrock", n)
    sides = {"fastnewton": _ours("newton", c_ext_rosen, None),
             "scipy": _scipy_newton(vs, prob)}
    benchmark.extra_info.update(n=n, gtol=GTOL, objective="fastnewton: C LowLevelCallable, "
                                                          "scipy: Python")
    _run(ours_vs_scipy, benchmark, impl, sides, prob.x0,
         _newton_check(benchmark, prob, vs, "newton_c", (n, vs)))
    _record("newton_c", (n, vs), benchmark)


AUTO_SIZES = (8, 10)
AUTO_TARGET = 1.1          # default ('auto') / hess_bandwidth=None, at most


@pytest.mark.parametrize("n", AUTO_SIZES)
def test_newton_c_auto_vs_dense(benchmark, paired, c_ext_rosen, n):
    prob = _problems.get("extended_rosenbrock", n)
    auto = _ours("newton", c_ext_rosen, None)
    dense = _ours("newton", c_ext_rosen, None, hess_bandwidth=None)
    x0 = prob.x0
    ra, rd = auto(x0.copy()), dense(x0.copy())
    for r in (ra, rd):
        _assert_converged(prob, r, "fastnewton")
        np.testing.assert_allclose(r.x, 1.0, rtol=0, atol=1e-6)
    assert ra.nit == rd.nit and ra.njev < rd.njev      # the band saves gradients
    rounds = 3 if benchmark.disabled else MAX_ROUNDS
    benchmark.pedantic(auto, setup=lambda: ((x0.copy(),), {}), rounds=rounds, iterations=1,
                       warmup_rounds=0 if benchmark.disabled else 1)
    info = dict(n=n, auto_njev=int(ra.njev), dense_njev=int(rd.njev), nit=int(ra.nit))
    if not benchmark.disabled:
        info["auto_over_dense"] = paired(lambda: auto(x0.copy()), lambda: dense(x0.copy()))
    benchmark.extra_info.update(info)
    _info.setdefault("newton_auto", {})[n] = info
    stats = getattr(getattr(benchmark, "stats", None), "stats", None)
    if stats is not None:
        info["auto_median"] = stats.median


# -- quasi-Newton (issue 6) ---------------------------------------------------------------------

_counts = {}     # method -> problem id -> (ours nfev+njev, scipy nfev+njev)


def _solve_set(solver_of):
    """A no-argument callable solving every QN problem from its start; returns the results."""
    solvers = [(solver_of(p), p.x0) for p in _PROBLEMS.values()]

    def run():
        return [solve(x0.copy()) for solve, x0 in solvers]

    return run


@pytest.mark.parametrize("method", sorted(QN_SCIPY))
def test_qn_counts(ours_vs_scipy, benchmark, impl, method):
    sides = {"fastnewton": _solve_set(lambda p: _ours(method, p.fun, p.grad)),
             "scipy": _solve_set(lambda p: _scipy_qn(method, p.fun, p.grad))}

    def check(ours, theirs):
        table = {}
        for pid, o, s in zip(_PROBLEMS, ours, theirs):
            _assert_same_minimum(_PROBLEMS[pid], o, s)
            table[pid] = (_evals(o), _evals(s))
        _counts[method] = table
        ratios = [o / s for o, s in table.values()]
        median = float(np.median(ratios))
        benchmark.extra_info.update(
            scipy_method=QN_SCIPY[method], problems=len(table),
            evals={pid: {"fastnewton": o, "scipy": s} for pid, (o, s) in table.items()},
            fastnewton_total_evals=sum(o for o, _ in table.values()),
            scipy_total_evals=sum(s for _, s in table.values()),
            median_eval_ratio=median)
        assert median <= COUNT_TARGET, (
            f"{method}: median nfev+njev ratio fastnewton/{QN_SCIPY[method]} = {median:.3f} "
            f"> {COUNT_TARGET}")

    benchmark.extra_info.update(scipy_method=QN_SCIPY[method], gtol=GTOL)
    rounds, warmup = _rounds(benchmark, impl, {impl: lambda x0: sides[impl]()}, np.zeros(1),
                             budget=BUDGET_SET, least=2)
    benchmark.extra_info["rounds"] = rounds
    ours_vs_scipy(fastnewton=sides["fastnewton"], scipy=sides["scipy"], setup=lambda: (),
                  rounds=rounds, warmup_rounds=warmup, check=check)
    _record("qn_set", method, benchmark)


@pytest.mark.parametrize("problem", QN_IDS)
@pytest.mark.parametrize("method", sorted(QN_SCIPY))
def test_qn_python(ours_vs_scipy, benchmark, impl, method, problem):
    prob = _PROBLEMS[problem]
    sides = {"fastnewton": _ours(method, prob.fun, prob.grad),
             "scipy": _scipy_qn(method, prob.fun, prob.grad)}

    def check(ours, theirs):
        go, gs = _assert_same_minimum(prob, ours, theirs)
        benchmark.extra_info.update(fastnewton_evals=_evals(ours), scipy_evals=_evals(theirs),
                                    fastnewton_max_abs_grad=go, scipy_max_abs_grad=gs)

    benchmark.extra_info.update(n=prob.n, scipy_method=QN_SCIPY[method], gtol=GTOL)
    _run(ours_vs_scipy, benchmark, impl, sides, prob.x0, check)
    _record("qn", (method, problem), benchmark)
    if impl == "fastnewton" and not benchmark.disabled:
        floor = _objective_floor(method, prob)
        benchmark.extra_info["objective_floor_s"] = floor
        _info.setdefault("qn_floor", {})[method, problem] = floor


def _objective_floor(method, prob, repeats=5):
    """Seconds that the Python f and g calls of fastnewton's solve take by themselves: the
    calls are recorded from one solve (function and point, in order) and replayed (best of
    `repeats`). No solver making these evaluations can take less; floor / SciPy's time is
    the lowest time ratio reachable at fastnewton's evaluation counts."""
    calls = []

    def rf(x):
        calls.append((prob.fun, x.copy()))
        return prob.fun(x)

    def rg(x):
        calls.append((prob.grad, x.copy()))
        return prob.grad(x)

    _ours(method, rf, rg)(prob.x0.copy())
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for fn, x in calls:
            fn(x)
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.mark.parametrize("n", LARGE_SIZES)
def test_lbfgs_large(benchmark, impl, n):
    prob = _problems.get("extended_rosenbrock", n)
    side = {"fastnewton": _ours("lbfgs", prob.fun, prob.grad),
            "scipy": _scipy_qn("lbfgs", prob.fun, prob.grad)}
    if n in LARGE_ROUNDS:
        rounds, warmup = (1, 0) if benchmark.disabled else (LARGE_ROUNDS[n], 0)
    else:
        rounds, warmup = _rounds(benchmark, impl, side, prob.x0)
    benchmark.extra_info.update(impl=impl, n=n, gtol=GTOL, rounds=rounds, memory=10,
                                scipy_method="L-BFGS-B")
    res = benchmark.pedantic(side[impl], setup=lambda: ((prob.x0.copy(),), {}), rounds=rounds,
                             iterations=1, warmup_rounds=warmup)
    g = _assert_converged(prob, res, impl)
    assert abs(res.fun - prob.fstar) <= F_RTOL
    assert np.max(np.abs(res.x - 1.0)) <= 1e-3
    benchmark.extra_info.update(evals=_evals(res), nit=int(res.nit), max_abs_grad=g)
    _record("large", n, benchmark)


@pytest.mark.parametrize("method", sorted(QN_SCIPY))
def test_qn_c(ours_vs_scipy, benchmark, impl, c_ext_rosen, method):
    n = 10
    prob = _problems.get("extended_rosenbrock", n)
    sides = {"fastnewton": _ours(method, c_ext_rosen, None),
             "scipy": _scipy_qn(method, prob.fun, prob.grad)}

    def check(ours, theirs):
        _assert_same_minimum(prob, ours, theirs)

    benchmark.extra_info.update(n=n, scipy_method=QN_SCIPY[method], gtol=GTOL,
                                objective="fastnewton: C LowLevelCallable, scipy: Python")
    _run(ours_vs_scipy, benchmark, impl, sides, prob.x0, check)
    _record("qn_c", method, benchmark)


# -- summary after the tables -------------------------------------------------------------------

def _ratio(t, which=0):
    """ours / SciPy from a {impl: (median, min)} dict, or None."""
    if t is None or not {"fastnewton", "scipy"} <= set(t):
        return None
    return t["fastnewton"][which] / t["scipy"][which]


def _met(ratio, target):
    return "-" if ratio is None else ("met" if ratio <= target else "NOT met")


class _Summary:
    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        self._newton(tr, "newton", "Newton, extended Rosenbrock, Python objective")
        self._newton(tr, "newton_dense", "Newton with hess_bandwidth=None (always dense), "
                                         "extended Rosenbrock, Python objective")
        self._newton(tr, "newton_c", "Newton, extended Rosenbrock: fastnewton on the C "
                                     "objective, SciPy on the Python one")
        self._auto(tr)
        self._counts(tr)
        self._qn(tr)
        self._simple(tr, "large", "L-BFGS, extended Rosenbrock, NumPy gradient: fastnewton "
                     "lbfgs / L-BFGS-B (target <= 1)", 1.0, "n")
        self._simple(tr, "qn_c", "quasi-Newton, n = 10, fastnewton on the C objective / SciPy "
                     "on the Python one (target <= 0.05, i.e. >= 20x)", C_TARGET, "method")

    @staticmethod
    def _newton(tr, section, title):
        times, info = _times.get(section, {}), _info.get(section, {})
        sizes = sorted({n for n, _ in set(times) | set(info)})
        if not sizes:
            return
        target = (NEWTON_TARGET if section in ("newton", "newton_dense")
                  else {n: C_TARGET for n in sizes})
        rows, best_lines, notes = [], [], []
        for n in sizes:
            for m in NEWTON_SCIPY:
                t, i = times.get((n, m), {}), info.get((n, m))
                rows.append((
                    n, m, t["fastnewton"][0] if "fastnewton" in t else None,
                    t["scipy"][0] if "scipy" in t else None, _ratio(t),
                    None if i is None else i["scipy_max_abs_grad"],
                    None if i is None else ("yes" if i["scipy_converged"] else "NO *"),
                    None if i is None else
                    f"{i['scipy_nfev']}/{i['scipy_njev']}/{i['scipy_nhev']}"))
                if i is not None and not i["scipy_converged"]:
                    notes.append(f"* n={n}: SciPy {m} returned success={i['scipy_success']} but "
                                 f"max|g| = {i['scipy_max_abs_grad']:.2e} > gtol = {GTOL:g} "
                                 "(stopped on its step size): its time is for a less "
                                 "accurate answer")
            # against SciPy's best: all methods, and converged ones only
            cands = [(m, _ratio(times.get((n, m)))) for m in NEWTON_SCIPY]
            cands = [(m, r) for m, r in cands if r is not None]
            if cands:
                best = max(cands, key=lambda c: c[1])    # SciPy's fastest: our largest ratio
                conv = [(m, r) for m, r in cands
                        if info.get((n, m), {}).get("scipy_converged", False)]
                line = (f"n={n}: vs SciPy's fastest ({best[0]}) {best[1]:.3g}, "
                        f"target <= {target[n]:g}: {_met(best[1], target[n])}")
                if conv and len(conv) != len(cands):
                    bc = max(conv, key=lambda c: c[1])
                    line += (f"; vs SciPy's fastest converged ({bc[0]}) {bc[1]:.3g}: "
                             f"{_met(bc[1], target[n])}")
                best_lines.append(line)
        write_table(tr, f"{title}: time ratio fastnewton / scipy (median)",
                    ("n", "scipy method", "fastnewton", "scipy", "ratio", "scipy max|g|",
                     "scipy converged", "scipy nfev/njev/nhev"),
                    rows, align="><>>>>>>",
                    formats=("d", None, fmt_time, fmt_time, ".3g", ".2e", None, None),
                    notes_after=best_lines + notes)

    @staticmethod
    def _auto(tr):
        info = _info.get("newton_auto", {})
        rows = [(n, i.get("auto_median"), i["auto_over_dense"],
                 f"{i['auto_njev']}/{i['dense_njev']}", _met(i["auto_over_dense"], AUTO_TARGET))
                for n, i in sorted(info.items()) if "auto_over_dense" in i]
        if not rows:
            return
        write_table(tr, "Newton on the C objective: default ('auto') / hess_bandwidth=None, "
                        f"median of 41 paired runs (target <= {AUTO_TARGET})",
                    ("n", "auto", "ratio", "gradients auto/dense", "target"), rows,
                    align=">>>><", formats=("d", fmt_time, ".3f", None, None))

    @staticmethod
    def _counts(tr):
        if not _counts:
            return
        methods = [m for m in sorted(QN_SCIPY) if m in _counts]

        def cell(o, s):
            return f"{o} / {s}  {o / s:.2f}"

        rows = [(pid, *(cell(*_counts[m][pid]) if pid in _counts[m] else None
                        for m in methods)) for pid in QN_IDS]
        rows.append(("total", *(cell(sum(o for o, _ in _counts[m].values()),
                                     sum(s for _, s in _counts[m].values()))
                                for m in methods)))
        medians = [float(np.median([o / s for o, s in _counts[m].values()])) for m in methods]
        rows.append(("median ratio", *(f"{_met(med, COUNT_TARGET)} {med:.2f}"
                                       for med in medians)))
        notes = []
        t = _times.get("qn_set", {})
        if t:
            rows.append(("time ratio, whole set",
                         *(None if _ratio(t.get(m)) is None else
                           f"{_met(_ratio(t.get(m)), QN_TARGET)} {_ratio(t.get(m)):.3f}"
                           for m in methods)))
            notes.append(f"(time target <= {QN_TARGET}; per-problem times below)")
        write_table(tr, "quasi-Newton: function + gradient evaluations nfev + njev, "
                        f"fastnewton / scipy (deterministic; target: median <= {COUNT_TARGET})",
                    ("problem", *(f"{m} / {QN_SCIPY[m]}  ratio" for m in methods)), rows,
                    notes_after=notes)

    @staticmethod
    def _qn(tr):
        times = _times.get("qn", {})
        if not times:
            return
        methods = [m for m in sorted(QN_SCIPY) if any(k[0] == m for k in times)]
        floors = _info.get("qn_floor", {})
        rows, per = [], {m: [] for m in methods}
        for pid in QN_IDS:
            row = [pid]
            for m in methods:
                t = times.get((m, pid))
                r, rmin = _ratio(t), _ratio(t, 1)
                if r is None:
                    row.append(None)
                    continue
                per[m].append(r)
                fl = floors.get((m, pid))
                fs = "" if fl is None or "scipy" not in t else f"  fl {fl / t['scipy'][0]:.2f}"
                row.append(f"{r:.3f} [{rmin:.3f}]{fs}")
            rows.append(row)
        rows.append(["median over problems", *(
            f"{np.median(per[m]):.3f} {_met(float(np.median(per[m])), QN_TARGET)}"
            if per[m] else None for m in methods)])
        rows.append(["worst / problems met", *(
            f"{max(per[m]):.3f} {sum(r <= QN_TARGET for r in per[m])}/{len(per[m])}"
            if per[m] else None for m in methods)])
        write_table(tr, "quasi-Newton, Python objectives (n <= 100): time ratio fastnewton / "
                        f"scipy, median [min] (target <= {QN_TARGET})",
                    ("problem", *(f"{m}/{QN_SCIPY[m]}" for m in methods)), rows,
                    notes_before=["(floor: the time of fastnewton's own f and g calls alone / "
                                  "SciPy's median time: the lowest ratio reachable at these "
                                  "evaluation counts)"])

    @staticmethod
    def _simple(tr, section, title, target, keyname):
        times = _times.get(section, {})
        rows = [(str(k), t["fastnewton"][0], t["scipy"][0], _ratio(t), _ratio(t, 1),
                 1 / _ratio(t), _met(_ratio(t), target))
                for k, t in sorted(times.items()) if _ratio(t) is not None]
        if not rows:
            return
        write_table(tr, title, (keyname, "fastnewton", "scipy", "ratio med", "ratio min",
                                "scipy/ours", "target"), rows, align=">>>>>><",
                    formats=(None, fmt_time, fmt_time, ".3g", ".3g", ".3g", None))


@pytest.fixture(scope="module", autouse=True)
def _summary_plugin(register_summary):
    register_summary("fastnewton-bench-minimize-summary", _Summary())
