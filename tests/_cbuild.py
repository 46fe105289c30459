"""Compile ``tests/cobjectives.c`` and hand its functions to fastnewton as LowLevelCallables.

The one place that builds and loads the C test objectives: ``tests/conftest.py`` (fixture
``cobj``) and ``bench/bench_fdiff.py`` both call ``build``. A missing C compiler is an error,
never a skip: CI has gcc, and a skipped C path would hide exactly what these tests are for.

Usage::

    cobj = build(some_tmp_dir)
    fun = cobj.rosen()                  # "double (int, double *, double *, void *)"
    fun = cobj.rosen(value_only=True)   # "double (int, double *, void *)"
    fun = cobj.quadratic(A)             # 0.5 x^T A x, A in user_data (kept alive by the callable)
    fun, counts = cobj.counted_rosen()  # counts[0]: calls, counts[1]: calls asking for a gradient
    fun, gate = cobj.gated_rosen()      # each call waits for an answer; gate.answering() answers
"""
import contextlib
import ctypes
import os
import shlex
import subprocess
import sysconfig
import threading

import numpy as np
from scipy import LowLevelCallable

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
