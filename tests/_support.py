"""Support shared by tests/ and bench/: the C test objectives, the line-search objective family,
and a call counter.

Loaded once by the repository's root ``conftest.py`` under the module name ``_support`` (pytest
runs with --import-mode=importlib, so tests/ is not on sys.path), so that test and benchmark
files say ``from _support import ...``; the root conftest's fixtures ``cobj``, ``lslib`` and
``cmin`` hand out the compiled libraries, built once per session. A missing C compiler is an
error, never a skip: CI has gcc, and a skipped C path would hide exactly what these tests are for.

* ``compile_shared(outdir, source)``: a C file of tests/ (or any) as a shared library.
* ``CObjectives`` (tests/cobjectives.c, fixture ``cobj``)::

    fun = cobj.rosen()                  # "double (int, double *, double *, void *)"
    fun = cobj.rosen(value_only=True)   # "double (int, double *, void *)"
    fun = cobj.quadratic(A)             # 0.5 x^T A x, A in user_data (kept alive by the callable)
    fun, counts = cobj.counted_rosen()  # counts[0]: calls, counts[1]: calls asking for a gradient
    fun, gate = cobj.gated_rosen()      # each call waits for an answer; gate.answering() answers

* ``Family``, ``make_problem``, ``make_direction``: the parametric smooth family of the
  line-search tests and benchmarks, with its C twin ``family_fg`` in tests/cobjectives_ls.c,
  loaded by ``LSLib`` (fixture ``lslib``).
* ``MinCObjectives`` (tests/cobjectives_min.c, fixture ``cmin``): the extended Rosenbrock.
* ``run``, ``ls_warnings``, ``assert_strong_wolfe``, ``check_search``, ``searches``: the
  line-search tests' checks (strong Wolfe recomputed from the analytic f and gradient) and
  their hypothesis strategy.
* ``Counted``: wraps a callable and counts its calls.
* ``SigintChild``: a child process running a long C-objective solve, to send SIGINT to
  (tests/test_interrupt.py, bench/bench_interrupt.py).
"""
import contextlib
import ctypes
import json
import os
import select
import shlex
import signal
import subprocess
import sys
import sysconfig
import threading
import time

import math
import warnings

import numpy as np
from hypothesis import HealthCheck
from hypothesis import strategies as st
from scipy import LowLevelCallable

import fastnewton

# SciPy's class where SciPy has it; taken from the module line_search lives in, so that this
# file also loads against other builds (bench/compare_builds.py runs it under an old one)
LineSearchWarning = sys.modules[fastnewton.line_search.__module__].LineSearchWarning

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "cobjectives.c")
INCLUDE = os.path.join(os.path.dirname(HERE), "csrc")
# -ffp-contract=off: no FMA contraction, so the C formulas round exactly like their NumPy twins.
CFLAGS = ["-O2", "-shared", "-fPIC", "-ffp-contract=off", "-Werror=incompatible-pointer-types"]

_c_int, _c_double, _c_void_p = ctypes.c_int, ctypes.c_double, ctypes.c_void_p
_p_double = ctypes.POINTER(ctypes.c_double)
# argtypes per exported function; restype is double for all of them
_VALUE_GRAD = [_c_int, _p_double, _p_double, _c_void_p]
_VALUE = [_c_int, _p_double, _c_void_p]
_SIGNATURES = {
    "rosen_fg": _VALUE_GRAD,
    "rosen_f": _VALUE,
    "quad_fg": _VALUE_GRAD,
    "quad_f": _VALUE,
    "counted_rosen_fg": _VALUE_GRAD,
    "counted_rosen_f": _VALUE,
    "gated_rosen_fg": _VALUE_GRAD,
    "bad_signature": [_c_double, _c_void_p],
    "fd_hessian_floor": [_c_void_p, _c_void_p, _c_int, _p_double, _c_double, _c_int, _p_double],
}


def compiler():
    """The C compiler command: $CC, else Python's configured CC, else ``cc``."""
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return shlex.split(cc)


def compile_shared(outdir, source=SOURCE):
    """Compile `source` into a shared library in `outdir`; return its path."""
    out = os.path.join(os.fspath(outdir), os.path.splitext(os.path.basename(source))[0] + ".so")
    cmd = compiler() + CFLAGS + ["-I", INCLUDE, "-o", out, source, "-lm"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError as e:
        raise RuntimeError(f"no C compiler: {cmd[0]!r} not found ({e}). The C-objective tests "
                           "need one (set CC to choose it).") from None
    if proc.returncode != 0:
        raise RuntimeError(f"compiling {source} failed:\n$ {shlex.join(cmd)}\n"
                           f"{proc.stdout}{proc.stderr}")
    return out


def _ptr(a):
    """a (float64, C-contiguous) as double *, keeping a alive."""
    return a.ctypes.data_as(_p_double)


def _voidp(a):
    """A c_void_p to a's data. ctypes.cast keeps its source -- and so the array -- alive."""
    return ctypes.cast(a.ctypes.data_as(_p_double), _c_void_p)


def rosen_value(x):
    """Python twin of rosen_f / rosen_fg's value in cobjectives.c: summed left to right, the
    same operations in the same order, so the numbers agree bit for bit."""
    s = 0.0
    for i in range(x.shape[0] - 1):
        a, b = float(x[i]), float(x[i + 1])
        t = b - a * a
        u = 1.0 - a
        s += 100.0 * t * t + u * u
    return s


def rosen_grad(x):
    """Python twin of rosen_fg's gradient, operation for operation. (Not
    scipy.optimize.rosen_der: its end components square NumPy scalars with ``**2``, i.e. pow(),
    which can differ from x*x in the last bit.)"""
    x = np.asarray(x, dtype=float)
    g = np.empty_like(x)
    g[0] = -400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0])
    xm, xl, xr = x[1:-1], x[:-2], x[2:]
    g[1:-1] = 200.0 * (xm - xl * xl) - 400.0 * (xr - xm * xm) * xm - 2.0 * (1.0 - xm)
    g[-1] = 200.0 * (x[-1] - x[-2] * x[-2])
    return g


class Gate:
    """The state of gated_rosen_fg (tests/cobjectives.c): ``calls``, ``answered``,
    ``timeouts`` (calls that waited out the limit unanswered)."""

    def __init__(self, limit_ms):
        self.ud = np.array([0, 0, 0, int(limit_ms)], dtype=np.int64)
        self.ptr = _voidp(self.ud)

    calls = property(lambda self: int(self.ud[0]))
    answered = property(lambda self: int(self.ud[1]))
    timeouts = property(lambda self: int(self.ud[2]))

    @contextlib.contextmanager
    def answering(self):
        """A Python thread answers every call while the block runs. It needs the GIL for
        each answer (a Python store into ``ud``)."""
        stop = threading.Event()
        ud = self.ud

        def answer():
            while not stop.is_set():
                ud[1] = ud[0]

        t = threading.Thread(target=answer, daemon=True)
        t.start()
        try:
            yield self
        finally:
            stop.set()
            t.join()


class CObjectives:
    """The loaded library and LowLevelCallable factories for its objectives; ``rosen_value``
    and ``rosen_grad`` are the Python twins of ``rosen_fg``."""

    rosen_value = staticmethod(rosen_value)
    rosen_grad = staticmethod(rosen_grad)

    def __init__(self, path):
        self.path = path
        self.lib = ctypes.CDLL(path)
        # the same library through PyDLL: its calls keep the GIL held (the GIL tests' controls)
        self.pylib = ctypes.PyDLL(path)
        for lib in (self.lib, self.pylib):
            for name, argtypes in _SIGNATURES.items():
                fn = getattr(lib, name)
                fn.restype = ctypes.c_double
                fn.argtypes = argtypes
            lib.answer_calls.restype = ctypes.c_longlong
            lib.answer_calls.argtypes = [_c_void_p, ctypes.c_longlong, _c_double,
                                         ctypes.POINTER(ctypes.c_longlong)]

    def llc(self, name, user_data=None):
        """LowLevelCallable for the exported function `name` (signature from its argtypes)."""
        return LowLevelCallable(getattr(self.lib, name), user_data)

    def rosen(self, value_only=False):
        """Chained Rosenbrock (scipy.optimize.rosen's form); its gradient follows rosen_der's
        formulas, but NumPy's scalar ** 2 can differ from x * x by an ulp at the two ends."""
        return self.llc("rosen_f" if value_only else "rosen_fg")

    def quadratic(self, A, value_only=False):
        """0.5 x^T A x with a C-contiguous float64 copy of A as user_data.

        The callable holds the only reference to the copy (through its user_data), so the
        matrix lives exactly as long as the callable.
        """
        a = np.array(A, dtype=np.float64, order="C", copy=True)
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            raise ValueError(f"A must be square, got shape {a.shape}")
        return self.llc("quad_f" if value_only else "quad_fg", _voidp(a))

    def counted_rosen(self, value_only=False):
        """(callable, counts): Rosenbrock that counts its calls into counts (int64[2]).

        counts[0] += 1 on every call, counts[1] += 1 when the gradient was asked for. Reset
        with ``counts[:] = 0``.
        """
        counts = np.zeros(2, dtype=np.int64)   # long long on every platform CPython supports
        ud = ctypes.cast(counts.ctypes.data_as(ctypes.POINTER(ctypes.c_longlong)), _c_void_p)
        return self.llc("counted_rosen_f" if value_only else "counted_rosen_fg", ud), counts

    def gated_rosen(self, limit_ms=60_000):
        """(callable, Gate): rosen_fg whose every call waits, up to `limit_ms`, for an answer
        (see gated_rosen_fg in cobjectives.c and ``Gate.answering``)."""
        gate = Gate(limit_ms)
        return self.llc("gated_rosen_fg", gate.ptr), gate

    def bad_signature(self):
        """A LowLevelCallable with signature ``double (double, void *)``."""
        return self.llc("bad_signature")

    def hessian_floor(self, x, name="rosen_fg", user_data=None, rel_step=None, reps=1):
        """A no-argument callable running `reps` floors of a central FD Hessian in C.

        See ``fd_hessian_floor`` in cobjectives.c: 2n + 1 gradient calls per Hessian through a
        function pointer, nothing else; one ctypes call for all `reps`.
        """
        x = np.array(x, dtype=np.float64, order="C", copy=True)
        n = x.shape[0]
        work = np.empty(4 * n)
        r = np.finfo(np.float64).eps ** (1.0 / 3.0) if rel_step is None else float(rel_step)
        fn = ctypes.cast(getattr(self.lib, name), _c_void_p)
        ud = None if user_data is None else user_data
        args = (fn, ud, n, _ptr(x), r, int(reps), _ptr(work))
        floor = self.lib.fd_hessian_floor

        def run():
            return floor(*args)

        run.keepalive = (x, work, fn, ud)
        return run


def build(outdir):
    """Compile tests/cobjectives.c into `outdir` and load it."""
    return CObjectives(compile_shared(outdir))


def _declare(lib, name, argtypes):
    fn = getattr(lib, name)
    fn.restype = ctypes.c_double
    fn.argtypes = argtypes
    return fn


# -- the line-search family (tests/cobjectives_ls.c) --------------------------------------------
#   f(x) = sum_i [d_i x_i^2 / 2 + b_i x_i + q_i x_i^4 + s_i sin(k_i x_i)] + sum_j w_j exp(c_j.x)

class Family:
    """The Python twin of ``family_fg`` (tests/cobjectives_ls.c).

    quiet : bool
        Evaluate under ``np.errstate(over="ignore", invalid="ignore")``, for tests that
        drive the family into overflow. The benchmarks pass False: the context manager costs
        1-2 us per call, which would be timed as the objective's.
    """

    def __init__(self, kind, d, b, q=None, s=None, k=None, w=(), C=None, quiet=True):
        n = len(d)
        z = np.zeros(n)
        self.kind = kind
        self.n = n
        self.d, self.b = np.asarray(d, float), np.asarray(b, float)
        self.q = z if q is None else np.asarray(q, float)
        self.s = z if s is None else np.asarray(s, float)
        self.k = z if k is None else np.asarray(k, float)
        self.w = np.asarray(w, float)
        self.C = np.zeros((0, n)) if C is None else np.asarray(C, float).reshape(len(self.w), n)
        if quiet:
            self.f, self.grad = self._quiet(self._f), self._quiet(self._grad)
        else:
            self.f, self.grad = self._f, self._grad

    @staticmethod
    def _quiet(fn):
        def quiet(x):
            with np.errstate(over="ignore", invalid="ignore"):
                return fn(x)
        return quiet

    def _f(self, x):
        x2 = x * x
        v = np.sum(0.5 * self.d * x2 + self.b * x + self.q * (x2 * x2)
                   + self.s * np.sin(self.k * x))
        if self.w.size:
            v += np.sum(self.w * np.exp(self.C @ x))
        return float(v)

    def _grad(self, x):
        g = (self.d * x + self.b + 4.0 * self.q * (x * x * x)
             + self.s * self.k * np.cos(self.k * x))
        if self.w.size:
            g = g + (self.w * np.exp(self.C @ x)) @ self.C
        return g

    def params(self):
        """The user_data block of family_fg (see cobjectives_ls.c)."""
        return np.ascontiguousarray(np.concatenate(
            [self.d, self.b, self.q, self.s, self.k, [float(self.w.size)], self.w,
             self.C.ravel()]))

    def __repr__(self):
        return f"Family({self.kind}, n={self.n})"


KINDS = ("quadratic", "quartic", "exponential", "trig")


def make_problem(kind, n, rng, quiet=True):
    """A random member of one of the ``KINDS`` at dimension n (see ``Family`` for quiet)."""
    if kind == "quadratic":      # convex, condition number up to 100
        return Family(kind, rng.uniform(0.1, 10.0, n), rng.standard_normal(n), quiet=quiet)
    if kind == "quartic":        # double wells where d < 0: nonconvex
        return Family(kind, rng.uniform(-2.0, 2.0, n), rng.standard_normal(n),
                      q=rng.uniform(0.05, 1.0, n), quiet=quiet)
    if kind == "exponential":    # sum of exponentials plus a little curvature
        m = 3
        return Family(kind, rng.uniform(0.0, 0.5, n), 0.1 * rng.standard_normal(n),
                      w=rng.uniform(0.5, 2.0, m), C=rng.standard_normal((m, n)) / np.sqrt(n),
                      quiet=quiet)
    if kind == "trig":           # many local minima along any line
        return Family(kind, rng.uniform(0.05, 0.5, n), 0.1 * rng.standard_normal(n),
                      s=rng.uniform(0.5, 2.0, n), k=rng.uniform(0.5, 3.0, n), quiet=quiet)
    raise ValueError(kind)


def make_direction(mode, g, rng):
    """A descent direction at gradient g: steepest, scaled steepest, or random."""
    n = g.shape[0]
    if mode == "steepest":
        return -g
    if mode == "scaled":         # steepest descent, badly scaled: the first step is far off
        return -g * 10.0 ** rng.uniform(-3.0, 2.0)
    p = rng.standard_normal(n)   # random, flipped to be a descent direction
    return -p if p @ g > 0 else p


class LSLib:
    """tests/cobjectives_ls.c, compiled and loaded: ``family_fg``, ``family_f``,
    ``ls_eval_floor`` (k value-and-gradient calls at x + t_j p, the benchmarks' floor)."""

    def __init__(self, path):
        self.path = path
        self.lib = ctypes.CDLL(path)
        _declare(self.lib, "family_fg", _VALUE_GRAD)
        _declare(self.lib, "family_f", _VALUE)
        _declare(self.lib, "ls_eval_floor", [_c_void_p, _c_void_p, _c_int, _p_double,
                                             _p_double, _p_double, _c_int, _p_double])

    def family(self, prob, value_only=False):
        """(LowLevelCallable, f, grad): the C objective of `prob` (a ``Family``) and ctypes
        evaluators of ``family_fg`` with the same parameters (``llc.user_data``)."""
        params = prob.params()
        ud = _voidp(params)                  # keeps params alive
        fn = self.lib.family_f if value_only else self.lib.family_fg
        return LowLevelCallable(fn, ud), *self.evaluators("family_fg", ud, prob.n)

    def evaluators(self, name, ud, n):
        """(f, grad) calling the exported value-and-gradient function `name` through ctypes."""
        fg = getattr(self.lib, name)

        def f(x):
            x = np.ascontiguousarray(x, dtype=np.float64)
            return fg(n, _ptr(x), None, ud)

        def grad(x):
            x = np.ascontiguousarray(x, dtype=np.float64)
            g = np.empty(n)
            fg(n, _ptr(x), _ptr(g), ud)
            return g

        return f, grad


# -- the extended Rosenbrock (tests/cobjectives_min.c) ------------------------------------------

class MinCObjectives:
    """tests/cobjectives_min.c, compiled and loaded: ``ext_rosen_fg``, ``ext_rosen_f``,
    ``ext_rosen_hessp``."""

    def __init__(self, path):
        self.path = path
        self.lib = ctypes.CDLL(path)
        _declare(self.lib, "ext_rosen_fg", _VALUE_GRAD)
        _declare(self.lib, "ext_rosen_f", _VALUE)
        hp = self.lib.ext_rosen_hessp
        hp.restype = ctypes.c_int
        hp.argtypes = [_c_int, _p_double, _p_double, _p_double, _c_void_p]

    def llc(self, name, user_data=None):
        return LowLevelCallable(getattr(self.lib, name), user_data)


def build_ls(outdir):
    """Compile tests/cobjectives_ls.c into `outdir` and load it."""
    return LSLib(compile_shared(outdir, os.path.join(HERE, "cobjectives_ls.c")))


def build_min(outdir):
    """Compile tests/cobjectives_min.c into `outdir` and load it."""
    return MinCObjectives(compile_shared(outdir, os.path.join(HERE, "cobjectives_min.c")))


# -- call counting --------------------------------------------------------------------------------

class Counted:
    """Wraps a callable ``fun`` and counts its calls in ``calls``."""

    def __init__(self, fun):
        self.fun = fun
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fun(*args, **kwargs)


# -- line-search checks (the tests/test_linesearch_*.py files) -----------------------------------

EPS = np.finfo(np.float64).eps
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])   # hypothesis


def run(ls, f, fprime, xk, pk, **kw):
    """ls(...) with every warning recorded: (result tuple, list of warnings)."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = ls(f, fprime, xk, pk, **kw)
    return out, rec


def ls_warnings(rec):
    return [w for w in rec if issubclass(w.category, LineSearchWarning)]


def assert_strong_wolfe(fun, grad, xk, pk, alpha, c1, c2, f0=None, g0=None):
    """Both strong Wolfe conditions at alpha, from fun/grad, with a rounding-level slack.

    The Armijo test is the kernel's own expression f0 + c1 alpha (g0 . p) on the same numbers
    (so it holds exactly; the slack is a few ulps of f); the curvature slack covers only the
    summation order of the dot products.
    """
    f0 = fun(xk) if f0 is None else f0
    g0 = grad(xk) if g0 is None else g0
    dphi0 = float(np.dot(g0, pk))
    xa = xk + alpha * pk
    fa, ga = fun(xa), grad(xa)
    dphia = float(np.dot(ga, pk))
    assert math.isfinite(fa) and np.all(np.isfinite(ga))
    tol_f = 4 * EPS * (abs(f0) + abs(fa))
    assert fa <= f0 + c1 * alpha * dphi0 + tol_f, (
        f"Armijo fails at alpha={alpha!r}: f={fa!r} > f0 + c1 alpha dphi0 = "
        f"{f0 + c1 * alpha * dphi0!r} (f0={f0!r}, dphi0={dphi0!r}, c1={c1})")
    n = len(xk)
    tol_g = 4 * n * EPS * (np.dot(np.abs(ga), np.abs(pk)) + c2 * np.dot(np.abs(g0), np.abs(pk)))
    assert abs(dphia) <= c2 * abs(dphi0) + tol_g, (
        f"curvature fails at alpha={alpha!r}: |phi'(alpha)|={abs(dphia)!r} > "
        f"c2 |phi'(0)| = {c2 * abs(dphi0)!r} (c2={c2})")


def check_search(fun, grad, xk, pk, kw, out, rec, exact=True):
    """The properties every result must have (Python or C objective).

    fun/grad: the objective as the kernel sees it (bitwise) when exact, else an approximation
    (finite-difference gradients) and the value/gradient comparisons get a tolerance.
    """
    alpha, fc, gc, new_fval, old_fval, new_slope = out
    c1, c2 = kw.get("c1", 1e-4), kw.get("c2", 0.9)
    f0 = fun(xk) if kw.get("old_fval") is None else kw["old_fval"]
    assert isinstance(fc, int) and isinstance(gc, int) and fc >= 0 and gc >= 0
    assert old_fval == f0
    if new_slope is None:
        # SciPy's failures: None (one warning; two, and new_fval = f0, when old_old_fval ==
        # old_fval), or after maxiter bracketing trials the next step unchecked (two warnings)
        nw = len(ls_warnings(rec))
        if alpha is None:
            assert (nw, new_fval) in ((1, None), (2, f0)), [str(w.message) for w in rec]
        else:
            assert nw == 2 and new_fval == fun(xk + alpha * pk)
        return
    assert not ls_warnings(rec), [str(w.message) for w in rec]
    assert isinstance(alpha, float) and math.isfinite(alpha) and alpha > 0.0
    if kw.get("amax") is not None:
        assert alpha <= kw["amax"]
    xa = xk + alpha * pk
    assert isinstance(new_slope, np.ndarray) and new_slope.shape == xk.shape
    assert new_slope.dtype == np.float64
    assert math.isfinite(new_fval)
    if exact:
        assert new_fval == fun(xa)
        np.testing.assert_array_equal(new_slope, grad(xa))
    else:
        assert abs(new_fval - fun(xa)) <= 1e-12 * max(1.0, abs(new_fval))
        np.testing.assert_allclose(new_slope, grad(xa), rtol=1e-5,
                                   atol=1e-6 * max(1.0, np.abs(grad(xa)).max()))
    if exact:
        assert_strong_wolfe(fun, grad, xk, pk, alpha, c1, c2,
                            f0=kw.get("old_fval"), g0=kw.get("gfk"))


@st.composite
def searches(draw, dims=(1, 2, 3, 5, 10), options=True):
    """(problem, xk, pk, kwargs): a random search on a random problem."""
    kind = draw(st.sampled_from(KINDS))
    n = draw(st.sampled_from(dims))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    prob = make_problem(kind, n, rng)
    xk = rng.standard_normal(n) * draw(st.sampled_from([0.1, 1.0, 3.0]))
    pk = make_direction(draw(st.sampled_from(["steepest", "scaled", "random"])),
                        prob.grad(xk), rng)
    c1 = draw(st.floats(1e-5, 0.45))
    c2 = c1 + draw(st.floats(0.02, 0.98)) * (1.0 - c1)
    kw = dict(c1=c1, c2=c2)
    if options:
        if draw(st.booleans()):
            kw["gfk"] = prob.grad(xk)
        if draw(st.booleans()):
            kw["old_fval"] = prob.f(xk)
        if draw(st.booleans()):
            kw["old_old_fval"] = prob.f(xk) + draw(st.floats(0.0, 10.0))
        if draw(st.booleans()):
            kw["amax"] = draw(st.floats(0.05, 50.0))
        kw["maxiter"] = draw(st.sampled_from([3, 10, 20]))
    return prob, xk, pk, kw


# -- Ctrl-C in a child process (tests/test_interrupt.py, bench/bench_interrupt.py) --------------

_SIGINT_CHILD = r'''
import ctypes, json, sys, time
import numpy as np
from scipy import LowLevelCallable
import fastnewton
spec = json.loads(sys.argv[1])
fn = getattr(ctypes.CDLL(spec["library"]), spec["function"])
fn.restype = ctypes.c_double
p = ctypes.POINTER(ctypes.c_double)
fn.argtypes = [ctypes.c_int, p, p, ctypes.c_void_p]
fun = LowLevelCallable(fn)
n, method, options = spec["n"], spec["method"], spec["options"]
x0 = np.empty(n)
x0[0::2], x0[1::2] = -1.2, 1.0                       # the standard start of Rosenbrock's
t = time.perf_counter()
warm = fastnewton.minimize(fun, x0, method=method, options=dict(options, maxiter=2))
print("ready", (time.perf_counter() - t) / max(1, warm.nit), flush=True)
try:
    res = fastnewton.minimize(fun, x0, method=method, options=options)
except KeyboardInterrupt:
    print("interrupted", time.monotonic(), flush=True)
else:
    print("finished", res.nit, res.status, flush=True)
'''


class SigintChild:
    """A child Python process running one long ``fastnewton.minimize`` on a C objective, for
    the Ctrl-C tests and the latency benchmark (POSIX: it sends SIGINT)::

        with SigintChild(cobj.path, "rosen_fg", "lbfgs", 10**6) as child:   # waits: 'ready'
            time.sleep(0.5)                   # the solve is running
            latency = child.interrupt()       # SIGINT; seconds until KeyboardInterrupt

    The child loads `function` (signature ``double (int, double *, double *, void *)``) from
    the shared library `library` as a LowLevelCallable, starts from (-1.2, 1, -1.2, ...),
    runs a two-iteration solve first (imports, first calls; ``per_iter`` is its time per
    iteration), prints ``ready`` and calls ``minimize(..., method=method, options=options)``
    at once: gtol=0 and maxiter=10**9 unless `options` says otherwise, so that the solve runs
    on until interrupted. `env`: variables set in the child's environment. Leaving the
    ``with`` block (or ``close()``) reaps the child, killing it if it is still running.
    """

    def __init__(self, library, function, method, n, options=None, env=None, timeout=120.0):
        opts = dict(gtol=0.0, maxiter=10**9)
        opts.update(options or {})
        spec = dict(library=os.fspath(library), function=function, method=method, n=int(n),
                    options=opts)
        self.timeout = timeout
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SIGINT_CHILD, json.dumps(spec)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, **(env or {})))
        line = self._line()
        if line[:1] != ["ready"]:
            raise RuntimeError(f"the child did not start its solve: {line!r}\n{self.close()}")
        self.per_iter = float(line[1])

    def _line(self):
        """The child's next line of output, split; [] if none comes within the timeout."""
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        return self.proc.stdout.readline().split() if ready else []

    def interrupt(self):
        """Send SIGINT; return the seconds from sending it to the child's ``except
        KeyboardInterrupt`` (both read time.monotonic, one clock for all processes). Raises
        AssertionError when the solve ended first, or no answer came within the timeout."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        line = self._line()
        if line[:1] != ["interrupted"]:
            raise AssertionError(f"no KeyboardInterrupt from the solve within {self.timeout} s: "
                                 f"{line!r}\n{self.close()}")
        return float(line[1]) - t0

    def close(self):
        """Reap the child (killed if still running); returns what it wrote, for messages."""
        if self.proc.poll() is None:
            self.proc.kill()
        out, err = self.proc.communicate()
        return f"stdout: {out!r}\nstderr: {err[-2000:]!r}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
