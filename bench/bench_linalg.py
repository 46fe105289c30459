"""In-place Cholesky solve: fastnewton.linalg.cho_solve_inplace beside SciPy's
cho_factor + cho_solve, both overwriting their inputs and skipping finiteness checks.

The matrix is Fortran-ordered so that SciPy, too, factors in place (given a C-ordered array,
``cho_factor(overwrite_a=True)`` copies it first); each round gets fresh copies of a and b
from an untimed setup. Run with ``--benchmark-group-by=param`` (see conftest.py).
"""
import numpy as np
import pytest
import scipy.linalg

from fastnewton.linalg import cho_solve_inplace

# Rounds per size: enough for a stable median, the whole file in well under a minute.
ROUNDS = {10: 3000, 100: 1000, 1000: 40}


def _problem(n):
    rng = np.random.default_rng(n)
    m = rng.standard_normal((n, n))
    a = m @ m.T + n * np.eye(n)
    a = np.asfortranarray(0.5 * (a + a.T))
    return a, rng.standard_normal(n)


def _scipy_cho_solve(a, b):
    c = scipy.linalg.cho_factor(a, overwrite_a=True, check_finite=False)
    return scipy.linalg.cho_solve(c, b, overwrite_b=True, check_finite=False)


@pytest.mark.parametrize("n", sorted(ROUNDS))
def test_cho_solve(ours_vs_scipy, n):
    a, b = _problem(n)

    def check(ours, theirs):
        assert np.linalg.norm(ours - theirs) <= 1e-12 * np.linalg.norm(theirs)
        assert np.linalg.norm(a @ ours - b) <= 1e-12 * np.linalg.norm(a) * np.linalg.norm(ours)

    ours_vs_scipy(
        fastnewton=cho_solve_inplace,
        scipy=_scipy_cho_solve,
        setup=lambda: (a.copy(order="F"), b.copy()),
        rounds=ROUNDS[n],
        check=check,
    )
