"""Tests of the sparse (modified) Cholesky: fastnewton._sparse_chol and
fastnewton.linalg.sparse_modified_cholesky.

Every expected value comes from an independent computation: NumPy's dense ``solve`` and
``cholesky`` (the nonzero count of the factor of the permuted matrix), and the dense
``modified_cholesky``'s shift (same rule, computed by different code on a dense array).
Residual bounds are backward-error bounds of Cholesky: ||A x - b|| <= c n eps ||A||_F ||x||.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

from fastnewton import _sparse_chol
from fastnewton._colouring import _pattern
from fastnewton.linalg import modified_cholesky, sparse_modified_cholesky
from fastnewton.testing import minimal_surface

EPS = np.finfo(np.float64).eps


def _grid(nx, ny, nine=False):
    """The 5-point (or 9-point) pattern of an nx x ny grid."""
    Tx = sp.diags([1.0, 1.0], [-1, 1], shape=(nx, nx))
    Ty = sp.diags([1.0, 1.0], [-1, 1], shape=(ny, ny))
    A = sp.kron(sp.identity(ny), Tx) + sp.kron(Ty, sp.identity(nx))
    if nine:
        A = A + sp.kron(Ty, Tx)
    return sp.csr_matrix(A)


def _arrowhead(n):
    A = sp.lil_matrix((n, n))
    A[0, :] = 1.0
    A[:, 0] = 1.0
    A.setdiag(1.0)
    return A.tocsr()


def _patterns():
    rng = np.random.default_rng(5)
    R = sp.random(150, 150, density=0.03, random_state=rng)
    return {
        "tridiagonal": sp.diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(40, 40)),
        "banded": sp.diags([1.0] * 9, list(range(-4, 5)), shape=(120, 120)),
        "block-diagonal": sp.block_diag([np.ones((k, k)) for k in (1, 3, 7, 12, 5)]),
        "arrowhead": _arrowhead(400),
        "grid-5": _grid(17, 13),
        "grid-9": _grid(12, 14, nine=True),
        "minimal-surface": minimal_surface(20, 20).sparsity,
        "random": R + R.T,
        "disconnected": sp.block_diag([_grid(9, 9), sp.diags([1.0, 1.0], [-1, 1], shape=(30, 30)),
                                       sp.identity(5)]),
        "n=1": sp.csr_matrix(np.ones((1, 1))),
        "diagonal": sp.identity(70),
        "dense": sp.csr_matrix(np.ones((30, 30))),
    }


PATTERNS = _patterns()


def _values(S, seed=0, spd=True):
    """A symmetric matrix on S's pattern (+ diagonal) with random entries; diagonally
    dominant (SPD) when spd."""
    ip, ix = _pattern(S)
    n = ip.shape[0] - 1
    rng = np.random.default_rng(seed)
    L = sp.tril(sp.csr_matrix((rng.uniform(-1, 1, ix.shape[0]), ix, ip), shape=(n, n)), -1)
    A = L + L.T
    d = np.asarray(abs(A).sum(axis=1)).ravel()
    A = A + sp.diags(d + 1.0 if spd else rng.uniform(-1, 1, n))
    return sp.csr_matrix(A)


def _residual_ok(A, x, b, c=8.0):
    n = A.shape[0]
    r = np.linalg.norm(A @ x - b)
    return r <= c * n * EPS * sp.linalg.norm(A) * np.linalg.norm(x), r


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_solve_matches_dense(name):
    A = _values(PATTERNS[name])
    n = A.shape[0]
    b = np.random.default_rng(1).standard_normal(n)
    f = sparse_modified_cholesky(A)
    assert f.tau == 0.0
    x = f.solve(b)
    ok, r = _residual_ok(A, x, b)
    assert ok, r
    ref = np.linalg.solve(A.toarray(), b)
    cond = np.linalg.cond(A.toarray())
    assert np.linalg.norm(x - ref) <= 16 * n * EPS * cond * np.linalg.norm(ref)
    assert sorted(f.perm) == list(range(n))


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_nnz_l_is_the_dense_factors_count(name):
    # the symbolic analysis (etree, column counts) against the nonzeros of NumPy's Cholesky of
    # the permuted matrix (random values: no exact cancellation)
    A = _values(PATTERNS[name], seed=2)
    f = sparse_modified_cholesky(A)
    p = f.perm
    Ld = np.linalg.cholesky(A.toarray()[np.ix_(p, p)])
    assert f.nnz == np.count_nonzero(Ld)
    assert f.plan.n_supernodes >= 1
    assert f.plan.solve_scratch >= A.shape[0]


def test_ordering_beats_natural_order_on_a_grid():
    # nested dissection: far less fill than the banded natural order (nx^3 for nx x nx)
    A = _values(_grid(40, 40))
    f = sparse_modified_cholesky(A)
    natural = np.count_nonzero(np.linalg.cholesky(A.toarray()))
    assert f.nnz < 0.6 * natural


def test_several_right_hand_sides_and_b_unchanged():
    A = _values(PATTERNS["grid-9"])
    n = A.shape[0]
    B = np.random.default_rng(3).standard_normal((n, 4))
    B0 = B.copy()
    X = sparse_modified_cholesky(A).solve(B)
    np.testing.assert_array_equal(B, B0)
    for j in range(4):
        ok, r = _residual_ok(A, X[:, j], B[:, j])
        assert ok, r


def test_only_the_lower_triangle_is_read():
    A = _values(PATTERNS["minimal-surface"], seed=4)
    junk = sp.triu(sp.csr_matrix(np.where(A.toarray() != 0, 1e3, 0.0)), 1)
    B = sp.tril(A) + junk
    b = np.ones(A.shape[0])
    x = sparse_modified_cholesky(B).solve(b)
    ok, r = _residual_ok(A, x, b)
    assert ok, r


def test_input_unchanged_and_formats():
    A = _values(PATTERNS["grid-5"], seed=6)
    for M in (A.tocsc(), A.tocoo(), sp.csr_array(A), A.astype(np.float32)):
        M0 = M.copy()
        f = sparse_modified_cholesky(M)
        assert (abs(M - M0)).max() == 0
        b = np.ones(A.shape[0])
        ok, r = _residual_ok(sp.csr_matrix(M, dtype=np.float64), f.solve(b), b)
        assert ok, r


@pytest.mark.parametrize("name", ["grid-5", "arrowhead", "random", "disconnected", "banded",
                                  "minimal-surface", "dense", "n=1"])
@pytest.mark.parametrize("beta", [1e-3, 1e-8, 0.5])
def test_indefinite_same_tau_as_dense_and_descent(name, beta):
    A = _values(PATTERNS[name], seed=7, spd=False)
    A = A - sp.diags(np.full(A.shape[0], 0.5 * abs(A).max()))
    dense = A.toarray()
    tau_dense = modified_cholesky(dense.copy(), beta=beta)
    f = sparse_modified_cholesky(A, beta=beta)
    assert tau_dense > 0.0 or name == "n=1"
    assert f.tau == pytest.approx(tau_dense, rel=1e-12)
    g = np.random.default_rng(8).standard_normal(A.shape[0])
    d = -f.solve(g)
    assert g @ d < 0.0
    M = sp.csr_matrix(A + f.tau * sp.identity(A.shape[0]))
    ok, r = _residual_ok(M, -d, g)
    assert ok, r


@pytest.mark.parametrize("M", [
    sp.csr_matrix((50, 50)),                                   # zero matrix
    sp.diags([1.0, -2.0, 1.0], [-1, 0, 1], shape=(60, 60)) * -1.0 - sp.diags(
        [1.0] + [0.0] * 58 + [1.0]),                          # a singular path Laplacian
    sp.csr_matrix(np.diag([1.0, 0.0, 3.0, 0.0])),              # empty rows
], ids=["zero", "singular-laplacian", "empty-rows"])
def test_singular_same_tau_as_dense(M):
    M = sp.csr_matrix(M, dtype=np.float64)
    tau_dense = modified_cholesky(M.toarray(), beta=1e-3)
    f = sparse_modified_cholesky(M)
    assert f.tau == pytest.approx(tau_dense, rel=1e-12)
    assert f.tau > 0.0
    g = np.arange(1.0, M.shape[0] + 1)
    assert g @ f.solve(g) > 0.0


def test_positive_definite_needs_no_shift_and_kernel_reports_failure():
    A = _values(PATTERNS["grid-5"])
    ip, ix = _pattern(A)
    plan = _sparse_chol.analyse(ip, ix)
    rows = np.repeat(np.arange(A.shape[0]), np.diff(ip))
    hval = np.asarray(A[rows, ix]).ravel()
    work = np.empty(plan.factor_size)
    assert _sparse_chol._factor(plan, hval, 0.0, work) == 0
    # an indefinite matrix: sc_factor stops with a positive column number
    assert _sparse_chol._factor(plan, -hval, 0.0, work) > 0
    # the shift argument: -A + (2 max row sum) I is positive definite
    assert _sparse_chol._factor(plan, -hval, 2 * abs(A).sum(axis=1).max(), work) == 0


def test_shift_overflow_raises_and_leaves_a():
    # beta_s = beta max|a_ii| = 1e300 * ~1e10 overflows
    A = _values(PATTERNS["grid-5"], spd=False) * 1e10
    A0 = A.copy()
    with pytest.raises(ValueError, match="beta=1e\\+300 is too large"):
        sparse_modified_cholesky(A, beta=1e300)
    assert (abs(A - A0)).max() == 0
    # the dense function refuses the same beta
    with pytest.raises(ValueError, match="too large"):
        modified_cholesky(A.toarray(), beta=1e300)
    # the kernel's own code
    ip, ix = _pattern(A)
    plan = _sparse_chol.analyse(ip, ix)
    rows = np.repeat(np.arange(A.shape[0]), np.diff(ip))
    hval = np.asarray(A[rows, ix]).ravel()
    info, tau = _sparse_chol._modified(plan, hval, 1e300, np.empty(plan.factor_size))
    assert (info, tau) == (-2, 0.0)


@pytest.mark.parametrize("bad, match", [
    (np.eye(3), "A must be a scipy.sparse"),
    (sp.csr_matrix((3, 4)), "A must be a square"),
    (sp.csr_matrix((0, 0)), "A must be a square"),
    (sp.csr_matrix(np.array([[1.0, np.nan], [np.nan, 1.0]])), "A holds NaN or Inf"),
    (sp.csr_matrix(np.array([[np.inf, 0.0], [0.0, 1.0]])), "A holds NaN or Inf"),
    (sp.csr_matrix(np.eye(2) * (1 + 1j)), "A must hold real numbers"),
])
def test_bad_matrix(bad, match):
    with pytest.raises(ValueError, match=match):
        sparse_modified_cholesky(bad)


@pytest.mark.parametrize("beta", [0.0, -1.0, np.nan, np.inf, "x"])
def test_bad_beta(beta):
    with pytest.raises(ValueError, match="beta"):
        sparse_modified_cholesky(sp.identity(3, format="csr"), beta=beta)


def test_bad_rhs():
    f = sparse_modified_cholesky(sp.identity(3, format="csr"))
    with pytest.raises(ValueError, match="b must have shape"):
        f.solve(np.ones(4))
    with pytest.raises(ValueError, match="b holds NaN"):
        f.solve(np.array([1.0, np.nan, 0.0]))


def test_concurrent_factorizations_agree():
    # the kernels run without the GIL: solves in threads give the serial answers
    mats = [_values(PATTERNS[k], seed=s) for s, k in enumerate(
        ["grid-5", "grid-9", "minimal-surface", "arrowhead", "random", "banded"] * 2)]

    def run(A):
        return sparse_modified_cholesky(A).solve(np.ones(A.shape[0]))

    serial = [run(A) for A in mats]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(run, mats))
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("indptr, indices, match", [
    ([0, 2, 3], [0, 1, 1], "symmetric"),
    ([0, 1, 2], [0, 0], "diagonal"),
    ([0, 2, 4], [1, 0, 0, 1], "increase strictly"),
    ([0, 2, 4], [0, 2, 0, 1], "increase strictly"),
    ([1, 2, 3], [0, 1, 1], "indptr must start at 0"),
    ([0, 3, 2], [0, 1, 1], "indptr"),
    ([0], [], "n >= 1"),
])
def test_analyse_rejects_a_bad_pattern(indptr, indices, match):
    with pytest.raises(ValueError, match=match):
        _sparse_chol.analyse(np.array(indptr), np.array(indices, dtype=int))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["diagonal", "off-diagonal"])
def test_kernel_non_finite_values_fail_like_the_dense_kernel(bad, where):
    # the Python layer refuses such values; the kernel itself must still stop with an error
    # code (never 0 with a factor of garbage), the same code as the dense kernel's
    from fastnewton import _linalg
    A = _values(PATTERNS["grid-5"], seed=9)
    ip, ix = _pattern(A)
    n = A.shape[0]
    rows = np.repeat(np.arange(n), np.diff(ip))
    hval = np.asarray(A[rows, ix]).ravel()
    i, j = (5, 5) if where == "diagonal" else (6, 5)
    e = ip[i] + np.searchsorted(ix[ip[i]:ip[i + 1]], j)
    hval[e] = bad
    dense = A.toarray()
    dense[i, j] = bad
    info_dense, _ = _linalg._modified_cholesky(dense, False, 1e-3)
    plan = _sparse_chol.analyse(ip, ix)
    info, tau = _sparse_chol._modified(plan, hval, 1e-3, np.empty(plan.factor_size))
    assert info != 0 and tau == 0.0
    assert info == info_dense
