"""Fuzz test: every public function called with hostile arguments and hostile objectives.

The functions: ``minimize`` (methods 'newton', 'bfgs', 'lbfgs', 'sr1'), ``scipy_method``
through ``scipy.optimize.minimize``, ``line_search``, ``gradient``, ``hessian``,
``linalg.cho_solve_inplace`` and ``linalg.modified_cholesky``. The arguments: wrong dtypes
(int, bool, complex, object, str), shapes (0-d, 2-d, empty, mismatched), byte orders ('>f8'),
non-contiguous and read-only views, NaN/Inf entries, absurd option values (negative, 0, inf,
nan, 2**31, 10**400, strings, arrays, None), unknown option names, options that are not a
dict. The objectives: NaN/inf/-inf at some points, junk (None, str, complex, tuple,
wrong-shape gradient, huge Python int), a user exception raised mid-solve, unbounded below,
writing into their x. Every problem is tiny (n <= 6, few iterations), so a call is fast.

Each call must (docs/design.md, "Bad input and faults"):

* end, and raise nothing but ValueError, TypeError or the user's own exception -- the very
  object the user's callable raised;
* give a ValueError/TypeError message that names an argument or option;
* leave the caller's arrays (and their flags) unchanged;
* never return a result that says success with a non-finite f, gradient or x (nor a
  line-search step that is not a warning-free, finite one);
* refuse junk from the objective (complex, str, None, a wrong shape) instead of using it.

CI runs ``CI_EXAMPLES`` derandomized cases (the same ones every run; about 10 s). The long
run, one command from the repository root after ``pip install ".[test]"``::

    FASTNEWTON_FUZZ_EXAMPLES=100000 pytest -q -p no:cacheprovider tests/test_fuzz.py

prints the tally (cases per function, outcomes by exception type, violations with a
reproducer each) and fails if any case broke a rule. ``FASTNEWTON_FUZZ_SEED=<int>`` draws a
different sequence of cases. A crash of the interpreter (SIGSEGV) ends pytest with a
non-zero status and faulthandler's traceback.

A newly found bug can be parked in ``KNOWN_BAD`` (one entry per family of bad inputs, left
out of the strategies, its reproducers ``test_known_bad_*`` xfail while the entry is
there) until its fix is merged. It is empty: every family issue 12 found is fixed, and the
reproducers stand as regression tests.
"""
import collections
import dataclasses
import inspect
import math
import os
import re
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest
import scipy.optimize
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import fastnewton
from fastnewton import linalg

# ---------------------------------------------------------------------------------------------
# Known bugs, left out of the strategies until their fixes are merged: the one place that
# parks a family of bad inputs (key: a description; known_bad() below turns entries into
# exclusions, and the reproducers, test_known_bad_*, are xfail only while the entry is here).
# Empty: the issue-12 families (lbfgs_huge_memory, overflowing_numbers, unguarded_values,
# options_not_a_dict, junk_returns, extreme_beta) are fixed, their inputs drawn again, and
# their reproducers below must pass.
KNOWN_BAD = {
}
INT_PARAMS = {"maxiter", "maxfun", "ls_maxiter", "memory", "maxcor", "maxls", "hess_bandwidth",
              "iprint", "ls.maxiter"}
UNGUARDED = {"c1", "c2", "skip_r", "hess_bandwidth", "iprint", "disp", "return_all", "eps",
             "ls.c1", "ls.c2", "ls.amax", "ls.maxiter", "ls.old_fval", "ls.old_old_fval",
             "ls.gfk", "beta"}


def known_bad(param, value):
    """The KNOWN_BAD entry that value, given to param, would trip, or None. param: an option
    name, 'ls.<name>' for line_search's, 'beta', 'tol', 'rel_step', 'fun' or 'jac' (a
    return token), 'options' (the shape of options=)."""
    real = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, complex)
    if param in ("memory", "maxcor") and "lbfgs_huge_memory" in KNOWN_BAD and _huge(value):
        return "lbfgs_huge_memory"
    if "overflowing_numbers" in KNOWN_BAD:
        if param in ("fun", "jac") and value == "bigint":
            return "overflowing_numbers"
        if real and isinstance(value, (int, np.integer)) and abs(int(value)) > 10 ** 308:
            return "overflowing_numbers"
        if param in INT_PARAMS and real and value >= 2 ** 31:
            return "overflowing_numbers"
    if "unguarded_values" in KNOWN_BAD and param in UNGUARDED:
        if param == "ls.gfk":
            return "unguarded_values" if value == "str" else None
        if param == "eps":           # numbers and arrays of them are checked
            return "unguarded_values" if isinstance(value, (str, dict, complex)) else None
        if not real or isinstance(value, np.ndarray):
            return "unguarded_values"
        if param in ("hess_bandwidth", "iprint", "ls.maxiter") and not math.isfinite(value):
            return "unguarded_values"
    if "options_not_a_dict" in KNOWN_BAD and param == "options" and value in (
            "int", "str", "tuple", "array", "nonstr_key"):
        return "options_not_a_dict"
    if "junk_returns" in KNOWN_BAD and (
            param == "fun" and value in ("none", "str", "pycomplex", "npcomplex", "npcomplex0",
                                         "tuple", "object")
            or param == "jac" and value in ("complex", "complex0", "object", "str")
            or param == "jac@n=1" and value in ("scalar", "none")
            or param == "fun@cs" and value == "size2"
            or param == "fun@eps" and value in ("size2", "size1_2d")
            or param == "hess" and value in ("complex", "str")
            or param == "extra_condition" and value == "array"):
        return "junk_returns"
    if "extreme_beta" in KNOWN_BAD and param == "beta" and real and not (
            1e-300 < value < 1e300):
        return "extreme_beta"
    return None


def allowed(param, pool):
    """The values of pool that known_bad lets through for param."""
    return tuple(v for v in pool if known_bad(param, v) is None)


# ---------------------------------------------------------------------------------------------

CI_EXAMPLES = 1000
EXAMPLES = int(os.environ.get("FASTNEWTON_FUZZ_EXAMPLES", CI_EXAMPLES))
LONG = "FASTNEWTON_FUZZ_EXAMPLES" in os.environ
SEED = os.environ.get("FASTNEWTON_FUZZ_SEED")
MAX_EVALS = 20_000       # an objective raises Runaway after this many evaluations


class UserError(Exception):
    """What a hostile objective raises: must come out of the public call as the same object."""


class UserValueError(ValueError):
    """A user exception that is also a ValueError: must not be replaced by one of ours."""


class UserBaseError(BaseException):
    """A user exception outside Exception (as KeyboardInterrupt is)."""


class Runaway(Exception):
    """Raised by an objective after MAX_EVALS evaluations (counted, not a violation)."""


RAISES = {"raise": UserError, "raise_value": UserValueError, "raise_base": UserBaseError,
          "stop": StopIteration}

# ---------------------------------------------------------------------------------------------
# Objectives

# fun's bad returns; junk must be refused (an error naming fun), the others are non-finite
# values (or a user exception)
F_JUNK = ("none", "str", "pycomplex", "npcomplex", "npcomplex0", "tuple", "size2", "object")
F_NONFINITE = ("nan", "inf", "-inf", "bigint")
F_FINE = ("float32", "size1_2d", "npint")          # real scalars in other clothes: accepted
F_BAD = F_JUNK + F_NONFINITE + F_FINE + tuple(RAISES)
G_JUNK = ("short", "long", "column", "scalar", "complex", "complex0", "none", "str", "object")
G_NONFINITE = ("nan", "inf", "bigint")
G_FINE = ("list", "int")
G_BAD = G_JUNK + G_NONFINITE + G_FINE + tuple(RAISES)
H_BAD = ("nan", "shape", "none", "str", "complex", "raise", "sparse")


@dataclasses.dataclass(frozen=True)
class Obj:
    """A hostile objective: a smooth `base` function of n variables, and what goes wrong."""
    base: str                 # 'quad', 'rosen' (n >= 2), 'linear' (unbounded below), 'cubic'
    n: int
    fbad: str = None          # what fun returns when bad (F_BAD), None: never
    gbad: str = None          # what jac returns when bad (G_BAD), None: never
    when: str = "from"        # 'from': evaluations >= after; 'once': only number `after`;
    after: int = 0            # 'region': wherever x[0] > 1.5
    writes_x: bool = False    # fun and jac scribble over the x they are given


def _named(label):
    """Give a function a readable repr in hypothesis' reports (a wrapper keeps the signature
    that minimize inspects for a callback's style)."""
    def wrap(fn):
        class Named:
            __signature__ = inspect.signature(fn)

            def __call__(self, *a, **k):
                return fn(*a, **k)

            def __repr__(self):
                return label
        return Named()
    return wrap


class Live:
    """The callables of one Obj, counting evaluations, noting junk returned and exceptions
    raised."""

    def __init__(self, spec):
        self.spec = spec
        self.calls = 0
        self.raised = []
        self.junk = []            # junk returned at a real x: the call must then fail

    def __repr__(self):
        return f"Live({self.spec})"

    def _base(self, x):
        b, d = self.spec.base, 1.0 + np.arange(x.shape[0])
        if b == "quad":
            return 0.5 * np.sum(d * (x - 1.0) ** 2), d * (x - 1.0)
        if b == "rosen" and x.shape[0] >= 2:
            f = np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
            g = np.zeros_like(x)
            g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
            g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
            return f, g
        if b == "linear":
            return np.sum(d * x), d + 0.0 * x
        return np.sum(x ** 3 / 3.0 - x + 0.5 * x ** 2), x ** 2 - 1.0 + x    # cubic

    def _bad_now(self, x):
        s = self.spec
        if s.when == "region":
            return bool(np.real(x[0]) > 1.5)
        if s.when == "once":
            return self.calls == s.after + 1
        return self.calls > s.after

    def _count(self):
        self.calls += 1
        if self.calls > MAX_EVALS:
            raise Runaway(f"{self.calls} evaluations")

    def _raise(self, token):
        e = RAISES[token](f"user's {token}")
        self.raised.append(e)
        raise e

    def _fvalue(self, x, f, g):
        token = self.spec.fbad if self._bad_now(x) else None
        if token is None:
            return f
        if token in RAISES:
            self._raise(token)
        if token in F_JUNK and not np.iscomplexobj(x):
            self.junk.append(("fun", token))
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "bigint": 10 ** 400,
                "none": None, "str": "1.5", "pycomplex": complex(1.0, 1.0),
                "npcomplex": np.complex128(1 + 1j), "npcomplex0": np.complex128(f),
                "tuple": (f, g), "size2": np.array([f, f]), "object": object(),
                "float32": np.float32(np.real(f)), "size1_2d": np.array([[f]]),
                "npint": np.int64(7)}[token]

    def _gvalue(self, x, g, pair=False):
        token = self.spec.gbad if self._bad_now(x) else None
        if token is None:
            return g
        if token in RAISES:
            self._raise(token)
        n = x.shape[0]
        # in a pair, g may go unused when f is asked; at n = 1 a scalar gradient is one of
        # shape (1,), accepted as SciPy's minimize accepts it (np.atleast_1d)
        if token in G_JUNK and not pair and not (token == "scalar" and n == 1):
            self.junk.append(("jac", token))
        return {"nan": np.full(n, math.nan), "inf": np.where(np.arange(n) == 0, math.inf, g),
                "bigint": [10 ** 400] * n, "short": g[:-1], "long": np.append(g, 1.0),
                "column": g.reshape(n, 1), "scalar": np.float64(1.0),
                "complex": g + 1j, "complex0": g.astype(np.complex128), "none": None,
                "str": "abc", "object": np.array([object()] * n, dtype=object),
                "list": [float(v) for v in g], "int": np.ones(n, dtype=np.int64)}[token]

    def fun(self, x, *args):
        self._count()
        f, g = self._base(x)
        out = self._fvalue(x, f, g)
        if self.spec.writes_x:
            x[...] = 1e300
        return out

    def jac(self, x, *args):
        self._count()
        _, g = self._base(x)
        out = self._gvalue(x, g)
        if self.spec.writes_x:
            x[...] = -1e300
        return out

    def fun_and_jac(self, x, *args):
        self._count()
        f, g = self._base(x)
        fo = self._fvalue(x, f, g)
        go = self._gvalue(x, g, pair=True)
        return fo if self.spec.gbad == "none" and go is None else (fo, go)   # not a pair

    def hess(self, token):
        @_named(f"hess[{token}]")
        def hess(x, *args):
            self._count()
            n = x.shape[0]
            h = np.eye(n) * 2.0
            if token is None or not self._bad_now(x):
                return h
            if token == "raise":
                self._raise("raise")
            if token in ("none", "str", "complex", "shape"):
                self.junk.append(("hess", token))
            from scipy.sparse import csr_matrix
            return {"nan": np.full((n, n), math.nan), "shape": np.eye(n + 1), "none": None,
                    "str": "H", "complex": h + 1j, "sparse": csr_matrix(h)}[token]
        return hess


# ---------------------------------------------------------------------------------------------
# Hostile values

BIG = 10 ** 400
OPTION_VALUES = (-1, 0, 1, 2, 3, 0.5, 1e-300, 1e300, 2 ** 31, 2 ** 63, BIG, -BIG, math.inf,
                 -math.inf, math.nan, "abc", "1", None, True, False, np.float64(math.nan),
                 np.int64(5), np.array([1.0, 2.0]), np.array(0.5), [], {}, complex(1.0, 1.0),
                 0.1, 1e-8, 0.9, 20)
NUMBER_VALUES = (-1.0, 0.0, 1e-4, 0.5, 0.9, 1.0, 2.0, 1e300, math.inf, -math.inf, math.nan,
                 BIG, 2 ** 31, 2 ** 63, "abc", "0.5", None, True, np.array([0.1, 0.2]),
                 complex(0.5, 0.0), [])
OPTION_NAMES = sorted({"gtol", "norm", "maxiter", "maxfun", "xtol", "xrtol", "ftol", "c1",
                       "c2", "ls_maxiter", "amax", "eps", "finite_diff_rel_step",
                       "return_all", "disp", "fd", "rel_step", "chol_beta", "hess_bandwidth",
                       "hess_inv0", "memory", "skip_r", "maxcor", "maxls", "iprint"})
METHODS = ("newton", "bfgs", "lbfgs", "sr1")


def option_values(name):
    """Values drawn for option `name`: the hostile pool, plus the option's own kind."""
    extra = {"fd": ("central", "forward", "3-point", "sideways"),
             "hess_bandwidth": ("auto", "none", 0, 1, 2, -1),
             "norm": (1, 2, -math.inf),
             "maxiter": (0, 1, 5, 30), "maxfun": (0, 3, 50), "ls_maxiter": (1, 2, 5),
             "maxls": (1, 5)}.get(name, ())
    return st.sampled_from(allowed(name, OPTION_VALUES + extra))


def _huge(v):
    try:
        return float(v) > 1e6
    except OverflowError:
        return True
    except (TypeError, ValueError):
        return False


@st.composite
def points(draw, n, name="x"):
    """A hostile array_like for a point of n variables (mostly a fine one)."""
    x = np.array(draw(st.lists(st.floats(-2.0, 2.0), min_size=n, max_size=n)))
    kind = draw(st.sampled_from(
        ["fine"] * 8 + ["int", "bool", "complex", "object", "str", "float32", "big_endian",
                        "strided", "readonly", "list", "0d", "2d_col", "2d_row", "empty",
                        "nan", "inf", "wrong_n", "none", "fortran2d"]))
    if kind == "fine":
        return x
    if kind == "int":
        return np.round(x).astype(np.int64)
    if kind == "bool":
        return x > 0
    if kind == "complex":
        return x.astype(np.complex128)
    if kind == "object":
        return x.astype(object)
    if kind == "str":
        return x.astype(str)
    if kind == "float32":
        return x.astype(np.float32)
    if kind == "big_endian":
        return x.astype(">f8")
    if kind == "strided":
        return np.repeat(x, 2)[::2]
    if kind == "readonly":
        x.flags.writeable = False
        return x
    if kind == "list":
        return list(x)
    if kind == "0d":
        return np.array(x[0])
    if kind == "2d_col":
        return x.reshape(-1, 1)
    if kind == "2d_row":
        return x.reshape(1, -1)
    if kind == "fortran2d":
        return np.asfortranarray(np.tile(x, (2, 1)))
    if kind == "empty":
        return np.empty(0)
    if kind == "nan":
        x[draw(st.integers(0, n - 1))] = math.nan
        return x
    if kind == "inf":
        x[draw(st.integers(0, n - 1))] = -math.inf
        return x
    if kind == "wrong_n":
        return np.append(x, 0.5)
    return None


@st.composite
def objectives(draw, n):
    base = draw(st.sampled_from(["quad", "quad", "rosen", "linear", "cubic"]))
    bad = draw(st.sampled_from(["none", "none", "f", "g", "fg"]))
    fbad = draw(st.sampled_from(allowed("fun", F_BAD))) if "f" in bad else None
    gbad = draw(st.sampled_from(allowed("jac", G_BAD))) if "g" in bad else None
    if gbad is not None and n == 1 and known_bad("jac@n=1", gbad):
        gbad = None
    return Obj(base=base, n=n, fbad=fbad, gbad=gbad,
               when=draw(st.sampled_from(["from", "once", "region"])),
               after=draw(st.integers(0, 12)), writes_x=draw(st.booleans()))


@st.composite
def option_dicts(draw, method):
    """options=: mostly a dict of a few options (hostile values, unknown names), sometimes
    not a dict at all."""
    shape = draw(st.sampled_from(allowed("options", ["dict"] * 9 + [
        "int", "str", "pairs", "tuple", "array", "nonstr_key", "none"])))
    if shape == "int":
        return 5
    if shape == "str":
        return "gtol"
    if shape == "pairs":
        return [("gtol", 1e-6)]
    if shape == "tuple":
        return ("gtol", 1)
    if shape == "array":
        return np.array([1.0])
    if shape == "none":
        return None
    names = draw(st.lists(st.sampled_from(OPTION_NAMES + ["bogus", "GTOL"]), max_size=3,
                          unique=True))
    opts = {name: draw(option_values(name)) for name in names}
    if shape == "nonstr_key":
        opts[1] = 2
    # keep solves short unless maxiter itself is drawn
    opts.setdefault("maxiter", draw(st.sampled_from([3, 10, 40])))
    return opts


@st.composite
def callbacks(draw):
    kind = draw(st.sampled_from(["none"] * 6 + ["fine", "returns_array", "returns_str",
                                                 "raise", "stop", "not_callable",
                                                 "new_style"]))
    return kind


def make_callback(kind, live):
    if kind == "none":
        return None
    if kind == "not_callable":
        return 5
    if kind == "new_style":
        @_named("callback[new_style]")
        def cb(intermediate_result):
            return np.array([1.0, 2.0])
        return cb

    @_named(f"callback[{kind}]")
    def cb(xk):
        if kind == "returns_array":
            return np.array([True, False])
        if kind == "returns_str":
            return "stop"
        if kind == "raise":
            live._raise("raise")
        if kind == "stop":
            raise StopIteration
        return None
    return cb


# ---------------------------------------------------------------------------------------------
# Cases: (function name, a description, a builder that returns the call's pieces)

class Call:
    """One call: the public function's name, its arguments, the hostile objective behind
    them (Live, or None), the names a message may name, the arguments linalg may write."""

    def __init__(self, name, args, kwargs, live=None, names=(), inplace=()):
        self.name, self.args, self.kwargs, self.live = name, args, kwargs, live
        self.names, self.inplace = names, inplace

    def __repr__(self):
        return _describe(self)


ARG_NAMES = {
    "minimize": ("fun", "x0", "args", "method", "jac", "hess", "hessp", "bounds",
                 "constraints", "tol", "callback", "options", "f(x0)", "gradient", "Hessian",
                 "x"),
    "line_search": ("f", "fun", "myfprime", "jac", "xk", "pk", "gfk", "old_fval",
                    "old_old_fval", "args", "c1", "c2", "amax", "extra_condition", "maxiter",
                    "f(xk)", "gradient"),
    "gradient": ("fun", "x", "args", "method", "rel_step", "f(x)"),
    "hessian": ("fun", "x", "args", "jac", "method", "rel_step", "f(x)", "gradient",
                "Hessian"),
    "cho_solve_inplace": ("a", "b"),
    "modified_cholesky": ("a", "beta"),
}
ARG_NAMES["scipy_method"] = ARG_NAMES["minimize"]


@st.composite
def minimize_calls(draw, via_scipy=False):
    n = draw(st.integers(1, 6))
    spec = draw(objectives(n))
    live = Live(spec)
    method = draw(st.sampled_from(METHODS + (("BFGS", "L-BFGS-B", "bogus", 5, None)
                                             if not via_scipy else ())))
    meth = method.lower() if isinstance(method, str) else "newton"
    jac_kind = draw(st.sampled_from(["callable"] * 4 + ["true"] * 2 + [
        "none", "2-point", "3-point", "cs", "bogus", "false", "int"]))
    if jac_kind == "cs" and known_bad("fun@cs", spec.fbad):
        live = Live(spec := dataclasses.replace(spec, fbad=None))
    if via_scipy and jac_kind == "true" and spec.gbad == "none":
        # fun returning f alone, not a pair: SciPy's own wrapper (MemoizeJac) fails first
        live = Live(spec := dataclasses.replace(spec, gbad=None))
    fun = live.fun_and_jac if jac_kind == "true" else live.fun
    jac = {"callable": live.jac, "true": True, "none": None, "2-point": "2-point",
           "3-point": "3-point", "cs": "cs", "bogus": "bogus", "false": False,
           "int": 3}[jac_kind]
    kwargs = dict(jac=jac)
    if meth == "newton" or draw(st.integers(0, 9)) == 0:
        hess_kind = draw(st.sampled_from(["none"] * 4 + ["good", "bad", "2-point", "str",
                                                         "hessp"]))
        if hess_kind == "good":
            kwargs["hess"] = live.hess(None)
        elif hess_kind == "bad":
            kwargs["hess"] = live.hess(draw(st.sampled_from(allowed("hess", H_BAD))))
        elif hess_kind == "2-point":
            kwargs["hess"] = "2-point"
        elif hess_kind == "str":
            kwargs["hess"] = "bogus"
        elif hess_kind == "hessp":
            kwargs["hessp"] = _named("hessp[2p]")(lambda x, p, *a: 2.0 * p)
    if draw(st.integers(0, 5)) == 0:
        kwargs["bounds"] = draw(st.sampled_from(
            [None, [(None, None)] * n, [(0.0, 1.0)] * n, "abc", 5, [(1, 2, 3)] * n,
             scipy.optimize.Bounds(-np.inf, np.inf)]))
    if draw(st.integers(0, 5)) == 0:
        kwargs["constraints"] = draw(st.sampled_from([(), None, [{"type": "eq"}], 5]))
    if draw(st.integers(0, 4)) == 0:
        kwargs["tol"] = draw(st.sampled_from(allowed("tol", NUMBER_VALUES)))
    cb = draw(callbacks())
    kwargs["callback"] = make_callback(cb, live)
    args = draw(st.sampled_from([(), (np.arange(3.0),), (np.ones((2, 2)), "extra"), 7]))
    kwargs["args"] = args
    x0 = draw(points(n, "x0"))
    if via_scipy:
        opts = draw(option_dicts(meth))
        if not isinstance(opts, dict) or any(not isinstance(k, str) for k in opts):
            opts = {}                  # SciPy unpacks **options itself
        if known_bad("fun@eps", spec.fbad):
            opts.pop("eps", None)
        kwargs["options"] = opts
        kwargs["method"] = _named(f"scipy_method({meth!r})")(fastnewton.scipy_method(meth))
        return Call("scipy_method", (fun, x0), kwargs, live, ARG_NAMES["minimize"])
    kwargs["method"] = method
    kwargs["options"] = draw(option_dicts(meth))
    if isinstance(kwargs["options"], dict) and known_bad("fun@eps", spec.fbad):
        kwargs["options"].pop("eps", None)
    return Call("minimize", (fun, x0), kwargs, live, ARG_NAMES["minimize"])


@st.composite
def line_search_calls(draw):
    n = draw(st.integers(1, 6))
    spec = draw(objectives(n))
    live = Live(spec)
    xk = draw(points(n, "xk"))
    d = draw(st.sampled_from(["descent", "ascent", "zero", "hostile"]))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g0 = live._base(np.asarray(xk, dtype=np.float64).reshape(-1)[:n])[1]
    except (TypeError, ValueError):
        g0 = np.ones(n)
    if d == "descent":
        pk = -np.asarray(g0, dtype=np.float64)
    elif d == "ascent":
        pk = np.asarray(g0, dtype=np.float64)
    elif d == "zero":
        pk = np.zeros(n)
    else:
        pk = draw(points(n, "pk"))
    kwargs = {}
    myf = draw(st.sampled_from(["jac", "jac", "none", "int"]))
    myfprime = {"jac": live.jac, "none": None, "int": 4}[myf]
    if draw(st.booleans()):
        kwargs["gfk"] = draw(st.sampled_from(allowed("ls.gfk", ["good", "nan", "short",
                                                                 "list", "str"])))
        kwargs["gfk"] = {"good": np.array(g0, dtype=np.float64), "nan": np.full(n, math.nan),
                         "short": np.ones(max(n - 1, 0)), "list": list(map(float, g0)),
                         "str": "g"}[kwargs["gfk"]]
    if draw(st.booleans()):
        kwargs["old_fval"] = draw(st.sampled_from(allowed("ls.old_fval", [
            1.0, math.nan, math.inf, BIG, "abc", None, np.array([1.0, 2.0])])))
    if draw(st.integers(0, 3)) == 0:
        kwargs["old_old_fval"] = draw(st.sampled_from(allowed("ls.old_old_fval", [
            2.0, 1.0, math.nan, -math.inf, BIG, "abc"])))
    for name in ("c1", "c2", "amax"):
        if draw(st.integers(0, 3)) == 0:
            kwargs[name] = draw(st.sampled_from(allowed("ls." + name, NUMBER_VALUES)))
    if draw(st.integers(0, 2)) == 0:
        kwargs["maxiter"] = draw(st.sampled_from(allowed("ls.maxiter",
                                                         OPTION_VALUES + (1, 3, 10))))
    if draw(st.integers(0, 3)) == 0:
        ec = draw(st.sampled_from(allowed("extra_condition",
                                          ["true", "false", "array", "none", "raise"])))

        @_named(f"extra_condition[{ec}]")
        def extra_condition(alpha, x, f, g, ec=ec):
            if ec == "raise":
                live._raise("raise")
            return {"true": True, "false": False, "array": np.array([True, False]),
                    "none": None}[ec]
        kwargs["extra_condition"] = extra_condition
    kwargs["args"] = draw(st.sampled_from([(), (np.arange(2.0),), 3]))
    return Call("line_search", (live.fun, myfprime, xk, pk), kwargs, live,
                ARG_NAMES["line_search"])


@st.composite
def fdiff_calls(draw):
    n = draw(st.integers(1, 6))
    spec = draw(objectives(n))
    live = Live(spec)
    name = draw(st.sampled_from(["gradient", "hessian"]))
    kwargs = {}
    if draw(st.booleans()):
        kwargs["method"] = draw(st.sampled_from(["central", "forward", "2-point", "3-point",
                                                 "cs", "bogus", None, 3, ["central"]]))
    if draw(st.booleans()):
        kwargs["rel_step"] = draw(st.sampled_from(allowed("rel_step", NUMBER_VALUES)))
    kwargs["args"] = draw(st.sampled_from([(), (np.arange(2.0),), 3]))
    fun = live.fun
    if name == "hessian":
        jac = draw(st.sampled_from(["none", "callable", "true", "bogus"]))
        kwargs["jac"] = {"none": None, "callable": live.jac, "true": True, "bogus": 3}[jac]
        if jac == "true":
            fun = live.fun_and_jac
    x = draw(points(n, "x"))
    return Call(name, (fun, x), kwargs, live, ARG_NAMES[name])


@st.composite
def matrices(draw, n):
    m = draw(st.lists(st.floats(-3.0, 3.0), min_size=n * n, max_size=n * n))
    a = np.array(m).reshape(n, n)
    kind = draw(st.sampled_from(["spd"] * 4 + ["sym", "raw", "zero", "nan", "inf", "int",
                                               "complex", "float32", "big_endian", "strided",
                                               "readonly", "fortran", "list", "1d", "rect",
                                               "empty", "object", "huge"]))
    spd = a @ a.T + n * np.eye(n)
    if kind == "spd":
        return spd
    if kind == "sym":
        return a + a.T
    if kind == "raw":
        return a
    if kind == "zero":
        return np.zeros((n, n))
    if kind == "nan":
        spd[n - 1, 0] = math.nan
        return spd
    if kind == "inf":
        spd[0, 0] = math.inf
        return spd
    if kind == "huge":
        return spd * 1e300
    if kind == "int":
        return np.round(spd).astype(np.int64)
    if kind == "complex":
        return spd.astype(np.complex128)
    if kind == "float32":
        return spd.astype(np.float32)
    if kind == "big_endian":
        return spd.astype(">f8")
    if kind == "strided":
        return np.repeat(spd, 2, axis=1)[:, ::2]
    if kind == "readonly":
        spd.flags.writeable = False
        return spd
    if kind == "fortran":
        return np.asfortranarray(spd)
    if kind == "list":
        return spd.tolist()
    if kind == "1d":
        return spd.reshape(-1)
    if kind == "rect":
        return np.ones((n, n + 1))
    if kind == "empty":
        return np.empty((0, 0))
    return spd.astype(object)


@st.composite
def linalg_calls(draw):
    n = draw(st.integers(1, 6))
    a = draw(matrices(n))
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["vec"] * 3 + ["mat", "matF", "short", "int", "nan",
                                                    "readonly", "strided", "list", "shares",
                                                    "big_endian", "0d", "3d"]))
        b = np.linspace(-1.0, 1.0, n)
        b = {"vec": lambda: b, "mat": lambda: np.tile(b, (2, 1)).T.copy(),
             "matF": lambda: np.asfortranarray(np.tile(b, (2, 1)).T),
             "short": lambda: b[:-1], "int": lambda: np.arange(n),
             "nan": lambda: np.full(n, math.nan), "readonly": lambda: _readonly(b),
             "strided": lambda: np.repeat(b, 2)[::2], "list": lambda: list(b),
             "shares": lambda: a[:, 0] if isinstance(a, np.ndarray) and a.ndim == 2 and a.size else b,
             "big_endian": lambda: b.astype(">f8"), "0d": lambda: np.array(1.0),
             "3d": lambda: np.ones((n, 1, 1))}[kind]()
        return Call("cho_solve_inplace", (a, b), {}, None, ARG_NAMES["cho_solve_inplace"],
                    inplace=(0, 1))
    args = (a,)
    if draw(st.booleans()):
        args = (a, draw(st.sampled_from(allowed("beta", NUMBER_VALUES + (1.7e308, 1e-300)))))
    return Call("modified_cholesky", args, {}, None, ARG_NAMES["modified_cholesky"],
                inplace=(0,))


def _readonly(b):
    b = b.copy()
    b.flags.writeable = False
    return b


def calls():
    return st.one_of(minimize_calls(), minimize_calls(), minimize_calls(via_scipy=True),
                     line_search_calls(), fdiff_calls(), linalg_calls())


# ---------------------------------------------------------------------------------------------
# Running one call and checking it

FUNCTIONS = {
    "minimize": fastnewton.minimize,
    "scipy_method": lambda fun, x0, **kw: scipy.optimize.minimize(fun, x0, **kw),
    "line_search": fastnewton.line_search,
    "gradient": fastnewton.gradient,
    "hessian": fastnewton.hessian,
    "cho_solve_inplace": linalg.cho_solve_inplace,
    "modified_cholesky": linalg.modified_cholesky,
}


def _arrays(obj, path="", depth=0):
    """(path, array) for every ndarray reachable in obj (tuples, lists, dicts)."""
    if isinstance(obj, np.ndarray):
        yield path, obj
    elif depth < 3 and isinstance(obj, (tuple, list)):
        for i, v in enumerate(obj):
            yield from _arrays(v, f"{path}[{i}]", depth + 1)
    elif depth < 3 and isinstance(obj, dict):
        for k, v in obj.items():
            yield from _arrays(v, f"{path}[{k!r}]", depth + 1)


def _flags(a):
    f = a.flags
    return (f.writeable, f.c_contiguous, f.f_contiguous, f.owndata, a.dtype.str, a.shape,
            a.strides)


def _snapshot(call):
    snap = []
    for path, a in _arrays((call.args, call.kwargs)):
        snap.append((path, a, a.copy(), _flags(a)))
    return snap


def _same(before, after):
    if before.dtype.kind == "O":
        return before.shape == after.shape and all(
            x is y or x == y or (x != x and y != y)
            for x, y in zip(before.ravel(), after.ravel()))
    return np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")


def names_argument(msg, names):
    """Whether msg names one of `names` (an argument, option, or derived name such as f(x0)):
    as a whole word; a one-letter name only where it is plainly the argument (at the start
    of the message or of a clause, quoted, or followed by 'must', 'is', 'has', 'holds')."""
    for name in names:
        esc = re.escape(name)
        if len(name) > 1:
            if re.search(rf"(?<![A-Za-z0-9_]){esc}(?![A-Za-z0-9_])", msg):
                return True
        elif re.search(rf"(^|[:;,(]\s*|['`\"]){esc}(['`\"\[]|\s+(must|is|has|holds)\b)", msg):
            return True
    return False


_CAPSYS = []                            # the running test's capsys (long run reports)
VIOLATIONS = collections.Counter()      # kind -> count
FIRST = {}                              # kind -> (case repr, detail)
TALLY = collections.Counter()           # (function, outcome) -> count
CASES = collections.Counter()           # function -> count


def _violation(kind, call, detail):
    key = f"{call.name}: {kind}: {_pattern(detail)}"
    VIOLATIONS[key] += 1
    if key not in FIRST:
        FIRST[key] = (_describe(call), detail)
        if LONG and _CAPSYS:     # shown at once: the run may yet end in a crash
            with _CAPSYS[0].disabled():
                print(f"\nfuzz: new violation {key}\n    {detail}\n    {_describe(call)}",
                      flush=True)
    return f"{kind}: {detail}"


def _pattern(detail):
    """The detail with its particulars blanked, so that one bug is tallied once."""
    s = re.sub(r"'[^']*'|\"[^\"]*\"|\([^()]*\)|\[[^\[\]]*\]", "...", detail)
    s = re.sub(r"[-+]?(\d+\.?\d*(e[-+]?\d+)?|nan|inf)", "N", s)
    return s[:90]


def _describe(call):
    spec = call.live.spec if call.live else None
    return (f"{call.name}(*{call.args!r}, **{call.kwargs!r})"
            + (f"\n    objective {spec}" if spec else ""))


def _option_names(call):
    opts = call.kwargs.get("options")
    extra = list(OPTION_NAMES)
    if isinstance(opts, dict):
        extra += [k for k in opts if isinstance(k, str)]
    return tuple(call.names) + tuple(extra) + ("hess_inv0", "options['fd']", "fd")


def check_call(call):
    """Run one call and return the list of rule violations (strings; empty when fine)."""
    CASES[call.name] += 1
    snap = _snapshot(call)
    problems = []
    result = exc = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = FUNCTIONS[call.name](*call.args, **call.kwargs)
        except BaseException as e:         # noqa: B036 -- every exception is judged below
            exc = e
    live = call.live
    raised = live.raised if live else []
    if exc is None:
        TALLY[call.name, "returned"] += 1
    elif any(exc is r for r in raised):
        TALLY[call.name, "user's " + type(exc).__name__] += 1
    elif isinstance(exc, Runaway):
        TALLY[call.name, "runaway (MAX_EVALS)"] += 1
    else:
        TALLY[call.name, type(exc).__name__] += 1
    # 1. exception type, and the user's own exception unchanged
    if exc is not None and not any(exc is r for r in raised) and not isinstance(exc, Runaway):
        if isinstance(exc, (UserError, UserValueError, UserBaseError)):
            problems.append(_violation("user exception replaced", call,
                                       f"{type(exc).__name__}: {exc}"))
        elif not isinstance(exc, (ValueError, TypeError)):
            problems.append(_violation(f"raised {type(exc).__name__}", call,
                                       f"{type(exc).__name__}: {exc}"))
        elif not names_argument(str(exc), _option_names(call)):
            problems.append(_violation("message names no argument", call,
                                       f"{type(exc).__name__}: {exc}"))
    # 2. junk from the objective must not be used
    if live and live.junk and exc is None:
        problems.append(_violation("junk accepted", call, f"returned {live.junk[0]}"))
    if any(issubclass(w.category, np.exceptions.ComplexWarning) for w in caught):
        problems.append(_violation("ComplexWarning (complex silently cast)", call,
                                   "a complex value was cast to real with a warning"))
    # 3. the caller's arrays and their flags
    for path, a, before, flags in snap:
        if exc is None and call.inplace and any(
                path.startswith(f"[0][{i}]") for i in call.inplace):
            continue                          # linalg works in place by design
        if isinstance(exc, np.linalg.LinAlgError) and path.startswith("[0][0]"):
            continue                          # a is partly factored when not positive definite
        if _flags(a) != flags:
            problems.append(_violation("caller array flags changed", call,
                                       f"{path}: {flags} -> {_flags(a)}"))
        elif not _same(before, a):
            problems.append(_violation("caller array modified", call, path))
    # 4. no success with a non-finite f, gradient or x
    if exc is None:
        problems += _check_result(call, result, caught)
    return problems


def _finite(v):
    try:
        return bool(np.all(np.isfinite(np.asarray(v, dtype=np.float64))))
    except (TypeError, ValueError):
        return False


def _check_result(call, result, caught):
    name = call.name
    if name in ("minimize", "scipy_method"):
        if result.success and not (_finite(result.fun) and _finite(result.jac)
                                   and _finite(result.x)):
            return [_violation("success with non-finite values", call,
                               f"fun={result.fun}, jac={result.jac}, x={result.x}")]
        if not isinstance(result.status, (int, np.integer)):
            return [_violation("bad status", call, repr(result.status))]
        return []
    if name == "line_search":
        alpha, fc, gc, fnew, fold, slope = result
        warned = any(w.category.__name__ == "LineSearchWarning"
                     or "line search" in str(w.message).lower() for w in caught)
        if alpha is not None and not warned and not (
                _finite(alpha) and alpha > 0 and _finite(fnew)
                and (slope is None or _finite(slope))):
            return [_violation("line search step non-finite", call,
                               f"alpha={alpha}, new_fval={fnew}, new_slope={slope}")]
        return []
    if name in ("gradient", "hessian"):
        n = np.asarray(call.args[1]).size              # the x given (any n it had)
        shape = (n,) if name == "gradient" else (n, n)
        if not (isinstance(result, np.ndarray) and result.shape == shape
                and result.dtype == np.float64):
            return [_violation("result of the wrong shape or dtype", call, repr(result))]
        return []
    if name == "modified_cholesky":
        if not (isinstance(result, float) and math.isfinite(result) and result >= 0.0):
            return [_violation("modified_cholesky tau not finite", call, repr(result))]
    return []


# ---------------------------------------------------------------------------------------------
# The tests

def _settings():
    s = settings(max_examples=EXAMPLES, deadline=None, database=None,
                 derandomize=SEED is None, print_blob=False,
                 suppress_health_check=list(HealthCheck))
    return s


def test_fuzz_public_functions(capsys):
    """CI_EXAMPLES hostile calls (FASTNEWTON_FUZZ_EXAMPLES of them in the long run); in CI the
    first violation fails the case (hypothesis then shrinks it); the long run tallies every
    case and fails at the end if any broke a rule."""
    VIOLATIONS.clear(), FIRST.clear(), TALLY.clear(), CASES.clear()
    _CAPSYS[:] = [capsys]
    start = time.monotonic()

    @_settings()
    @given(calls())
    def one(call):
        problems = check_call(call)
        if problems and not LONG:
            raise AssertionError("\n".join(problems))
        done = sum(CASES.values())
        if LONG and done % 5000 == 0:
            with capsys.disabled():
                print(f"\nfuzz: {done} cases, {time.monotonic() - start:.0f} s, "
                      f"{sum(VIOLATIONS.values())} violations", flush=True)

    if SEED is not None:
        one = seed(int(SEED))(one)
    try:
        one()
    finally:
        _CAPSYS.clear()
    if LONG:
        with capsys.disabled():
            print(f"\n{summary()}\nfuzz: {time.monotonic() - start:.0f} s in all", flush=True)
    assert not VIOLATIONS, summary()


def summary():
    lines = [f"fuzz: {sum(CASES.values())} cases (hypothesis may run a few more than "
             f"max_examples={EXAMPLES}); per function:"]
    for fn, k in sorted(CASES.items()):
        outcomes = ", ".join(f"{o} {c}" for (f, o), c in sorted(TALLY.items()) if f == fn)
        lines.append(f"  {fn}: {k} ({outcomes})")
    exc = collections.Counter()
    for (_, o), c in TALLY.items():
        exc[o] += c
    lines.append("outcomes, all functions: "
                 + ", ".join(f"{o} {c}" for o, c in exc.most_common()))
    lines.append(f"violations: {sum(VIOLATIONS.values())}")
    for kind, c in VIOLATIONS.most_common():
        case, detail = FIRST[kind]
        lines.append(f"  {kind}: {c}; first: {detail}\n    {case}")
    return "\n".join(lines)


def test_names_argument():
    """The message check itself can fail: it rejects item 5's messages."""
    names = ARG_NAMES["minimize"] + tuple(OPTION_NAMES)
    for bad in ["dictionary update sequence element #0 has length 1; 2 is required",
                "'int' object is not iterable",
                "'<' not supported between instances of 'str' and 'int'",
                "cannot convert float NaN to integer",
                "The truth value of an array with more than one element is ambiguous. "
                "Use a.any() or a.all()",
                "setting an array element with a sequence. The requested array has an "
                "inhomogeneous shape after 1 dimensions."]:
        assert not names_argument(bad, names + ("a", "b")), bad
    for good in ["gtol must be a finite number >= 0, got 'abc'",
                 "a must be a square 2-D array, got shape (3,)",
                 "unknown option(s) 'bogus' for method 'bfgs'",
                 "f(x0) is not finite (nan): cannot start from this point",
                 "beta must be a positive finite number, got nan"]:
        assert names_argument(good, names + ("a", "beta")), good


def test_check_call_catches_violations():
    """check_call reports a modified caller array, a foreign exception type, a replaced user
    exception, junk accepted and a success with a non-finite f: the rules can fail."""
    def scribble(x0):
        x0[0] = 5.0
        raise ValueError("x0 is bad")

    def rewrap(fun, x0):
        try:
            fun(x0)
        except UserError as e:
            raise UserError(str(e)) from None

    def accept(fun, x0):
        return float(np.real(fun(x0)))

    fake = {"_scribble": scribble, "_overflow": lambda: int(math.inf), "_rewrap": rewrap,
            "_accept": accept}
    saved = dict(FUNCTIONS)
    FUNCTIONS.update(fake)
    try:
        x = np.ones(2)
        assert any("modified" in p for p in check_call(Call("_scribble", (x,), {})))
        assert any("OverflowError" in p for p in check_call(Call("_overflow", (), {})))
        live = Live(Obj("quad", 2, fbad="raise"))
        assert any("replaced" in p for p in check_call(Call("_rewrap", (live.fun, x), {},
                                                            live)))
        live = Live(Obj("quad", 2, fbad="npcomplex"))
        assert any("junk" in p for p in check_call(Call("_accept", (live.fun, x), {}, live)))
        FUNCTIONS["minimize"] = lambda: scipy.optimize.OptimizeResult(
            success=True, fun=math.nan, jac=np.zeros(2), x=np.zeros(2), status=0)
        assert any("non-finite" in p for p in check_call(Call("minimize", (), {})))
    finally:
        FUNCTIONS.clear()
        FUNCTIONS.update(saved)
        VIOLATIONS.clear(), FIRST.clear(), TALLY.clear(), CASES.clear()


# Reproducers of the inputs KNOWN_BAD leaves out of the strategies: each must pass the same
# checks; xfail (not strict) while its KNOWN_BAD entry is there.
_LBFGS_HUGE_MEMORY = textwrap.dedent("""
    import numpy as np
    from fastnewton import minimize
    try:
        minimize(lambda x: float(x @ x), np.ones(1), jac=lambda x: 2 * x, method="lbfgs",
                 options={"memory": 2**30})
    except ValueError as e:
        assert "memory" in str(e), e
        print("ValueError naming memory")
""")


@pytest.mark.xfail("lbfgs_huge_memory" in KNOWN_BAD, strict=False,
                   reason="issue 12 item 1 (lbfgs_huge_memory): SIGSEGV")
def test_known_bad_lbfgs_huge_memory():
    """In a subprocess: the segfault would kill pytest."""
    proc = subprocess.run([sys.executable, "-c", _LBFGS_HUGE_MEMORY], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])


def _reproducers():
    """(KNOWN_BAD key, Call) for each input left out of the strategies (but the segfault,
    tested in a subprocess above). Built afresh per test: objectives count their calls."""
    x, ind = np.array([0.5, -0.3]), np.array([[1.0, 2.0], [2.0, 1.0]])

    def obj(**bad):
        return Live(Obj("quad", 2, **bad))

    def mini(live=None, method="bfgs", pair=False, x0=x, **kw):
        live = live or obj()
        kw.setdefault("jac", True if pair else live.jac)
        return Call("minimize", (live.fun_and_jac if pair else live.fun, x0),
                    dict(kw, method=method), live, ARG_NAMES["minimize"])

    def ls(**kw):
        live = obj()
        return Call("line_search", (live.fun, live.jac, x, -x), kw, live,
                    ARG_NAMES["line_search"])

    def mchol(beta):
        return Call("modified_cholesky", (ind.copy(), beta), {}, None,
                    ARG_NAMES["modified_cholesky"], inplace=(0,))

    out = []
    for m in METHODS:
        out += [("overflowing_numbers", mini(method=m, options={"maxiter": 2 ** 31})),
                ("overflowing_numbers", mini(method=m, options={"gtol": 10 ** 400})),
                ("overflowing_numbers", mini(obj(fbad="bigint", after=1), method=m)),
                ("unguarded_values", mini(method=m, options={"c1": "abc"})),
                ("unguarded_values", mini(method=m, options={"disp": np.ones(2)})),
                ("options_not_a_dict", mini(method=m, options=5)),
                ("options_not_a_dict", mini(method=m, options=("gtol", 1))),
                ("options_not_a_dict", mini(method=m, options={"bogus": 1, 2: 3})),
                ("junk_returns", mini(obj(fbad="npcomplex0"), method=m)),
                ("junk_returns", mini(obj(fbad="str"), method=m)),
                ("junk_returns", mini(obj(fbad="none"), method=m)),
                ("junk_returns", mini(obj(fbad="tuple"), method=m, jac=None)),
                ("junk_returns", mini(obj(gbad="complex0"), method=m))]
    out += [("overflowing_numbers", mini(method="newton", options={"hess_bandwidth": math.inf})),
            ("overflowing_numbers", ls(maxiter=2 ** 40)),
            ("overflowing_numbers", mchol(10 ** 400)),
            ("overflowing_numbers", Call("gradient", (obj().fun, x), {"rel_step": 10 ** 400},
                                         None, ARG_NAMES["gradient"])),
            ("unguarded_values", mini(method="newton", options={"hess_bandwidth": math.nan})),
            ("unguarded_values", mini(method="lbfgs", options={"iprint": "abc"})),
            ("unguarded_values", mini(method="sr1", options={"skip_r": "abc"})),
            ("unguarded_values", ls(c1="abc")),
            ("unguarded_values", ls(maxiter=None)),
            ("unguarded_values", ls(gfk="g")),
            ("unguarded_values", ls(extra_condition=lambda a, x, f, g: np.ones(2))),
            ("unguarded_values", mchol("abc")),
            # (at n = 1 a scalar gradient is accepted, as SciPy accepts it: not junk)
            ("junk_returns", mini(Live(Obj("quad", 1, gbad="scalar")), x0=x[:1])),
            ("junk_returns", mini(Live(Obj("quad", 1, gbad="none", after=2)), x0=x[:1])),
            ("junk_returns", mini(obj(fbad="size2", after=1), jac="cs")),
            ("junk_returns", mini(obj(fbad="size1_2d", after=1), jac=None,
                                  options={"eps": 1e-6})),
            ("unguarded_values", mini(options={"eps": "abc"}, jac=None)),
            ("unguarded_values", mini(options={"eps": {}}, jac=None)),
            ("junk_returns", mini(method="newton", hess=obj(when="from").hess("complex"))),
            ("extreme_beta", mchol(1.7e308)),
            ("extreme_beta", mchol(1e-300))]
    return out


@pytest.mark.parametrize("index", range(len(_reproducers())),
                         ids=[f"{key}-{i}" for i, (key, _) in enumerate(_reproducers())])
def test_known_bad_reproducer(index, request):
    """Each must pass check_call once its fix is merged (then its KNOWN_BAD line goes)."""
    key, call = _reproducers()[index]
    if key in KNOWN_BAD:
        request.applymarker(pytest.mark.xfail(strict=False, reason=f"issue 12 "
                                              f"{KNOWN_BAD[key]} ({key})"))
    try:
        problems = check_call(call)
    finally:
        VIOLATIONS.clear(), FIRST.clear(), TALLY.clear(), CASES.clear()
    assert not problems, (key, call, problems)
