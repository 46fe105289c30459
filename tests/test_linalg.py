"""Tests of fastnewton.linalg: in-place Cholesky solve and modified Cholesky.

Every expected value comes from an independent computation (SciPy's ``cho_factor`` /
``cho_solve``, NumPy's ``cholesky`` and ``eigvalsh``, or the shift sequence of Nocedal &
Wright's Alg. 3.3 recomputed here from the matrix's diagonal), never from the code under test.
"""
import functools

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from threadpoolctl import threadpool_info, threadpool_limits

from fastnewton.linalg import cho_solve_inplace, modified_cholesky

EPS = np.finfo(np.float64).eps

# Every n up to 20, then a spread up to 500 around OpenBLAS's block sizes.
SIZES = list(range(1, 21)) + [24, 31, 32, 33, 47, 64, 65, 100, 127, 128, 129, 200, 255,
                              256, 257, 333, 400, 499, 500]
A_ORDERS = ["C", "F"]
B_LAYOUTS = ["1d", "2d-C", "2d-F"]
NRHS = 3


@functools.lru_cache(maxsize=None)
def _spd(n, seed=0):
    """A well-conditioned SPD matrix M M^T + n I (cond <~ 5), exactly symmetric, read-only."""
    rng = np.random.default_rng([n, seed])
    m = rng.standard_normal((n, n))
    a = m @ m.T + n * np.eye(n)
    a = 0.5 * (a + a.T)
    a.setflags(write=False)
    return a


def _rhs(n, layout, seed=1):
    rng = np.random.default_rng([n, seed])
    if layout == "1d":
        return rng.standard_normal(n)
    b = rng.standard_normal((n, NRHS))
    return np.ascontiguousarray(b) if layout == "2d-C" else np.asfortranarray(b)


def _rel_err(x, ref):
    return np.linalg.norm(x - ref) / np.linalg.norm(ref)


_DEFAULT_BLAS_THREADS = max([i["num_threads"] for i in threadpool_info()
                             if i["user_api"] == "blas"] or [1])


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """One BLAS thread: on a busy machine multi-threaded OpenBLAS calls on these small
    matrices can be 100x slower (docs/design.md, "BLAS threads"). One test below lifts it."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


# ---------------------------------------------------------------------------------------------
# cho_solve_inplace: agreement with SciPy, the factor, in-place behaviour


@pytest.mark.parametrize("b_layout", B_LAYOUTS)
@pytest.mark.parametrize("a_order", A_ORDERS)
@pytest.mark.parametrize("n", SIZES)
def test_cho_solve_matches_scipy(n, a_order, b_layout):
    A = _spd(n)
    b0 = _rhs(n, b_layout)
    x_ref = scipy.linalg.cho_solve(scipy.linalg.cho_factor(A), b0)

    a = np.array(A, order=a_order)
    b = b0.copy(order="K")
    assert b.flags.c_contiguous if b_layout != "2d-F" else b.flags.f_contiguous
    x = cho_solve_inplace(a, b)

    # In place: the solution is written into the caller's b, and returned as b itself.
    assert x is b
    assert np.shares_memory(x, b)
    assert x.shape == b0.shape
    assert not np.array_equal(b, b0)
    assert _rel_err(x, x_ref) <= 1e-12

    # a's lower triangle now holds L with A = L L^T; its strict upper triangle is untouched.
    L_ref = np.linalg.cholesky(A)
    L = np.tril(a)
    assert np.linalg.norm(L - L_ref) <= 1e-13 * np.linalg.norm(L_ref)
    iu = np.triu_indices(n, 1)
    assert np.array_equal(a[iu], A[iu])


@pytest.mark.parametrize("a_order", A_ORDERS)
def test_cho_solve_with_default_blas_threads(a_order):
    """The same agreement with the BLAS thread count the process started with."""
    n = 500
    A, b0 = _spd(n), _rhs(n, "2d-C")
    x_ref = scipy.linalg.cho_solve(scipy.linalg.cho_factor(A), b0)
    with threadpool_limits(limits=_DEFAULT_BLAS_THREADS, user_api="blas"):
        a = np.array(A, order=a_order)
        x = cho_solve_inplace(a, b0.copy())
        tau = modified_cholesky(np.array(-A, order=a_order))
    assert _rel_err(x, x_ref) <= 1e-12
    assert tau > 0


@pytest.mark.parametrize("a_order", A_ORDERS)
@pytest.mark.parametrize("n", [1, 2, 7, 64, 129])
def test_cho_solve_reads_only_lower_triangle(n, a_order):
    """Garbage in the strict upper triangle changes neither the solution nor the garbage."""
    A = _spd(n)
    rng = np.random.default_rng(n)
    a = np.array(A, order=a_order)
    iu = np.triu_indices(n, 1)
    a[iu] = 1e6 * rng.standard_normal(len(iu[0]))
    junk = a[iu].copy()
    b0 = rng.standard_normal(n)
    x_ref = scipy.linalg.cho_solve(scipy.linalg.cho_factor(A, lower=True), b0)

    x = cho_solve_inplace(a, b0.copy())

    assert _rel_err(x, x_ref) <= 1e-12
    assert np.array_equal(a[iu], junk)
    L_ref = np.linalg.cholesky(A)
    assert np.linalg.norm(np.tril(a) - L_ref) <= 1e-13 * np.linalg.norm(L_ref)


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (6, 1), (6, 0), (0,), (0, 2)])
def test_cho_solve_edge_shapes(shape):
    """Single columns/rows (both C- and Fortran-contiguous at once) and empty problems."""
    n = shape[0]
    A = _spd(n) if n else np.zeros((0, 0))
    b0 = np.random.default_rng(3).standard_normal(shape)
    b = b0.copy()
    x = cho_solve_inplace(np.array(A), b)
    assert x is b and x.shape == shape
    if b0.size:
        x_ref = scipy.linalg.cho_solve(scipy.linalg.cho_factor(A), b0)
        assert _rel_err(x, x_ref) <= 1e-12


def test_cho_solve_docstring_example():
    a = np.array([[4.0, 2.0], [2.0, 3.0]])
    b = np.array([2.0, 1.0])
    x = cho_solve_inplace(a, b)
    np.testing.assert_allclose(x, [0.5, 0.0], atol=1e-15)


@pytest.mark.parametrize("a_order", A_ORDERS)
@pytest.mark.parametrize(
    "A",
    [
        np.array([[1.0, 2.0], [2.0, 1.0]]),                 # indefinite
        np.array([[1.0, 1.0], [1.0, 1.0]]),                 # singular PSD
        np.zeros((3, 3)),                                   # zero
        -np.eye(4),                                         # negative definite
        np.diag([3.0, 2.0, -1e-300, 5.0]),                  # tiny negative pivot
    ],
    ids=["indefinite", "singular", "zero", "negdef", "tiny-neg"],
)
def test_cho_solve_not_positive_definite_raises(A, a_order):
    a = np.array(A, order=a_order)
    b0 = np.arange(1.0, A.shape[0] + 1)
    b = b0.copy()
    with pytest.raises(np.linalg.LinAlgError, match="positive definite"):
        cho_solve_inplace(a, b)
    # The factorization failed before any solve: b was not touched, nor a's upper triangle.
    assert np.array_equal(b, b0)
    iu = np.triu_indices(A.shape[0], 1)
    assert np.array_equal(a[iu], A[iu])


# ---------------------------------------------------------------------------------------------
# modified_cholesky


def _shift_start(A, beta):
    """Nocedal & Wright Alg. 3.3 as documented in fastnewton/_linalg.pyx, recomputed here.

    Returns (beta_s, tau_0): beta_s = beta * max(max|a_ii|, ||A||_F / n) (beta if A = 0);
    tau_0 = 0 if min a_ii > 0 else beta_s - min a_ii.
    """
    d = np.diag(A)
    sym = np.tril(A) + np.tril(A, -1).T
    scale = max(np.max(np.abs(d)), np.linalg.norm(sym) / A.shape[0]) if A.size else 0.0
    if scale == 0.0:
        scale = 1.0
    beta_s = scale * beta
    tau0 = 0.0 if np.min(d) > 0.0 else beta_s - np.min(d)
    return beta_s, tau0


def _shift_sequence(A, beta, count=80):
    """tau_0, tau_1, ...: tau_{k+1} = max(2 tau_k, beta_s)."""
    beta_s, t = _shift_start(A, beta)
    seq = [t]
    for _ in range(count):
        t = max(2.0 * t, beta_s)
        seq.append(t)
    return seq


def _expected_tau(A, beta, known_singular=False):
    """The first shift of the sequence that makes A + tau I positive definite, from the
    eigenvalues. Asserts a clear margin at every step so that no rounding can flip the answer
    (a test-data precondition, not a property of the code under test)."""
    lam = np.linalg.eigvalsh(A)[0]
    size = np.abs(np.linalg.eigvalsh(A)).max() + 1.0
    for t in _shift_sequence(A, beta):
        if known_singular and t == 0.0:
            continue
        assert abs(lam + t) > 1e-10 * (size + t), "test matrix too close to a shift boundary"
        if lam + t > 0:
            return t
    raise AssertionError("no shift in the sequence works")  # pragma: no cover


def _check_factor(a_after, A, tau):
    """The lower triangle L of a_after: positive diagonal, L L^T = A + tau I to within the
    backward error of Cholesky (|L L^T - M|_ij <= c n eps sqrt(m_ii m_jj))."""
    n = A.shape[0]
    L = np.tril(a_after)
    M = A + tau * np.eye(n)
    assert np.all(np.diag(L) > 0)
    err = np.abs(L @ L.T - M).max()
    assert err <= 8 * (n + 2) * EPS * np.diag(M).max(), err
    return L


def _eig_matrix(eigs, seed):
    """Q diag(eigs) Q^T with a random orthogonal Q, exactly symmetric."""
    n = len(eigs)
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    a = (q * np.asarray(eigs, float)) @ q.T
    return 0.5 * (a + a.T)


def _singular_psd(n, rank_drop, seed):
    """Exactly singular PSD matrix L L^T with L integer lower-triangular, unit diagonal except
    `rank_drop` zeros. Every step of a Cholesky factorization of it is exact in floating point,
    so it fails (zero pivot) however LAPACK blocks it."""
    rng = np.random.default_rng(seed)
    L = np.tril(rng.integers(-3, 4, size=(n, n)).astype(float), -1)
    d = np.ones(n)
    d[rng.choice(n, size=rank_drop, replace=False)] = 0.0
    L[np.diag_indices(n)] = d
    return L @ L.T


def _indefinite_cases():
    cases = {}
    # Positive diagonal, one or more negative eigenvalues: tau starts at 0 and doubles from beta_s.
    for n in (2, 5, 30, 120):
        eigs = np.linspace(1.0, 10.0, n)
        eigs[0] = -0.3
        A = _eig_matrix(eigs, seed=n)
        cases[f"posdiag-n{n}"] = A
    # Negative diagonal entries: tau starts at beta_s - min(diag).
    for n in (1, 3, 17, 90):
        eigs = np.linspace(-8.0, 4.0, n)
        cases[f"negdiag-n{n}"] = _eig_matrix(eigs, seed=100 + n) if n > 1 else np.array([[-2.0]])
    cases["negdef-n6"] = -_spd(6)
    # Zero diagonal: beta_s falls back to beta * ||A||_F.
    cases["zerodiag-2"] = np.array([[0.0, 1.0], [1.0, 0.0]])
    cases["zerodiag-4"] = np.array([[0.0, 3.0, 0.0, 1.0],
                                    [3.0, 0.0, -2.0, 0.0],
                                    [0.0, -2.0, 0.0, 4.0],
                                    [1.0, 0.0, 4.0, 0.0]])
    return cases


INDEFINITE = _indefinite_cases()


@pytest.mark.parametrize("beta", [1e-3, 1e-6, 0.25])
@pytest.mark.parametrize("a_order", A_ORDERS)
@pytest.mark.parametrize("name", sorted(INDEFINITE))
def test_modified_cholesky_indefinite(name, a_order, beta):
    A = INDEFINITE[name]
    assert np.linalg.eigvalsh(A)[0] < 0  # precondition: really indefinite
    expected = _expected_tau(A, beta)
    a = np.array(A, order=a_order)

    tau = modified_cholesky(a, beta=beta)

    assert tau > 0
    np.testing.assert_allclose(tau, expected, rtol=1e-14)
    _check_factor(a, A, tau)
    # The strict upper triangle of a symmetric input keeps its values.
    iu = np.triu_indices(A.shape[0], 1)
    assert np.array_equal(a[iu], A[iu])
    # "Small-ish": where the doubling implies it, the previous shift tau/2 was tried and failed.
    beta_s, tau0 = _shift_start(A, beta)
    if (tau0 == 0.0 and tau > beta_s) or (tau0 > 0.0 and tau > tau0):
        with pytest.raises(np.linalg.LinAlgError):
            np.linalg.cholesky(A + 0.5 * tau * np.eye(A.shape[0]))


@pytest.mark.parametrize("a_order", A_ORDERS)
@pytest.mark.parametrize("n, rank_drop", [(1, 1), (2, 1), (5, 1), (5, 3), (40, 2), (150, 1)])
def test_modified_cholesky_singular_psd(n, rank_drop, a_order):
    A = _singular_psd(n, rank_drop, seed=n + rank_drop)
    with pytest.raises(np.linalg.LinAlgError):  # precondition: A itself does not factor
        np.linalg.cholesky(A)
    expected = _expected_tau(A, 1e-3, known_singular=True)
    a = np.array(A, order=a_order)

    tau = modified_cholesky(a)

    assert tau > 0
    np.testing.assert_allclose(tau, expected, rtol=1e-14)
    _check_factor(a, A, tau)
    iu = np.triu_indices(n, 1)
    assert np.array_equal(a[iu], A[iu])


@pytest.mark.parametrize("a_order", A_ORDERS)
def test_modified_cholesky_zero_row(a_order):
    """PSD with a zero row and column: min(diag) = 0, so tau = beta_s exactly."""
    A = np.array(_spd(5))
    A[2, :] = A[:, 2] = 0.0
    beta_s, _ = _shift_start(A, 1e-3)
    a = np.array(A, order=a_order)
    tau = modified_cholesky(a)
    assert tau == beta_s
    _check_factor(a, A, tau)


@pytest.mark.parametrize("beta", [1e-3, 0.5, 7.0])
@pytest.mark.parametrize("a_order", A_ORDERS)
@pytest.mark.parametrize("n", [1, 2, 5, 33])
def test_modified_cholesky_zero_matrix(n, a_order, beta):
    a = np.zeros((n, n), order=a_order)
    tau = modified_cholesky(a, beta=beta)
    assert tau == beta  # beta_s = beta when A = 0
    np.testing.assert_allclose(np.tril(a), np.sqrt(beta) * np.eye(n), rtol=1e-15, atol=0)
    assert np.all(np.triu(a, 1) == 0.0)


@pytest.mark.parametrize("a_order", A_ORDERS)
@pytest.mark.parametrize("n", [1, 2, 3, 8, 31, 64, 129, 300])
def test_modified_cholesky_spd_has_zero_shift(n, a_order):
    A = _spd(n)
    a = np.array(A, order=a_order)
    tau = modified_cholesky(a)
    assert tau == 0.0 and type(tau) is float
    L_ref = np.linalg.cholesky(A)
    assert np.linalg.norm(np.tril(a) - L_ref) <= 1e-13 * np.linalg.norm(L_ref)
    iu = np.triu_indices(n, 1)
    assert np.array_equal(a[iu], A[iu])


@pytest.mark.parametrize("a_order", A_ORDERS)
def test_modified_cholesky_reads_only_lower_triangle(a_order):
    """Upper-triangle garbage is ignored and replaced by the transpose of the strict lower one."""
    A = INDEFINITE["negdiag-n17"]
    n = A.shape[0]
    a = np.array(A, order=a_order)
    iu = np.triu_indices(n, 1)
    a[iu] = np.random.default_rng(0).uniform(-1e3, 1e3, len(iu[0]))
    tau = modified_cholesky(a)
    np.testing.assert_allclose(tau, _expected_tau(A, 1e-3), rtol=1e-14)
    _check_factor(a, A, tau)
    assert np.array_equal(a[iu], A[iu])


def test_modified_cholesky_empty():
    assert modified_cholesky(np.zeros((0, 0))) == 0.0


def test_modified_cholesky_tiny_diagonal_large_offdiagonal():
    """A diagonal tiny beside the off-diagonal must not starve the shift (beta_s has a
    Frobenius floor), so a working shift is found in a few doublings."""
    A = np.array([[1e-60, 1.0], [1.0, 1e-60]])  # finite, symmetric, eigenvalues ~ +-1
    a = A.copy()
    tau = modified_cholesky(a)
    assert tau > 1.0
    _check_factor(a, A, tau)


# Entries of moderate size: either 0 or at least 1e-6 in magnitude (the hypothesis strategy
# keeps the eigenvalue margins in _expected_tau checkable).
_entries = st.one_of(
    st.just(0.0),
    st.integers(-8, 8).map(float),
    st.floats(-100.0, 100.0, allow_nan=False, allow_subnormal=False).filter(
        lambda v: v == 0.0 or abs(v) >= 1e-6),
)


@st.composite
def _symmetric(draw):
    n = draw(st.integers(1, 8))
    m = draw(hnp.arrays(np.float64, (n, n), elements=_entries))
    lower = np.tril(m)
    return lower + np.tril(m, -1).T


@settings(max_examples=300, deadline=None)
@given(A=_symmetric(), fortran=st.booleans(),
       beta=st.sampled_from([1e-3, 1e-8, 0.1, 1.0]))
def test_modified_cholesky_property(A, fortran, beta):
    n = A.shape[0]
    a = np.array(A, order="F" if fortran else "C")
    tau = modified_cholesky(a, beta=beta)

    assert np.isfinite(tau) and tau >= 0.0
    L = _check_factor(a, A, tau)
    assert np.all(np.isfinite(L))
    iu = np.triu_indices(n, 1)
    assert np.array_equal(a[iu], A[iu])

    # tau is a member of the documented sequence ...
    seq = np.array(_shift_sequence(A, beta))
    assert np.any(np.isclose(tau, seq, rtol=1e-14, atol=0)), (tau, seq[:5])
    # ... and the previous member (tried before, so it failed) does not leave A clearly PD.
    lam = np.linalg.eigvalsh(A)[0]
    tol = 1e-9 * (np.abs(A).sum() + tau + 1.0)
    beta_s, tau0 = _shift_start(A, beta)
    if tau == 0.0:
        assert lam > -tol
    elif (tau0 == 0.0 and tau > beta_s) or (tau0 > 0.0 and tau > tau0):
        assert lam + 0.5 * tau < tol
    elif tau0 == 0.0:  # tau == beta_s: the unshifted matrix failed
        assert lam < tol


# ---------------------------------------------------------------------------------------------
# Bad input: ValueError naming the problem, and nothing modified


def _readonly(x):
    x = np.array(x)
    x.setflags(write=False)
    return x


def _with(x, idx, value):
    x = np.array(x, order="K")
    x[idx] = value
    return x


def _A():
    return np.array(_spd(4))


def _B():
    return np.arange(1.0, 5.0)


# Each case: a factory making a fresh bad argument, and the pattern its ValueError must match.
BAD_A = {
    "non-square": (lambda: np.ones((3, 4)), r"square"),
    "1-D": (lambda: np.ones(4), r"2-D"),
    "3-D": (lambda: np.ones((2, 2, 2)), r"2-D"),
    "non-contiguous": (lambda: np.array(_spd(8))[::2, ::2], r"contiguous"),
    "nan": (lambda: _with(_A(), (3, 0), np.nan), r"\ba holds NaN or Inf"),
    "nan-upper": (lambda: _with(_A(), (0, 3), np.nan), r"\ba holds NaN or Inf"),
    "inf": (lambda: _with(_A(), (2, 2), np.inf), r"\ba holds NaN or Inf"),
    "-inf-fortran": (lambda: np.asfortranarray(_with(_A(), (1, 0), -np.inf)),
                     r"\ba holds NaN or Inf"),
    "float32": (lambda: _A().astype(np.float32), r"float64"),
    "int": (lambda: np.eye(4, dtype=np.int64), r"float64"),
    "complex": (lambda: _A().astype(complex), r"float64"),
    "read-only": (lambda: _readonly(_A()), r"writeable"),
    "list": (lambda: _A().tolist(), r"ndarray"),
}

BAD_B = {
    "wrong-size": (lambda: np.ones(5), r"b must have shape"),
    "wrong-size-2d": (lambda: np.ones((3, 2)), r"b must have shape"),
    "3-D": (lambda: np.ones((4, 1, 1)), r"b must have shape"),
    "0-D": (lambda: np.array(1.0), r"b must have shape"),
    "nan": (lambda: _with(_B(), 2, np.nan), r"b holds NaN or Inf"),
    "inf-2d": (lambda: _with(np.ones((4, 2)), (3, 1), np.inf), r"b holds NaN or Inf"),
    "non-contiguous-1d": (lambda: np.ones(8)[::2], r"contiguous"),
    "non-contiguous-2d": (lambda: np.ones((4, 6))[:, ::2], r"contiguous"),
    "float32": (lambda: _B().astype(np.float32), r"float64"),
    "int": (lambda: np.arange(4), r"float64"),
    "read-only": (lambda: _readonly(_B()), r"writeable"),
    "list": (lambda: [1.0, 2.0, 3.0, 4.0], r"ndarray"),
}


def _snapshot(x):
    return np.array(x, copy=True) if isinstance(x, np.ndarray) else list(x)


def _unchanged(x, snap):
    if isinstance(x, np.ndarray):
        return np.array_equal(x, snap, equal_nan=x.dtype.kind == "f")
    return x == snap


@pytest.mark.parametrize("case", sorted(BAD_A))
def test_cho_solve_bad_a(case):
    make, pattern = BAD_A[case]
    a, b = make(), _B()
    a_snap, b_snap = _snapshot(a), _snapshot(b)
    with pytest.raises(ValueError, match=pattern):
        cho_solve_inplace(a, b)
    assert _unchanged(a, a_snap) and _unchanged(b, b_snap)


@pytest.mark.parametrize("case", sorted(BAD_A))
def test_modified_cholesky_bad_a(case):
    make, pattern = BAD_A[case]
    a = make()
    a_snap = _snapshot(a)
    with pytest.raises(ValueError, match=pattern):
        modified_cholesky(a)
    assert _unchanged(a, a_snap)


def test_non_contiguous_view_leaves_base_unchanged():
    base = np.array(_spd(8))
    snap = base.copy()
    with pytest.raises(ValueError, match="contiguous"):
        cho_solve_inplace(base[::2, ::2], np.ones(4))
    with pytest.raises(ValueError, match="contiguous"):
        modified_cholesky(base[1:, 1:][:4, :4])   # 2-D view with a row stride of 8
    assert np.array_equal(base, snap)


@pytest.mark.parametrize("a_order", A_ORDERS)
@pytest.mark.parametrize("case", sorted(BAD_B))
def test_cho_solve_bad_b(case, a_order):
    make, pattern = BAD_B[case]
    a, b = np.array(_A(), order=a_order), make()
    a_snap, b_snap = _snapshot(a), _snapshot(b)
    with pytest.raises(ValueError, match=pattern):
        cho_solve_inplace(a, b)
    assert _unchanged(a, a_snap) and _unchanged(b, b_snap)


def test_cho_solve_bad_a_reported_before_b():
    """Both arguments bad: still a ValueError, and neither is modified."""
    a = _with(_A(), (1, 1), np.nan)
    b = _with(_B(), 0, np.inf)
    a_snap, b_snap = a.copy(), b.copy()
    with pytest.raises(ValueError, match="NaN or Inf"):
        cho_solve_inplace(a, b)
    assert np.array_equal(a, a_snap, equal_nan=True) and np.array_equal(b, b_snap)


@pytest.mark.parametrize("beta", [0.0, -1e-3, -np.inf, np.nan, np.inf])
def test_modified_cholesky_bad_beta(beta):
    a = -np.array(_spd(4))
    snap = a.copy()
    with pytest.raises(ValueError, match="beta"):
        modified_cholesky(a, beta=beta)
    assert np.array_equal(a, snap)


@pytest.mark.parametrize("beta,says", [(0.0, "> 0"), (-1e-3, "> 0"), (np.inf, "finite"),
                                       (np.nan, "finite"), (10**400, "fits in a float"),
                                       ("1e-3", "real number"), (1e-3 + 0j, "real number"),
                                       (np.ones(2), "real number"), (None, "real number")],
                         ids=["0", "negative", "inf", "nan", "10**400", "str", "complex",
                              "array", "None"])
def test_modified_cholesky_bad_beta_says_what_is_wrong(beta, says):
    """beta=10**400 was an OverflowError; every refusal names beta and says which rule
    (finite, > 0, a real number) it breaks; a is unchanged."""
    a = -np.array(_spd(4))
    snap = a.copy()
    with pytest.raises(ValueError, match="beta") as ei:
        modified_cholesky(a, beta=beta)
    assert says in str(ei.value)
    assert np.array_equal(a, snap)


OVERFLOW_CASES = [np.array([[1.0, 2.0], [2.0, 1.0]]), -np.eye(3), np.array([[-1.0]]),
                  np.array([[1e200, -3e200], [-3e200, 1e200]])]


@pytest.mark.parametrize("beta", [1.7e308, np.finfo(float).max, 1e308, 1e300])
@pytest.mark.parametrize("k", range(len(OVERFLOW_CASES)))
def test_modified_cholesky_never_returns_an_infinite_shift(k, beta):
    """modified_cholesky(a, beta=1.7e308) returned tau = inf and a factor of A + inf I. A
    beta so large that the shift overflows is refused (ValueError naming beta, a
    unchanged); otherwise tau is finite and L L^T = A + tau I."""
    A = OVERFLOW_CASES[k]
    a = A.copy()
    try:
        tau = modified_cholesky(a, beta=beta)
    except ValueError as e:
        assert "beta" in str(e) and "overflow" in str(e)
        assert np.array_equal(a, A)
        return
    assert np.isfinite(tau) and tau > 0.0
    L = np.tril(a)
    assert np.all(np.isfinite(L))
    np.testing.assert_allclose(L @ L.T, A + tau * np.eye(len(A)), rtol=1e-12,
                               atol=1e-12 * (np.abs(A).max() + tau))


def test_modified_cholesky_refuses_the_overflowing_beta_of_the_issue():
    for A in (np.array([[1.0, 2.0], [2.0, 1.0]]), -np.eye(2)):
        if np.all(np.diag(A) < 0):
            # tau_0 = beta_s - min a_ii = 1.7e308 + 1 is finite and works: no overflow
            assert np.isfinite(modified_cholesky(A.copy(), beta=1.7e308))
            continue
        with pytest.raises(ValueError, match="beta"):
            modified_cholesky(A.copy(), beta=1.7e308)


def test_modified_cholesky_of_huge_entries_has_a_finite_shift():
    """Entries beyond 1e154 overflow ||A||_F^2 (and so the shift scale, tau = inf before):
    the norm is rescaled, and the default beta gives a finite shift that works."""
    A = np.array([[1e200, -3e200], [-3e200, 1e200]])
    a = A.copy()
    tau = modified_cholesky(a)
    assert np.isfinite(tau) and tau > 0.0
    np.testing.assert_allclose(np.tril(a) @ np.tril(a).T, A + tau * np.eye(2), rtol=1e-12)
    # the scale rule's value: beta * max(max|a_ii|, ||A||_F / n), doubled until it works
    scale = max(1e200, np.sqrt(1 + 9 + 9 + 1) * 1e200 / 2)      # ||A||_F / n, no overflow
    assert tau >= 1e-3 * scale


def test_cho_solve_b_sharing_memory_with_a_is_rejected():
    A = _spd(4)
    a = np.array(A)
    b = a[1]                     # a row of a: solving would corrupt the factor
    before = a.copy()
    with pytest.raises(ValueError, match="share memory"):
        cho_solve_inplace(a, b)
    assert np.array_equal(a, before)
