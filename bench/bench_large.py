"""Large sparse problems (issue 13): the minimal surface at n = 10^4, 10^5, 10^6, time to the
same gradient tolerance for fastnewton's sparse Newton and Newton-CG and SciPy's options.

Problem: ``fastnewton.testing.minimal_surface(nx)`` (MINPACK-2's minimal surface, Enneper
boundary data; convex; 7-point Hessian pattern ``P.sparsity``), nx = 100, 316, 1000, so
n = 10 000, 99 856 (about 10^5: the growth factors below are per 9.99x in n) and 10^6. Its
NumPy gradient costs about 0.3 ms, 3 ms and 30 ms at those sizes, f about a third of that.

Solvers, one benchmark each (``solver=``):

* ``fn-newton-sparse``: ``fastnewton.minimize(method='newton',
  options={'hess_sparsity': P.sparsity, 'gtol': gtol})``: Newton with the Hessian by
  star-coloured finite differences of the gradient and a sparse modified Cholesky.
* ``fn-newton-cg``: ``method='newton-cg'``, Hessian-vector products by forward differences of
  the gradient (one gradient per product).
* ``sp-lbfgsb``: SciPy L-BFGS-B, ``ftol=0`` (so that only the gradient test stops it; with its
  default ftol it stops on a small relative decrease of f, long before gtol), ``gtol`` = our
  gtol (its projected-gradient test is max|g_i| <= gtol, the same test with no bounds),
  memory 10 (its default, and fastnewton's), maxiter/maxfun far above what it needs.
* ``sp-newton-cg-2point``: SciPy Newton-CG with ``hess='2-point'``. SciPy 1.17 does not form
  an n x n matrix here: ``ScalarFunction`` asks ``approx_derivative`` for a LinearOperator
  (``as_linear_operator=True``), whose matvec is the forward difference
  (g(x + h p/||p||) - g(x)) ||p|| / h with h = sqrt(eps) (an absolute step), one gradient per
  product. So it runs at every n (no 'dense n^2' skip is needed).
* ``sp-newton-cg-hessp``: SciPy Newton-CG with ``hessp`` = the forward-difference product
  written below, (g(x + s v) - g(x)) / s with s = sqrt(eps) max(1, ||x||_2) / ||v||_2, the step
  rule of fastnewton's own FD products (``_fdiff.fd_hessp``), g(x) taken from the memoized
  gradient: one gradient per product, as fastnewton's Newton-CG. "SciPy's Newton-CG" below
  is the faster of the two Newton-CG cases at each n.
* ``sp-trust-krylov``: SciPy trust-krylov with the same ``hessp``.

"SciPy's best" at each n is the fastest of the four SciPy cases there.

The one stopping rule: max|g_i| <= gtol, with gtol = RTOL * max|g(x0)|, RTOL = 1e-6.
Why 1e-6: six orders of magnitude below the start's gradient is far enough that every
method's asymptotic rate decides its time (Newton's fast local convergence, L-BFGS's linear
rate on a problem whose condition number grows like nx^2), and far above the floors of the
arithmetic: the gradient's rounding error is about eps times the sum of |terms|, relative
1e-13 or less of max|g(x0)|, and a forward-difference product's relative error is about
sqrt(eps) ~ 1.5e-8, which only slows an inexact Newton step's rate, not the limit. (gtol is
4.5e-9, 1.5e-9 and 4.8e-10 at the three sizes.) fastnewton's gtol is on max|g_i| (its
default ``norm``; docs/design.md's status table), as is L-BFGS-B's. SciPy's Newton-CG has no
gradient test (it stops on the step's 1-norm, ``xtol``) and trust-krylov's ``gtol`` is on
||g||_2: both are given a ``callback(intermediate_result)`` that raises StopIteration as
soon as the gradient at the new iterate meets the rule. The gradient they see is memoized
(the last x and g(x), one array compare and one copy per call), so the callback's check
costs no evaluation of its own: Newton-CG's line search has just evaluated g at the point it
accepts (and would ask for it next), trust-krylov asks for g at an accepted point right
after the callback. Newton-CG runs with ``xtol=0`` (only the callback stops it);
trust-krylov keeps its own test with ``gtol`` = our gtol on ||g||_2 >= max|g_i|, so it
can never stop first. Every case then checks the returned x: max|P.grad(x)| <= gtol,
recomputed, or the benchmark fails -- no time is reported for a solve that stopped early.
(The problem is convex, so meeting gtol means being near the one minimizer.)

Counts: every solver gets the same counted wrappers of P.fun and P.grad, so ``nfev`` and
``njev`` in the table are the calls each made, finite-difference gradients included (SciPy's
own njev leaves out the gradients inside its hessp products).

Sizes and rounds: nx = 100 always (CI runs this file once with ``--benchmark-disable``:
about 15 s); nx = 316 and 1000 only with ``FASTNEWTON_BENCH_LARGE=1``. At nx = 100 the solve
is timed in this process, 3 rounds after a warm-up (the table's time is the median). At the
larger sizes each case is one round (pedantic mode, no warm-up) in a fresh child process (this
file run as a script, ``python bench/bench_large.py --child nx solver``): the child times the
solve alone with ``perf_counter`` -- the table's time; pytest-benchmark's own figure for it
also holds the child's start-up and problem set-up -- and measures its memory in the same
run, so the minutes-long solves at n = 10^6 are not paid twice. L-BFGS-B and SciPy's
Newton-CG at n = 10^6 take several minutes each.

Memory: the child builds the problem, resets its peak resident set size to the current one
(Linux: ``5`` written to ``/proc/self/clear_refs``), solves, and reports the peak
(``VmHWM``) minus the resident size at the reset: the most memory the solve added, C and
Fortran allocations included (which tracemalloc does not see), in a process where nothing
else ran before. It includes the gradient's own NumPy temporaries (about 15 arrays of n
doubles while one gradient runs), common to all solvers. Where the reset is not possible the
child's whole ``ru_maxrss`` is reported, marked ``*``. At nx = 100 the memory comes from one
more, untimed, solve in a child; ``FASTNEWTON_BENCH_MEMORY=0`` leaves that out there.

BLAS threads: like the other benchmarks this file runs with the count in force (the table's
title states it). On a busy shared machine set ``OPENBLAS_NUM_THREADS=1`` for the large
sizes, and compare only runs made with the same setting: NumPy's two-thread ``dot`` on n =
10^5 doubles was measured at 16 ms instead of 40 us (load average 4 on this 2-core machine:
the second thread waits for a core), which made SciPy's Newton-CG 4.5x and L-BFGS-B 5x slower
at n = 10^5 -- a measure of the other jobs, not of the solvers. One thread applies to both
sides (fastnewton's supernodal factorization gets one thread too).

The table printed at the end gives per n and solver: the time, nit, nfev, njev, max|g|
reached, the solve's peak memory, the time ratio to SciPy's best, and the growth factor
time(n) / time(previous n); then the issue's targets: sparse Newton at least 5x faster than
SciPy's best at n = 10^6, fastnewton's Newton-CG faster than SciPy's Newton-CG at every n,
and time growing at most ~15x per 10x in n.

Run: ``OPENBLAS_NUM_THREADS=1 FASTNEWTON_BENCH_LARGE=1 pytest bench/bench_large.py
--benchmark-only`` (from the repository root; about an hour, most of it SciPy at n = 10^6).
The machine is shared and noisy: read the ratios within one run.
"""
import json
import math
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.optimize
from threadpoolctl import threadpool_info

from _tables import fmt_time, write_table

import fastnewton
from fastnewton.testing import minimal_surface

RTOL = 1e-6
LARGE = os.environ.get("FASTNEWTON_BENCH_LARGE") == "1"
MEMORY = os.environ.get("FASTNEWTON_BENCH_MEMORY", "1") != "0"
SIDES = (100, 316, 1000) if LARGE else (100,)      # nx; n = nx * nx
ROUNDS = {100: 3}                                   # timed rounds; one (no warm-up) otherwise
SQRT_EPS = math.sqrt(np.finfo(float).eps)
MAXITER = 10**6                                     # never the reason a solve stops

SOLVERS = ("fn-newton-sparse", "fn-newton-cg", "sp-lbfgsb", "sp-newton-cg-2point",
           "sp-newton-cg-hessp", "sp-trust-krylov")
SCIPY_SOLVERS = tuple(s for s in SOLVERS if s.startswith("sp-"))
SCIPY_NEWTON_CG = ("sp-newton-cg-2point", "sp-newton-cg-hessp")
SPEEDUP_TARGET = 5.0        # sparse Newton vs SciPy's best at n = 10^6
GROWTH_TARGET = 15.0        # time(10 n) / time(n), at most


# -- the objective, counted ------------------------------------------------------------------

class Counted:
    """P.fun and P.grad with call counts, plus what SciPy's Newton-CG and trust-krylov need:
    a memoized gradient, the forward-difference Hessian-vector product and the gtol callback.
    """

    def __init__(self, prob):
        self.prob = prob
        self.nfev = 0
        self.njev = 0
        self._x = None          # the last point grad_memo evaluated, and its gradient
        self._g = None

    def fun(self, x):
        self.nfev += 1
        return self.prob.fun(x)

    def grad(self, x):
        self.njev += 1
        return self.prob.grad(x)

    def grad_memo(self, x):
        """grad(x), from the last evaluation when x is that point (returns the stored array:
        the SciPy solvers it serves do not write into gradients)."""
        if self._x is None or not np.array_equal(x, self._x):
            self._g = self.grad(x)
            self._x = np.array(x, dtype=float)
        return self._g

    def hessp(self, x, v):
        """(g(x + s v) - g(x)) / s, s = sqrt(eps) max(1, ||x||) / ||v||: one new gradient."""
        vnorm = np.linalg.norm(v)
        if vnorm == 0.0:
            return np.zeros_like(v)
        g0 = self.grad_memo(x)
        s = SQRT_EPS * max(1.0, np.linalg.norm(x)) / vnorm
        return (self.grad(x + s * v) - g0) / s

    def stop_at(self, gtol):
        """A callback raising StopIteration once max|g| <= gtol at the solver's iterate."""
        def callback(intermediate_result):
            if np.max(np.abs(self.grad_memo(intermediate_result.x))) <= gtol:
                raise StopIteration
        return callback


def solve(solver, prob, gtol):
    """One solve from prob.x0; returns (result, Counted)."""
    c = Counted(prob)
    x0 = prob.x0.copy()
    if solver == "fn-newton-sparse":
        res = fastnewton.minimize(c.fun, x0, jac=c.grad, method="newton",
                                  options={"hess_sparsity": prob.sparsity, "gtol": gtol,
                                           "maxiter": MAXITER})
    elif solver == "fn-newton-cg":
        res = fastnewton.minimize(c.fun, x0, jac=c.grad, method="newton-cg",
                                  options={"gtol": gtol, "maxiter": MAXITER})
    elif solver == "sp-lbfgsb":
        res = scipy.optimize.minimize(c.fun, x0, jac=c.grad, method="L-BFGS-B",
                                      options={"ftol": 0.0, "gtol": gtol, "maxiter": MAXITER,
                                               "maxfun": 10 * MAXITER})
    elif solver in SCIPY_NEWTON_CG:
        hess = dict(hess="2-point") if solver == "sp-newton-cg-2point" else dict(hessp=c.hessp)
        res = scipy.optimize.minimize(c.fun, x0, jac=c.grad_memo, method="Newton-CG",
                                      callback=c.stop_at(gtol),
                                      options={"xtol": 0.0, "maxiter": MAXITER}, **hess)
    elif solver == "sp-trust-krylov":
        res = scipy.optimize.minimize(c.fun, x0, jac=c.grad_memo, hessp=c.hessp,
                                      method="trust-krylov", callback=c.stop_at(gtol),
                                      options={"gtol": gtol, "maxiter": MAXITER})
    else:
        raise ValueError(f"unknown solver {solver!r}")
    return res, c


_problems = {}


def problem(nx):
    """(Problem, gtol) for nx, built once per process."""
    if nx not in _problems:
        prob = minimal_surface(nx)
        _problems[nx] = prob, RTOL * float(np.max(np.abs(prob.grad(prob.x0))))
    return _problems[nx]


def _missing_feature(solver):
    """Why this fastnewton has no such solver (a tiny probe solve), or None."""
    if not solver.startswith("fn-"):
        return None
    prob = minimal_surface(3)
    try:
        solve(solver, prob, 1e-6)
    except (ValueError, TypeError) as exc:
        text = str(exc)
        if "unknown method" in text or "unknown option" in text:
            return f"not in this fastnewton: {text}"
        raise
    return None


# -- one solve in a fresh child process: its time, peak memory and answer ----------------------

def _status_kb(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _child(nx, solver):
    """Run in the child: one solve, timed, with its peak memory; a dict (printed as JSON)."""
    prob, gtol = problem(nx)
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")                           # VmHWM := VmRSS (Linux >= 4.0)
        base = _status_kb("VmRSS")
        reset = _status_kb("VmHWM") <= base + 1024
    except OSError:
        base, reset = 0, False
    t0 = time.perf_counter()
    res, counts = solve(solver, prob, gtol)
    seconds = time.perf_counter() - t0
    if reset:
        peak = _status_kb("VmHWM") - base
    else:                                           # the whole child's peak, in kB on Linux
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return _info(prob, gtol, res, counts, seconds, peak / 1024.0, not reset)


def _info(prob, gtol, res, counts, seconds, peak_mb, whole_process):
    return dict(n=prob.n, gtol=gtol, seconds=seconds, nit=int(res.nit), nfev=counts.nfev,
                njev=counts.njev, gmax=float(np.max(np.abs(prob.grad(res.x)))),
                fun=float(res.fun), message=str(getattr(res, "message", "")),
                peak_mb=peak_mb, whole_process=whole_process)


def in_child(nx, solver):
    """_child(nx, solver) in a fresh interpreter (this file run as a script)."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", str(nx),
                          solver], capture_output=True, text=True, timeout=4 * 3600)
    if out.returncode != 0:
        raise RuntimeError(f"child solve of {solver} at nx={nx} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the benchmark ----------------------------------------------------------------------------

_results = {}        # (nx, solver) -> dict for the summary
_skipped = {}        # (nx, solver) -> why it has no time: skipped, or stopped short of gtol
_features = {}       # solver -> reason it is missing, or None
_started = set()     # (nx, solver) of every case that ran (or was skipped)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("nx", SIDES)
def test_minimal_surface(benchmark, nx, solver):
    _started.add((nx, solver))
    if solver not in _features:
        _features[solver] = _missing_feature(solver)
    if _features[solver] is not None:
        _skipped[nx, solver] = _features[solver]
        pytest.skip(_features[solver])
    prob, gtol = problem(nx)
    benchmark.extra_info.update(n=prob.n, nx=nx, solver=solver, gtol=gtol, rtol=RTOL)
    if nx in ROUNDS:
        # timed here, in rounds; the peak memory from one more solve in a child
        last = {}

        def run():
            t0 = time.perf_counter()
            res, counts = solve(solver, prob, gtol)
            last.update(res=res, counts=counts, seconds=time.perf_counter() - t0)
            return res

        warmup = 0 if benchmark.disabled else 1
        benchmark.pedantic(run, rounds=ROUNDS[nx], iterations=1, warmup_rounds=warmup)
        stats = getattr(getattr(benchmark, "stats", None), "stats", None)
        seconds = stats.median if stats is not None else last["seconds"]
        mem = in_child(nx, solver) if MEMORY else dict(peak_mb=None, whole_process=False)
        info = _info(prob, gtol, last["res"], last["counts"], seconds, mem["peak_mb"],
                     mem["whole_process"])
        info["timed"] = stats is not None
    else:
        # one round, in a fresh child that measures its time and peak memory in the same
        # solve (pytest-benchmark's figure for it includes the child's start-up)
        box = {}
        benchmark.pedantic(lambda: box.update(in_child(nx, solver)), rounds=1, iterations=1,
                           warmup_rounds=0)
        info = dict(box, timed=True)
    benchmark.extra_info.update({k: v for k, v in info.items() if k != "message"})
    if not info["gmax"] <= gtol:
        _skipped[nx, solver] = (f"FAILED: stopped at max|g| = {info['gmax']:.3g} > gtol after "
                                f"{info['seconds']:.3g} s ({info['message']})")
    assert info["gmax"] <= gtol, (f"{solver} at n={prob.n} stopped at max|g| = "
                                  f"{info['gmax']:.3e} > gtol = {gtol:.3e}: {info['message']!r}")
    _results[nx, solver] = info
    print(f"\n{solver} n={prob.n}: {json.dumps(info)}")      # shown with -s, as it happens


# -- summary ----------------------------------------------------------------------------------

def _fastest(nx, names):
    """(solver, seconds) of the fastest of `names` measured at nx, or None."""
    have = [(s, _results[nx, s]["seconds"]) for s in names if (nx, s) in _results]
    return min(have, key=lambda t: t[1]) if have else None


def _blas_threads():
    """The BLAS thread count in force (the default unless OPENBLAS_NUM_THREADS is set)."""
    counts = {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    text = "/".join(map(str, sorted(counts))) or "unknown"
    env = os.environ.get("OPENBLAS_NUM_THREADS")
    return text if env is None else f"{text}, OPENBLAS_NUM_THREADS={env}"


def _met(ok):
    return "met" if ok else "NOT met"


class _Summary:
    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter):
        if not _started:
            return
        tr = terminalreporter
        sides = sorted({nx for nx, _ in _started})
        rows, notes, whole = [], [], False
        for i, nx in enumerate(sides):
            best = _fastest(nx, SCIPY_SOLVERS)
            for s in SOLVERS:
                r = _results.get((nx, s))
                if (nx, s) not in _started:
                    continue
                if r is None:
                    reason = _skipped.get((nx, s), "failed (see above)")
                    rows.append((nx * nx, s, *[None] * 8, reason[:120]))
                    continue
                prev = _results.get((sides[i - 1], s)) if i > 0 else None
                mark = "*" if r["whole_process"] else ""
                whole = whole or r["whole_process"]
                rows.append((r["n"], s, r["seconds"], r["nit"], r["nfev"], r["njev"], r["gmax"],
                             "not run" if r["peak_mb"] is None else f"{r['peak_mb']:.1f}{mark}",
                             None if best is None else r["seconds"] / best[1],
                             None if prev is None else r["seconds"] / prev["seconds"],
                             None if r["timed"] else "untimed"))
            if best is not None:
                ran = [s for s in SCIPY_SOLVERS if (nx, s) in _results]
                of = ("" if len(ran) == len(SCIPY_SOLVERS)
                      else f" of those that ran ({', '.join(ran)})")
                notes.append(f"n={nx * nx}: SciPy's best{of} is {best[0]} ({fmt_time(best[1])})")
        gtols = ", ".join(f"n={nx * nx}: {problem(nx)[1]:.2e}" for nx in sides)
        write_table(
            tr, f"minimal surface: time to max|g| <= {RTOL:g} max|g(x0)| (gtol {gtols}; "
                f"BLAS threads: {_blas_threads()})",
            ("n", "solver", "time", "nit", "nfev", "njev", "max|g|", "peak MB", "/ SciPy best",
             "growth", "note"),
            rows, align=">" + "<" + ">" * 8 + "<",
            formats=("d", None, fmt_time, "d", "d", "d", ".2e", None, ".3g", ".3g", None),
            notes_before=["(njev: every gradient, finite-difference ones included; peak MB: "
                          "peak resident memory the solve added, measured in a child "
                          "process; growth: time / time at the previous n (9.99x or 10x "
                          "fewer variables))"],
            notes_after=notes + (["* the child's whole peak (ru_maxrss): the peak could not "
                                  "be reset before the solve"] if whole else [])
            + self._targets(sides))

    @staticmethod
    def _targets(sides):
        lines = []
        big = 1000
        if big in sides:
            best, ours = _fastest(big, SCIPY_SOLVERS), _results.get((big, "fn-newton-sparse"))
            if best is not None and ours is not None:
                speedup = best[1] / ours["seconds"]
                lines.append(f"target: sparse Newton >= {SPEEDUP_TARGET:g}x faster than SciPy's "
                             f"best at n = 10^6: {speedup:.3g}x, {_met(speedup >= SPEEDUP_TARGET)}")
        for nx in sides:
            theirs, ours = _fastest(nx, SCIPY_NEWTON_CG), _results.get((nx, "fn-newton-cg"))
            if theirs is not None and ours is not None:
                ratio = ours["seconds"] / theirs[1]
                lines.append(f"target: fastnewton Newton-CG faster than SciPy's Newton-CG "
                             f"({theirs[0]}) at n = {nx * nx}: ratio {ratio:.3g}, "
                             f"{_met(ratio < 1.0)}")
        for s in SOLVERS:
            growth = [_results[b, s]["seconds"] / _results[a, s]["seconds"]
                      for a, b in zip(sides, sides[1:])
                      if (a, s) in _results and (b, s) in _results]
            if growth:
                text = ", ".join(f"{g:.3g}" for g in growth)
                if s.startswith("fn-"):
                    lines.append(f"target: time growth <= ~{GROWTH_TARGET:g}x per 10x in n, "
                                 f"{s}: {text}, {_met(max(growth) <= GROWTH_TARGET)}")
                else:
                    lines.append(f"(time growth per 10x in n, {s}: {text})")
        return lines


@pytest.fixture(scope="module", autouse=True)
def _summary_plugin(register_summary):
    register_summary("fastnewton-bench-large-summary", _Summary())


if __name__ == "__main__":       # the child: python bench_large.py --child nx solver
    if len(sys.argv) != 4 or sys.argv[1] != "--child":
        sys.exit("usage: python bench/bench_large.py --child nx solver")
    print(json.dumps(_child(int(sys.argv[2]), sys.argv[3])))
