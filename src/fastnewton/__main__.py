"""Command line: ``python -m fastnewton demo`` (the main job) and ``python -m fastnewton selfcheck``.

``selfcheck`` exercises every compiled module against results computed independently of
fastnewton (NumPy, SciPy's Rosenbrock, closed forms, the Wolfe conditions checked here in
Python), prints one line per check and exits 1 if any check fails. It needs nothing but the
installed package, numpy and scipy (no compiler), so it can vouch for a wheel on its own.
"""
import argparse
import ctypes
import importlib
import importlib.machinery
import sys

import numpy as np

# The compiled modules; selfcheck checks that each is an extension module and exercises it.
# KERNELS have a .pxd (shipped, for cimport); the Python faces (_api, _unit) do not.
KERNELS = ("_linalg", "_objective", "_fdiff", "_linesearch", "_engine", "_newton",
           "_quasi_newton", "_methods", "_blas_threads")
COMPILED = KERNELS + ("_api", "_unit")


class _Checks:
    """Runs named checks, printing ``ok`` / ``FAIL`` and a detail line for each."""

    def __init__(self):
        self.failed = []

    def run(self, name, check):
        try:
            ok, detail = check()
        except Exception as exc:   # a crash is a failed check, reported like one
            ok, detail = False, f"raised {type(exc).__name__}: {exc}"
        print(f"{'ok  ' if ok else 'FAIL'}  {name:<34} {detail}")
        if not ok:
            self.failed.append(name)


def _compiled(name):
    mod = importlib.import_module(f"fastnewton.{name}")
    loader = getattr(mod.__spec__, "loader", None)
    ok = (isinstance(loader, importlib.machinery.ExtensionFileLoader)
          and mod.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)))
    return ok, mod.__file__


def _spd(n, rng):
    m = rng.standard_normal((n, n))
    return m @ m.T + n * np.eye(n)


def _check_cho_solve():
    from .linalg import cho_solve_inplace
    rng = np.random.default_rng(0)
    n = 50
    a, b = _spd(n, rng), rng.standard_normal(n)
    x = cho_solve_inplace(a.copy(), b.copy())
    ref = np.linalg.solve(a, b)
    err = np.linalg.norm(x - ref) / np.linalg.norm(ref)
    return err < 1e-10, f"n={n}: |x - numpy.linalg.solve| / |x| = {err:.1e}"


def _check_modified_cholesky():
    from .linalg import modified_cholesky
    rng = np.random.default_rng(1)
    n = 50
    a = _spd(n, rng) - 2.0 * n * np.eye(n)              # indefinite
    lowest = np.linalg.eigvalsh(a)[0]
    f = a.copy()
    tau = modified_cholesky(f)
    lo = np.tril(f)
    err = np.abs(lo @ lo.T - (a + tau * np.eye(n))).max() / np.abs(a).max()
    ok = lowest < 0.0 and tau > -lowest and err < 1e-12
    return ok, (f"n={n}, lowest eigenvalue {lowest:.3g}: tau={tau:.3g}, "
                f"|L L^T - (A + tau I)| / |A| = {err:.1e}")


def _quadratic(n, rng):
    a = _spd(n, rng) / n
    b = rng.standard_normal(n)
    return a, b, (lambda x: 0.5 * x @ a @ x + b @ x), (lambda x: a @ x + b)


def _check_gradient():
    from . import gradient
    rng = np.random.default_rng(2)
    a, b, f, _ = _quadratic(8, rng)
    x = rng.standard_normal(8)
    exact = a @ x + b
    err = np.abs(gradient(f, x) - exact).max() / np.abs(exact).max()
    return err < 1e-7, f"quadratic, n=8: |g - (A x + b)| / |A x + b| = {err:.1e}"


def _check_hessian():
    from . import hessian
    rng = np.random.default_rng(3)
    a, _, f, g = _quadratic(8, rng)
    x = rng.standard_normal(8)
    e_grad = np.abs(hessian(f, x, jac=g) - a).max() / np.abs(a).max()
    e_vals = np.abs(hessian(f, x) - a).max() / np.abs(a).max()
    return (e_grad < 1e-7 and e_vals < 1e-5,
            f"quadratic, n=8: |H - A| / |A| = {e_grad:.1e} (from gradients), "
            f"{e_vals:.1e} (from values)")


def _check_line_search():
    from scipy.optimize import rosen, rosen_der

    from . import line_search
    x = np.array([-1.2, 1.0, -0.5, 0.8])
    g = rosen_der(x)
    p = -g
    c1, c2 = 1e-4, 0.9
    alpha = line_search(rosen, rosen_der, x, p, c1=c1, c2=c2)[0]
    if alpha is None:
        return False, "no step found"
    f0, slope0 = rosen(x), g @ p
    armijo = rosen(x + alpha * p) <= f0 + c1 * alpha * slope0
    curvature = abs(rosen_der(x + alpha * p) @ p) <= c2 * abs(slope0)
    return (alpha > 0.0 and armijo and curvature,
            f"Rosenbrock along -g: alpha={alpha:.3g}, sufficient decrease {armijo}, "
            f"curvature {curvature}")


def _check_minimize(method):
    from scipy.optimize import rosen, rosen_der

    from . import minimize

    def run():
        # n = 3: the chained Rosenbrock has one minimizer, x = 1 (n = 4..7 have a second)
        x0 = np.array([-1.2, 1.0, -0.5])
        res = minimize(rosen, x0, jac=rosen_der, method=method)
        err = np.abs(res.x - 1.0).max()
        return (res.success and err < 1e-3,
                f"Rosenbrock n=3: status {res.status}, nit {res.nit}, |x - 1| = {err:.1e}")
    return run


def _check_lowlevelcallable():
    from scipy import LowLevelCallable
    from scipy.optimize import rosen, rosen_der

    from . import minimize
    p_double = ctypes.POINTER(ctypes.c_double)
    proto = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, p_double, p_double,
                             ctypes.c_void_p)
    calls = [0]

    def value_grad(n, x, grad, user_data):        # double (int, double *, double *, void *)
        calls[0] += 1
        xv = np.ctypeslib.as_array(x, shape=(n,))
        if grad:                                   # NULL when only the value is wanted
            np.ctypeslib.as_array(grad, shape=(n,))[:] = rosen_der(xv)
        return rosen(xv)

    cfun = proto(value_grad)
    res = minimize(LowLevelCallable(cfun), np.array([-1.2, 1.0]), method="newton")
    err = np.abs(res.x - 1.0).max()
    return (res.success and err < 1e-3 and calls[0] > 0,
            f"ctypes objective, Newton, n=2: status {res.status}, {calls[0]} C calls, "
            f"|x - 1| = {err:.1e}")


def _check_blas_threads():
    """Inside a small solve the BLAS that the kernels call runs on one thread (when the
    library's count can be changed at all), and the caller's count is back afterwards."""
    from threadpoolctl import ThreadpoolController

    from . import _blas_threads
    from ._minimize import minimize

    found = _blas_threads.info()
    if found.get("scope") is None:
        return True, f"BLAS thread count left alone: {found.get('reason')}"
    lib = ThreadpoolController().select(filepath=found["filepath"])
    before = lib.info()[0]["num_threads"]
    seen = []

    def f(x):
        seen.append(lib.info()[0]["num_threads"])
        return float(x @ x)

    minimize(f, np.ones(3), jac=lambda x: 2.0 * x, method="bfgs")
    after = lib.info()[0]["num_threads"]
    inside = set(seen[1:])          # seen[0]: f(x0), evaluated before the iteration starts
    return (inside == {1} and after == before,
            f"{found['api']} ({found['scope']}-wide count): {before} thread(s) before, "
            f"{sorted(inside)} inside a solve's iteration at n=3, {after} after")


def _check_testing():
    # the demo's problem set ships with the package (a subpackage the wheel must include)
    from .testing import NAMES, get
    p = get("extended_rosenbrock", 4)
    xstar = np.ones(4)                        # its minimizer, f* = 0 (MGH problem 21)
    ok = (len(NAMES) == 36 and p.fun(xstar) == 0.0 and not p.grad(xstar).any()
          and abs(p.fun(p.x0) - 48.4) < 1e-12)  # 2 (100 (1 - 1.44)^2 + (1 + 1.2)^2)
    return ok, f"{len(NAMES)} problems; extended_rosenbrock n=4: f(x0) = {p.fun(p.x0)}"


def selfcheck():
    """Run every check; return the number that failed."""
    checks = _Checks()
    for name in COMPILED:
        checks.run(f"fastnewton.{name} is compiled", lambda name=name: _compiled(name))
    checks.run("cho_solve_inplace", _check_cho_solve)
    checks.run("modified_cholesky", _check_modified_cholesky)
    checks.run("gradient", _check_gradient)
    checks.run("hessian", _check_hessian)
    checks.run("line_search (strong Wolfe)", _check_line_search)
    for method in ("newton", "bfgs", "lbfgs", "sr1"):
        checks.run(f"minimize(method={method!r})", _check_minimize(method))
    checks.run("minimize(LowLevelCallable)", _check_lowlevelcallable)
    checks.run("BLAS threads of a small solve", _check_blas_threads)
    checks.run("fastnewton.testing (demo problems)", _check_testing)
    if checks.failed:
        print(f"selfcheck FAILED: {', '.join(checks.failed)}")
    else:
        print("selfcheck passed")
    return len(checks.failed)


def _parser():
    from . import _demo

    parser = argparse.ArgumentParser(
        prog="python -m fastnewton",
        description="fastnewton: compiled Newton and quasi-Newton minimization.")
    sub = parser.add_subparsers(dest="command", metavar="command", required=True)
    demo = sub.add_parser("demo", help="solve standard test problems beside SciPy",
                          description=_demo.__doc__,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    _demo.add_arguments(demo)
    sub.add_parser("selfcheck", help="check the installed compiled kernels (about a second)",
                   description="Exercise every compiled module against independent "
                               "results; exit 1 if any check fails.")
    return parser


def main(argv=None):
    ns = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if ns.command == "selfcheck":
        return 1 if selfcheck() else 0
    from . import _demo
    _demo.run_parsed(ns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
