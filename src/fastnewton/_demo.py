"""``python -m fastnewton demo``: standard test problems, fastnewton beside SciPy.

For each problem both solvers get the same Python objective and analytic gradient. fastnewton
runs its compiled loop (Newton with a finite-difference Hessian by default); SciPy runs its
closest counterpart: Newton -> ``trust-exact`` with a finite-difference Hessian callable built
on ``approx_derivative`` (trust-exact refuses the FD strings), BFGS -> ``BFGS``, L-BFGS ->
``L-BFGS-B`` without bounds, SR1 -> ``trust-constr`` with ``hess=SR1()``. ``--method all``
runs the four. Times are best of a few runs.
"""
import argparse
import time
import warnings

import numpy as np

from . import testing
from ._minimize import _METHOD_OPTIONS, minimize

DEMO_PROBLEMS = (
    ("rosenbrock", None),
    ("extended_rosenbrock", 100),
    ("powell_singular", None),
    ("wood", None),
    ("beale", None),
    ("helical_valley", None),
    ("nonconvex_saddle", None),
)


def _scipy_counterpart(method, prob):
    """(label, callable running SciPy's counterpart of `method` on prob, at gtol 1e-5)."""
    from scipy.optimize import SR1
    from scipy.optimize import minimize as sp_minimize
    from scipy.optimize._numdiff import approx_derivative

    calls = [0]

    def grad(x):                       # counts every gradient, the FD Hessian's included
        calls[0] += 1
        return prob.grad(x)

    def fd_hess(x):
        h = approx_derivative(grad, x, method="3-point")
        return 0.5 * (h + h.T)

    def run(meth, **kw):
        def go():
            calls[0] = 0
            res = sp_minimize(prob.fun, prob.x0, jac=grad, method=meth, **kw)
            res.njev = calls[0]
            return res
        return go

    if method == "newton":
        return "trust-exact", run("trust-exact", hess=fd_hess, options={"gtol": 1e-5})
    if method == "bfgs":
        return "BFGS", run("BFGS", options={"gtol": 1e-5})
    if method == "lbfgs":
        # L-BFGS-B stops on its projected-gradient norm pgtol (its name for gtol)
        return "L-BFGS-B", run("L-BFGS-B", options={"gtol": 1e-5, "ftol": 0.0,
                                                   "maxiter": 200 * prob.n})
    return "trust-constr SR1", run("trust-constr", hess=SR1(), options={"gtol": 1e-5})


def _best_time(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


METHODS = tuple(_METHOD_OPTIONS)          # newton, bfgs, lbfgs, sr1


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_arguments(parser):
    """The demo's options, on `parser` (``python -m fastnewton demo`` builds it)."""
    parser.add_argument("--method", default="newton", type=str.lower,
                        choices=METHODS + ("all",),
                        help="fastnewton method, or 'all' for the four (default: newton)")
    parser.add_argument("--repeat", type=_positive_int, default=3,
                        help="timing repeats; the best is shown (default: 3)")


def run_parsed(ns):
    """Print the tables for parsed options `ns` (``method``, ``repeat``)."""
    for method in METHODS if ns.method == "all" else (ns.method,):
        _table(method, ns.repeat)
        if method == "newton":
            _large_table(ns.repeat)


LARGE_NX = 100            # the large-n row: minimal surface on a 100 x 100 grid, n = 10,000


def _large_table(repeat):
    """The large-n row: MINPACK-2's minimal surface (n = 10,000, a 7-point Hessian pattern),
    fastnewton's sparse Newton (options['hess_sparsity']) and Newton-CG beside SciPy's
    L-BFGS-B, its fastest method at this size (bench/bench_large.py has the others and larger
    n), all to max|g| <= 1e-6 max|g(x0)|."""
    from scipy.optimize import minimize as sp_minimize
    prob = testing.minimal_surface(LARGE_NX)
    gtol = 1e-6 * float(np.max(np.abs(prob.grad(prob.x0))))
    runs = (
        ("fastnewton newton (sparse)", lambda: minimize(
            prob.fun, prob.x0, jac=prob.grad, method="newton",
            options={"hess_sparsity": prob.sparsity, "gtol": gtol})),
        ("fastnewton newton-cg", lambda: minimize(
            prob.fun, prob.x0, jac=prob.grad, method="newton-cg", options={"gtol": gtol})),
        ("scipy L-BFGS-B", lambda: sp_minimize(
            prob.fun, prob.x0, jac=prob.grad, method="L-BFGS-B",
            options={"gtol": gtol, "ftol": 0.0, "maxiter": 100 * prob.n,
                     "maxfun": 1000 * prob.n})),
    )
    times = [_best_time(fn, repeat) for _, fn in runs]
    t_sp = times[-1][0]
    header = (f"{'problem':<22}{'n':>7}  {'solver':<28}{'nit':>5}{'njev':>7}{'|g|_inf':>10}"
              f"{'time':>11}{'speed-up':>9}")
    print(f"Large n: minimal surface ({LARGE_NX} x {LARGE_NX} grid), sparse Newton and "
          f"Newton-CG vs SciPy's L-BFGS-B\n")
    print(header)
    print("-" * len(header))
    for (solver, _), (t, res) in zip(runs, times):
        gnorm = np.max(np.abs(prob.grad(res.x)))
        mark = "" if res.success and gnorm <= gtol else " (failed)"
        first = solver == runs[0][0]
        speed = f"{t_sp / t:.1f}x" if solver.startswith("fast") else ""
        print(f"{'minimal_surface' if first else '':<22}{prob.n if first else '':>7}  "
              f"{solver:<28}{res.nit:>5}{getattr(res, 'njev', 0):>7}{gnorm:>10.1e}"
              f"{t * 1e3:>9.1f}ms{speed:>9}{mark}")
    print(f"\nall stop at max|g| <= 1e-6 max|g(x0)| = {gtol:.1e}; speed-up: SciPy's time / "
          f"fastnewton's (best of {repeat}). SciPy's L-BFGS-B uses BLAS threads as installed;"
          f"\nbench/bench_large.py compares every SciPy option at n = 10^4 to 10^6.\n")


def _table(method, repeat):
    header = (f"{'problem':<22}{'n':>5}  {'solver':<24}{'nit':>5}{'nfev':>7}{'njev':>7}"
              f"{'|g|_inf':>10}{'f':>12}{'time':>10}{'speed-up':>9}")
    print(f"fastnewton {method} vs SciPy, same Python objective and gradient\n")
    print(header)
    print("-" * len(header))
    for name, n in DEMO_PROBLEMS:
        prob = testing.get(name, n)
        t_ours, r = _best_time(lambda: minimize(prob.fun, prob.x0, jac=prob.grad,
                                                method=method), repeat)
        label, sp = _scipy_counterpart(method, prob)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_sp, s = _best_time(sp, repeat)
        for solver, res, t, speed in ((f"fastnewton {method}", r, t_ours, t_sp / t_ours),
                                      (f"scipy {label}", s, t_sp, None)):
            gnorm = np.max(np.abs(prob.grad(res.x)))
            mark = "" if res.success else " (failed)"
            print(f"{name if solver.startswith('fast') else '':<22}"
                  f"{prob.n if solver.startswith('fast') else '':>5}  {solver:<24}"
                  f"{res.nit:>5}{res.nfev:>7}{getattr(res, 'njev', 0):>7}{gnorm:>10.1e}"
                  f"{res.fun:>12.4e}{t * 1e3:>8.2f}ms"
                  f"{(f'{speed:.1f}x' if speed else ''):>9}{mark}")
    print("\nnjev counts every gradient evaluation, a finite-difference Hessian's included;"
          "\nspeed-up: SciPy's time / fastnewton's time (best of"
          f" {repeat}); both solvers stop at max|g| <= 1e-5.\n")
