"""fastnewton.line_search on C objectives (scipy.LowLevelCallable): the same properties and
counts as for Python callables, value-only objectives, threads, and the GIL released while a
search runs.

The objectives: ``family_fg`` / ``family_f`` of tests/cobjectives_ls.c (fixture ``lslib``; the C
twin of ``_support.Family``) and the counted and gated Rosenbrocks of tests/cobjectives.c
(fixture ``cobj``).
"""
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from _support import (KINDS, SETTINGS, LineSearchWarning, check_search, ls_warnings,
                      make_direction, make_problem, run, searches)

from fastnewton import line_search


def test_c_family_matches_python_twin(lslib):
    rng = np.random.default_rng(11)
    for i in range(20):
        prob = make_problem(KINDS[i % 4], 1 + i % 7, rng)
        _, cf, cg = lslib.family(prob)
        x = rng.standard_normal(prob.n)
        assert cf(x) == pytest.approx(prob.f(x), rel=1e-13, abs=1e-13)
        np.testing.assert_allclose(cg(x), prob.grad(x), rtol=1e-12, atol=1e-13)


@settings(max_examples=800, **SETTINGS)
@given(case=searches())
def test_wolfe_values_lowlevelcallable(lslib, case):
    prob, xk, pk, kw = case
    llc, cf, cg = lslib.family(prob)
    # gfk / old_fval, when given, are the C objective's own numbers
    if "gfk" in kw:
        kw["gfk"] = cg(xk)
    if "old_fval" in kw:
        kw["old_fval"] = cf(xk)
    if "old_old_fval" in kw:
        kw["old_old_fval"] = cf(xk) + (kw["old_old_fval"] - prob.f(xk))
    out, rec = run(line_search, llc, None, xk, pk, **kw)
    check_search(cf, cg, xk, pk, kw, out, rec)
    # value and gradient come together from a C objective: one of each per trial step
    alpha, fc, gc = out[:3]
    computed_f0 = 1 if kw.get("old_fval") is None else 0
    unchecked = alpha is not None and out[5] is None     # its f alone (as SciPy's)
    assert fc == gc + computed_f0 + unchecked


@settings(max_examples=300, **SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), n=st.sampled_from([2, 3, 6]),
       gfk_given=st.booleans(), old_fval_given=st.booleans())
def test_counts_exact_lowlevelcallable(cobj, seed, n, gfk_given, old_fval_given):
    """Counted C Rosenbrock (tests/cobjectives.c): fc, gc equal the C calls, as for Python."""
    llc, counts = cobj.counted_rosen()
    rng = np.random.default_rng(seed)
    xk = rng.uniform(-2.0, 2.0, n)
    g0 = scipy.optimize.rosen_der(xk)
    pk = make_direction(["steepest", "random"][seed % 2], g0, rng)
    kw = {}
    if gfk_given:
        kw["gfk"] = g0
    if old_fval_given:
        kw["old_fval"] = scipy.optimize.rosen(xk)
    counts[:] = 0
    out, rec = run(line_search, llc, None, xk, pk, **kw)
    alpha, fc, gc = out[:3]
    if gfk_given or not old_fval_given:
        assert counts[0] == fc
    else:   # the C function computes f with the (uncounted) gradient at xk: it cannot skip it
        assert counts[0] == fc + 1
    assert counts[1] == gc + (0 if gfk_given else 1)
    if alpha is not None:
        ours_py, _ = run(line_search, scipy.optimize.rosen, scipy.optimize.rosen_der, xk, pk,
                         **kw)
        assert ours_py[0] == pytest.approx(alpha, rel=1e-10)


def test_lowlevelcallable_value_only(lslib):
    """A value-only C objective: gradients from central differences; Wolfe up to their error."""
    rng = np.random.default_rng(12)
    successes = 0
    for i in range(16):
        prob = make_problem(KINDS[i % 4], 1 + i % 5, rng)
        llc, cf, cg = lslib.family(prob, value_only=True)
        xk = rng.standard_normal(prob.n)
        pk = -cg(xk)
        out, rec = run(line_search, llc, None, xk, pk)
        if out[0] is None:
            continue
        successes += 1
        check_search(cf, cg, xk, pk, {}, out, rec, exact=False)
        assert out[2] == 0                       # no gradient calls: the C function has none
    assert successes >= 12


def test_lowlevelcallable_rejects_myfprime(cobj):
    with pytest.raises(ValueError, match="myfprime"):
        line_search(cobj.rosen(), scipy.optimize.rosen_der, np.zeros(3), np.ones(3))


def test_thread_pool_lowlevelcallable(lslib):
    """Concurrent searches on C objectives give exactly the serial results."""
    rng = np.random.default_rng(13)
    jobs = []
    for i in range(24):
        prob = make_problem(KINDS[i % 4], 1 + i % 10, rng)
        llc, cf, cg = lslib.family(prob)
        xk = rng.standard_normal(prob.n)
        jobs.append((llc, xk, -cg(xk)))

    def one(job):
        llc, xk, pk = job
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LineSearchWarning)
            return line_search(llc, None, xk, pk)

    serial = [one(j) for j in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            parallel = list(pool.map(one, jobs))
            for s, p in zip(serial, parallel):
                assert s[:5] == p[:5]
                assert (s[5] is None and p[5] is None) or np.array_equal(s[5], p[5])


def test_gil_released_during_lowlevelcallable_search(cobj):
    """Deterministic, no timing: every call of the objective waits until a Python thread has
    answered it (gated_rosen_fg, tests/cobjectives.c; its controls are in test_newton.py:
    a call holding the GIL is never answered), and the thread can answer only while it holds
    the GIL. A search that doubles its step many times makes every call, none waiting out
    its limit, with the ungated search's result: the GIL was free during each evaluation."""
    n = 6
    xk = np.zeros(n)
    pk = np.full(n, 2.0 ** -12)         # rosen decreases along pk up to alpha ~ 2^12
    counted, counts = cobj.counted_rosen()
    ref = line_search(counted, None, xk, pk, c2=1e-3, maxiter=25)
    assert ref[0] is not None and counts[0] >= 10
    llc, gate = cobj.gated_rosen()
    with gate.answering():
        out = line_search(llc, None, xk, pk, c2=1e-3, maxiter=25)
    assert out[:5] == ref[:5]
    np.testing.assert_array_equal(out[5], ref[5])
    assert gate.calls == counts[0] and gate.timeouts == 0, (gate.calls, gate.timeouts)


def test_non_descent_lowlevelcallable(cobj):
    llc, counts = cobj.counted_rosen()
    xk = np.array([-1.2, 1.0, 0.5])
    pk = scipy.optimize.rosen_der(xk)             # ascent
    out, rec = run(line_search, llc, None, xk, pk)
    assert out[0] is None and out[1:3] == (1, 0) and len(ls_warnings(rec)) == 1
    assert list(counts) == [1, 1]                  # f and g at xk, nothing else
