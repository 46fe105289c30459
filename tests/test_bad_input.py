"""Bad input that must be refused with an error naming the argument (issue 12, items 3-5).

Options: every value is checked once, in ``_minimize._options``; an integer option must be an
integer that fits the kernel's field (a C int, maxfun a Py_ssize_t), a real option a real
number that fits in a float, ``options`` a dict with string keys, ``disp`` / ``return_all``
a bool. ``line_search`` checks its own parameters the same way.

Objective returns: f must be a real number or a size-1 real array, the gradient (and the
Hessian of a ``hess`` callable) a real array of its shape. Complex values, strings, bytes,
None, bools and other objects are a TypeError naming ``fun`` / ``jac`` / ``hess`` (``f`` /
``myfprime`` for ``line_search``); a number too large for a float (the int 10**400) is a
non-finite value, treated exactly as inf is.

Each test checks the error's type and that its message names the argument; where the check
comes before any evaluation, that the objective was never called.
"""
import decimal
import fractions
import math
import re
import warnings

import numpy as np
import pytest

import fastnewton
from fastnewton import line_search, minimize

METHODS = ("newton", "bfgs", "lbfgs", "sr1")
BIG = 10**400                       # a Python int too large for a float
C_INT_MAX = 2**31 - 1


def _short(v):
    """Test ids: 10**400 by its name, not its 401 digits."""
    if type(v) is int and abs(v) > 2**64:
        return ("-" if v < 0 else "") + "10**400"
    return None


def _quad(x):
    return float(x @ x)


def _quad_grad(x):
    return 2.0 * x


class Counted:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *a):
        self.calls += 1
        return self.fn(*a)


def _refused(exc, name, method="bfgs", **kw):
    """minimize with these keywords raises `exc` naming `name`, before evaluating anything."""
    fun = Counted(_quad)
    with pytest.raises(exc) as ei:
        minimize(fun, np.ones(3), method=method, jac=_quad_grad, **kw)
    assert re.search(re.escape(name), str(ei.value)), str(ei.value)
    assert fun.calls == 0
    return str(ei.value)


# ---------------------------------------------------------------------------------------------
# options (issue 12, items 3 and 5)

# (option, methods that take it)
INT_OPTIONS = [("maxiter", METHODS), ("ls_maxiter", METHODS), ("memory", ("lbfgs",)),
               ("hess_bandwidth", ("newton",))]


@pytest.mark.parametrize("value", [2**31, 2**40, math.inf, -math.inf, math.nan, 2.5, "10",
                                   np.ones(2), [3], None, True, 1 + 0j, BIG], ids=_short)
@pytest.mark.parametrize("name,methods", INT_OPTIONS)
def test_int_options_must_fit_a_c_int(name, methods, value):
    """maxiter=2**31 was an OverflowError, maxiter=nan "cannot convert float NaN to integer",
    hess_bandwidth=inf an OverflowError: now a ValueError naming the option and its range."""
    if value is None and name in ("maxiter", "hess_bandwidth"):
        return                              # None is the default there
    for method in methods:
        msg = _refused(ValueError, f"options['{name}']", method, options={name: value})
        if name != "hess_bandwidth":
            assert str(C_INT_MAX) in msg and "C int" in msg


def test_int_option_ranges_are_inclusive():
    """The largest C int is accepted (maxiter), one more is not; maxfun goes to Py_ssize_t."""
    r = minimize(_quad, np.ones(2), jac=_quad_grad, options={"maxiter": C_INT_MAX})
    assert r.success
    _refused(ValueError, "options['maxiter']", options={"maxiter": C_INT_MAX + 1})
    r = minimize(_quad, np.ones(2), jac=_quad_grad, options={"maxfun": 2**63 - 1})
    assert r.success
    for value in (2**63, 2**70, math.inf, math.nan, "5"):
        msg = _refused(ValueError, "options['maxfun']", options={"maxfun": value})
        assert "Py_ssize_t" in msg


def test_scipy_spellings_of_int_options_are_named_as_given():
    _refused(ValueError, "options['maxcor']", "lbfgs", options={"maxcor": 2**31})
    _refused(ValueError, "options['maxls']", "lbfgs", options={"maxls": math.inf})
    _refused(ValueError, "options['iprint']", "lbfgs", options={"iprint": math.inf})
    _refused(ValueError, "options['iprint']", "lbfgs", options={"iprint": "x"})


@pytest.mark.parametrize("value", [np.int32(7), np.int64(7), 7.0, np.float64(7.0), np.array(7)])
def test_int_options_accept_numpy_ints_and_integral_floats(value):
    """SciPy's accepted forms stay accepted."""
    for method in METHODS:
        a = minimize(_quad, np.ones(2), jac=_quad_grad, method=method,
                     options={"maxiter": value})
        b = minimize(_quad, np.ones(2), jac=_quad_grad, method=method, options={"maxiter": 7})
        assert a.nit == b.nit and np.array_equal(a.x, b.x)


# (option, methods that take it)
REAL_OPTIONS = [(name, METHODS) for name in ("gtol", "norm", "xtol", "xrtol", "ftol", "c1",
                                             "c2", "amax", "finite_diff_rel_step", "eps")]
REAL_OPTIONS += [("chol_beta", ("newton", "sr1")), ("skip_r", ("sr1",)),
                 ("rel_step", ("newton",))]


@pytest.mark.parametrize("value", [BIG, -BIG, "abc", "1e-5", b"1", np.ones(2) * [1, 2],
                                   1 + 1j, object()], ids=_short)
@pytest.mark.parametrize("name,methods", REAL_OPTIONS)
def test_real_options_must_be_real_numbers_that_fit_a_float(name, methods, value):
    """gtol=10**400 (and every real option) was an OverflowError, gtol='abc' a message without
    the option's name: now a ValueError naming it."""
    if name == "eps" and isinstance(value, np.ndarray):
        return                                  # eps takes n numbers (n = 3 here: refused
        # below for n = 2 by test_dropin's size check)
    for method in methods:
        _refused(ValueError, f"options['{name}']", method, options={name: value})


def test_tol_too_large_for_a_float_is_named():
    _refused(ValueError, "tol", tol=BIG)
    _refused(ValueError, "tol", tol="abc")


@pytest.mark.parametrize("options", [("gtol", 1), (("gtol", 1),), 5, "gtol", [("gtol", 1)],
                                     1.5])
def test_options_must_be_a_dict(options):
    """options=('gtol', 1) was "dictionary update sequence element #0 ...", options=5
    "'int' object is not iterable": now a TypeError naming options."""
    for method in METHODS:
        _refused(TypeError, "options", method, options=options)


@pytest.mark.parametrize("options", [{1: 2}, {1: 2, "foo": 3}, {("gtol",): 1e-5},
                                     {"gtol": 1e-5, None: 1}])
def test_option_names_must_be_strings(options):
    """A non-string key ("'<' not supported between 'str' and 'int'" when sorting the unknown
    names): now a TypeError naming options and the key."""
    for method in METHODS:
        _refused(TypeError, "options", method, options=options)


@pytest.mark.parametrize("value", [np.ones(2), np.zeros(3), "yes", 1.5, [True], None])
@pytest.mark.parametrize("name", ["disp", "return_all"])
def test_flag_options_given_an_array(name, value):
    """disp given an array was "The truth value of an array ... is ambiguous": now a
    ValueError naming the option. (disp=None is SciPy's "defer to iprint" for L-BFGS-B.)"""
    for method in METHODS:
        if value is None and name == "disp":
            continue
        _refused(ValueError, f"options['{name}']", method, options={name: value})


@pytest.mark.parametrize("value", [True, False, 0, 1, np.bool_(True), np.int64(0)])
def test_flag_options_accept_bools_and_ints(value, capsys):
    r = minimize(_quad, np.ones(2), jac=_quad_grad, options={"disp": value,
                                                           "return_all": value})
    assert r.success
    assert bool(capsys.readouterr().out) == bool(value)
    assert ("allvecs" in r) == bool(value)


def test_callback_returning_an_array_is_ignored():
    """SciPy's rule: the callback's return value is ignored, an array included (issue 12
    named "a callback returning an array" among the ambiguous-truth errors)."""
    for method in METHODS:
        a = minimize(_quad, np.ones(2) * 3, jac=_quad_grad, method=method,
                     callback=lambda xk: np.ones(2))
        b = minimize(_quad, np.ones(2) * 3, jac=_quad_grad, method=method)
        assert a.success and a.nit == b.nit and np.array_equal(a.x, b.x)


# ---------------------------------------------------------------------------------------------
# line_search's parameters

XK, PK = np.array([1.0, 2.0]), np.array([-1.0, -2.0])


def _ls_refused(name, exc=ValueError, **kw):
    f = Counted(_quad)
    with pytest.raises(exc) as ei:
        line_search(f, _quad_grad, XK, PK, **kw)
    assert re.search(r"\b" + re.escape(name) + r"\b", str(ei.value)), str(ei.value)
    assert f.calls == 0


@pytest.mark.parametrize("value", [2**31, 2**40, math.inf, math.nan, 0, -1, 2.5, "3",
                                   np.ones(2)])
def test_line_search_maxiter_must_fit_a_c_int(value):
    """line_search(maxiter=2**40) was an OverflowError."""
    _ls_refused("maxiter", maxiter=value)


@pytest.mark.parametrize("name", ["amax", "c1", "c2"])
@pytest.mark.parametrize("value", [BIG, "abc", 1j, np.ones(2)], ids=_short)
def test_line_search_real_parameters(name, value):
    _ls_refused(name, **{name: value})


def test_line_search_old_fvals_and_gfk():
    _ls_refused("old_fval", old_fval=BIG)
    _ls_refused("old_fval", old_fval="1.0")
    with pytest.raises(ValueError, match="old_old_fval"):
        line_search(_quad, _quad_grad, XK, PK, old_old_fval=BIG)
    _ls_refused("gfk", TypeError, gfk=_quad_grad(XK) + 0j)
    _ls_refused("gfk", TypeError, gfk="12")


def test_line_search_accepts_numpy_parameters():
    a = line_search(_quad, _quad_grad, XK, PK, c1=np.float32(1e-4), c2=np.float64(0.9),
                    amax=np.int64(50), maxiter=np.int32(10))
    b = line_search(_quad, _quad_grad, XK, PK)
    assert a[:5] == b[:5] and a[0] == 1.0


# ---------------------------------------------------------------------------------------------
# gradient / hessian / minimize: rel_step too large for a float

def test_rel_step_too_large_for_a_float():
    """rel_step=10**400 was an OverflowError."""
    for fn in (fastnewton.gradient, fastnewton.hessian):
        with pytest.raises(ValueError, match="rel_step"):
            fn(_quad, np.ones(2), rel_step=BIG)
    _refused(ValueError, "options['rel_step']", "newton", options={"rel_step": BIG})
    _refused(ValueError, "options['finite_diff_rel_step']",
             options={"finite_diff_rel_step": BIG})


# ---------------------------------------------------------------------------------------------
# what fun / jac / hess return (issue 12, items 3, 4 and 5)

JUNK_VALUES = {
    "complex": 2.0 + 1.0j, "complex0": 2.0 + 0.0j, "np.complex128": np.complex128(2.0 + 1e-9j),
    "complex array": np.array([2.0 + 1j]), "str": "1.5", "bytes": b"1.5", "None": None,
    "object": object(), "bool": True, "np.bool_": np.bool_(False), "str array": np.array(["1"]),
    "dict": {"f": 1.0},
}


def _gradient_modes(fun_value):
    """(label, fun, jac) for each way minimize gets a gradient: a separate jac, jac=True, and
    finite differences of fun (jac=None); fun returns fun_value at every x."""
    return [("jac", lambda x: fun_value, _quad_grad),
            ("jac=True", lambda x: (fun_value, _quad_grad(x)), True),
            ("fd", lambda x: fun_value, None)]


@pytest.mark.parametrize("kind", sorted(JUNK_VALUES))
def test_fun_returning_junk_is_a_type_error_naming_fun(kind):
    """fun returning np.complex128 only warned (ComplexWarning) and dropped Im, fun returning
    '1.5' was parsed: every non-real value is a TypeError naming fun and what it returned."""
    value = JUNK_VALUES[kind]
    for method in METHODS:
        for label, fun, jac in _gradient_modes(value):
            with warnings.catch_warnings():
                warnings.simplefilter("error")          # no ComplexWarning on the way
                with pytest.raises(TypeError) as ei:
                    minimize(fun, np.ones(2), jac=jac, method=method)
            msg = str(ei.value)
            assert "fun" in msg and type(value).__name__ in msg, (method, label, msg)


@pytest.mark.parametrize("kind", sorted(JUNK_VALUES))
def test_fun_returning_junk_after_x0(kind):
    """Junk met in the middle of a solve (not at x0) stops it with the same TypeError."""
    value = JUNK_VALUES[kind]

    def fun(x):
        return value if x[0] < 0.9 else _quad(x)

    for method in METHODS:
        with pytest.raises(TypeError, match="fun"):
            minimize(fun, np.ones(2), jac=_quad_grad, method=method)


JUNK_GRADIENTS = {
    "complex array": np.array([2.0 + 1j, 2.0]), "complex0 array": np.array([2.0 + 0j, 2.0]),
    "complex list": [2.0 + 1j, 2.0], "str": "12", "bytes": b"12", "None": None,
    "str array": np.array(["2", "2"]), "str list": ["2", "2"], "bool array": np.ones(2, bool),
    "object array": np.array([2.0, None], dtype=object), "objects": [object(), object()],
    "datetime array": np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]"),
}


@pytest.mark.parametrize("kind", sorted(JUNK_GRADIENTS))
def test_jac_returning_junk_is_a_type_error_naming_jac(kind):
    """A jac returning a complex array only warned and dropped Im: now a TypeError naming jac
    (with jac=True, naming fun and jac=True)."""
    value = JUNK_GRADIENTS[kind]
    for method in METHODS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(TypeError) as ei:
                minimize(_quad, np.ones(2), jac=lambda x: value, method=method)
            assert "jac" in str(ei.value), str(ei.value)
            with pytest.raises(TypeError) as ei:
                minimize(lambda x: (_quad(x), value), np.ones(2), jac=True, method=method)
            assert "fun" in str(ei.value) and "jac=True" in str(ei.value), str(ei.value)


def test_fun_returning_a_pair_without_jac_true():
    """fun returning (f, g) without jac=True was NumPy's "inhomogeneous shape" error: now a
    TypeError naming fun that says to pass jac=True."""
    for method in METHODS:
        for jac in (None, _quad_grad, "2-point"):
            for pair in (lambda x: (_quad(x), _quad_grad(x)),
                         lambda x: [_quad(x), _quad_grad(x)],
                         lambda x: (_quad(x), 1.0)):
                with pytest.raises(TypeError, match=r"fun.*jac=True"):
                    minimize(pair, np.ones(2), jac=jac, method=method)


@pytest.mark.parametrize("value", [BIG, -BIG], ids=["+10**400", "-10**400"])
def test_fun_too_large_for_a_float_at_x0(value):
    """fun returning the int 10**400 was an OverflowError: at x0 it is now the "f(x0) is not
    finite" ValueError, as inf is."""
    for method in METHODS:
        for label, fun, jac in _gradient_modes(value):
            with pytest.raises(ValueError, match=r"f\(x0\) is not finite"):
                minimize(fun, np.ones(2), jac=jac, method=method)
            with pytest.raises(ValueError, match=r"f\(x0\) is not finite"):
                minimize(lambda x: math.inf if value > 0 else -math.inf, np.ones(2),
                         jac=_quad_grad, method=method)


@pytest.mark.parametrize("grad", [[BIG, 1], np.array([BIG, 1], dtype=object), [1, -BIG]],
                         ids=["list", "object array", "negative"])
def test_gradient_too_large_for_a_float_at_x0(grad):
    for method in METHODS:
        with pytest.raises(ValueError, match="gradient at x0 is not finite"):
            minimize(_quad, np.ones(2), jac=lambda x: grad, method=method)
        with pytest.raises(ValueError, match="gradient at x0 is not finite"):
            minimize(lambda x: (_quad(x), grad), np.ones(2), jac=True, method=method)


# Each method's first steps overshoot into |x_0| > 1.5 on its problem, where f is "too large"
def _sqrt_f(x):
    return float(np.sum(np.sqrt(1.0 + x * x)))


def _sqrt_g(x):
    return x / np.sqrt(1.0 + x * x)


def _quartic_f(x):
    return float(100.0 * (x @ x - 1.0) ** 2)


def _quartic_g(x):
    return 400.0 * (x @ x - 1.0) * x


OVERSHOOT = {"newton": (_sqrt_f, _sqrt_g, [1.2, 0.3]), "bfgs": (_quartic_f, _quartic_g, [0.3, 0.1]),
             "lbfgs": (_quartic_f, _quartic_g, [0.3, 0.1]),
             "sr1": (_quartic_f, _quartic_g, [0.3, 0.1])}


@pytest.mark.parametrize("method", METHODS)
def test_fun_too_large_for_a_float_in_a_solve_is_inf(method):
    """Beyond x0, f = 10**400 is a non-finite value: the line search shrinks the step exactly
    as it does for f = inf (same iterates, counts and result)."""
    f, g, x0 = OVERSHOOT[method]

    def capped(big, hits):
        def fun(x):
            if abs(x[0]) > 1.5:
                hits.append(x.copy())
                return big
            return f(x)
        return fun

    hits_int, hits_inf = [], []
    a = minimize(capped(BIG, hits_int), x0, jac=g, method=method)
    b = minimize(capped(math.inf, hits_inf), x0, jac=g, method=method)
    assert hits_int, "the test must reach the region where f is too large"
    assert len(hits_int) == len(hits_inf)
    for k in ("status", "nit", "nfev", "njev", "fun"):
        assert a[k] == b[k], k
    assert np.array_equal(a.x, b.x) and a.success


def test_line_search_f_too_large_for_a_float_is_inf():
    def capped(big):
        return lambda x: big if abs(x[0]) > 1.5 else _quartic_f(x)

    xk, pk = np.array([0.5, 0.2]), np.array([10.0, 4.0])
    a = line_search(capped(BIG), _quartic_g, xk, pk)
    b = line_search(capped(math.inf), _quartic_g, xk, pk)
    assert a[0] is not None and a[:5] == b[:5] and np.array_equal(a[5], b[5])


@pytest.mark.parametrize("kind", ["complex", "np.complex128", "str", "None", "object"])
def test_line_search_names_f_and_myfprime(kind):
    value = JUNK_VALUES[kind]
    with pytest.raises(TypeError, match=r"\bf\b"):
        line_search(lambda x: value, _quad_grad, XK, PK)
    with pytest.raises(TypeError, match="myfprime"):
        line_search(_quad, lambda x: np.array([value, value]), XK, PK)


@pytest.mark.parametrize("kind", ["complex", "str", "None"])
def test_gradient_and_hessian_functions_name_fun_and_jac(kind):
    value = JUNK_VALUES[kind]
    for fn in (fastnewton.gradient, fastnewton.hessian):
        with pytest.raises(TypeError, match="fun"):
            fn(lambda x: value, np.ones(2))
    with pytest.raises(TypeError, match="jac"):
        fastnewton.hessian(_quad, np.ones(2), jac=lambda x: np.array([value, value]))


@pytest.mark.parametrize("hess", [lambda x: 2.0 * np.eye(2) + 1e-12j, lambda x: "H",
                                  lambda x: None, lambda x: np.full((2, 2), "2"),
                                  lambda x: [[object(), 0], [0, 2.0]]])
def test_hess_returning_junk_is_a_type_error_naming_hess(hess):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match="hess"):
            minimize(_quad, np.ones(2), jac=_quad_grad, hess=hess, method="newton")


@pytest.mark.parametrize("value", [1.5, np.float64(1.5), np.float32(1.5), 3, np.int64(3),
                                   np.array(1.5), np.array([1.5]), np.array([[3]]),
                                   fractions.Fraction(3, 2), decimal.Decimal("1.5"),
                                   np.longdouble(1.5), [1.5]])
def test_real_values_are_accepted(value):
    """What stays accepted: a real number of any of Python's or NumPy's types (or with
    __float__, as Decimal), a size-1 real array."""
    expected = float(np.asarray(value, dtype=np.float64).reshape(()))
    for method in METHODS:
        r = minimize(lambda x: value, np.ones(2), jac=lambda x: np.zeros(2), method=method)
        assert r.fun == expected and r.success


@pytest.mark.parametrize("grad", [[0, 0], np.zeros(2, dtype=np.int8), np.zeros(2, np.float32),
                                  np.array([0, 0], dtype=object), (0.0, 0),
                                  np.zeros(4)[::2], np.zeros(2).astype(">f8")])
def test_real_gradients_are_accepted(grad):
    for method in METHODS:
        r = minimize(lambda x: 1.0, np.ones(2), jac=lambda x: grad, method=method)
        assert r.success and np.array_equal(r.jac, np.zeros(2))
