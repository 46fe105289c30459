"""Tests of the star colouring (fastnewton.hessian_groups) and the coloured finite-difference
Hessian (fastnewton.hessian(..., sparsity=S)).

Counts: the known optima (tridiagonal 3, 5-point grid 5, arrowhead 2), the bordered band's
2b + 2, and never more groups than SciPy's Curtis-Powell-Reid grouping
(scipy.optimize._numdiff.group_columns) in natural order on the same pattern (its symmetric
closure with the diagonal). Validity: a brute-force check that every colouring returned is a
star colouring (proper, and no path on four vertices with two colours).

Accuracy. The test function is f(x) = x^T A x / 2 + sum_i x_i^4 / 12 with A sparse symmetric,
g(x) = A x + x^3 / 3 computed row by row from A's stored entries (CSR matvec), so g_i reads
only the x_k of row i's pattern. For an entry (r, s) the raw central quotient of the dense
kernel, A_rs = (g_r(x + h_s e_s) - g_r(x - h_s e_s)) / delta_s, is then bitwise the one the
coloured kernel reads from the group of s in row r whenever s is the only member of its group
in row r (the other perturbed coordinates are not read by g_r). The dense Hessian is
(A_rs + A_sr) / 2; the coloured one is the same mean when both sides are readable, else the
readable side, so the two differ by at most |A_rs - A_sr| / 2 <= (e_rs + e_sr) / 2, with e_rs
the error bound of one raw quotient against the exact H_rs:

  u = eps / 2, gamma_k = k u / (1 - k u) (Higham, sec. 3.1), m_r = stored entries of row r,
  dg_r = gamma_{m_r + 4} (sum_k |A_rk| (|x_k| + 2 h_k) + (|x_r| + 2 h_r)^3)  (rounding of a
         computed g_r near x: a dot product of m_r terms plus the cube, within 4 ulps),
  e_rs = 2 dg_r / delta_s  (two rounded gradients in the difference)
         + 4 u |H_rs|       (the step's rounding in delta_s, the subtraction, the reciprocal
                             and the product)
         + [r == s] h_s^2 / 3  (truncation: g_r is linear in x_s off the diagonal; on it the
                             central difference of x^3/3 leaves h^2 f'''' / 6 = h^2 / 3).

The number of gradient evaluations is 1 (at x) + ngroups (forward) or 2 ngroups (central).
"""
import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize._numdiff import group_columns

from _support import Counted

import fastnewton
from fastnewton import hessian_groups

EPS = np.finfo(float).eps
U = EPS / 2


# -- patterns ---------------------------------------------------------------------------------

def band(n, b):
    return sp.diags([np.ones(n - abs(k)) for k in range(-b, b + 1)], list(range(-b, b + 1)),
                    format="csr")


def bordered_band(n, b, hub):
    S = band(n, b).tolil()
    S[hub, :] = 1
    S[:, hub] = 1
    return S.tocsr()


def arrowhead(n, hub):
    S = sp.identity(n, format="lil")
    S[hub, :] = 1
    S[:, hub] = 1
    return S.tocsr()


def grid(nx, ny, nine=False):
    """The 5-point (or 9-point) stencil's pattern on an nx x ny grid, natural order."""
    idx = np.arange(nx * ny).reshape(nx, ny)
    rows, cols = [], []
    offs = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]
    if nine:
        offs += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    for di, dj in offs:
        a = idx[max(0, -di):nx - max(0, di), max(0, -dj):ny - max(0, dj)]
        b = idx[max(0, di):nx + min(0, di), max(0, dj):ny + min(0, dj)]
        rows.append(a.ravel())
        cols.append(b.ravel())
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(r.size), (r, c)), shape=(nx * ny, nx * ny))


def block_diagonal(sizes):
    return sp.block_diag([np.ones((k, k)) for k in sizes], format="csr")


def random_pattern(n, density, seed):
    S = sp.random(n, n, density=density, random_state=np.random.RandomState(seed),
                  format="csr")
    return S


def closure(S):
    """The symmetric closure with the diagonal, as the kernels see it (0/1 CSR)."""
    S = sp.csr_matrix(S)
    A = sp.csr_matrix((np.ones(S.indices.size), S.indices, S.indptr), shape=S.shape)
    P = (A + A.T + sp.identity(S.shape[0])).tocsr()
    P.data[:] = 1.0
    P.sort_indices()
    return P


def named_patterns():
    yield "tridiagonal n=50", band(50, 1)
    yield "band b=3 n=60", band(60, 3)
    yield "band b=7 n=100", band(100, 7)
    yield "block-diagonal 5x(1..8)", block_diagonal([1, 2, 3, 5, 8, 4, 6, 7])
    yield "arrowhead n=40 hub first", arrowhead(40, 0)
    yield "arrowhead n=40 hub last", arrowhead(40, 39)
    for b in (1, 2, 4):
        yield f"band b={b} + dense row/col first n=60", bordered_band(60, b, 0)
        yield f"band b={b} + dense row/col last n=60", bordered_band(60, b, 59)
    yield "5-point grid 12x9", grid(12, 9)
    yield "9-point grid 10x11", grid(10, 11, nine=True)
    for seed in range(12):
        n = 20 + 7 * seed
        yield f"random n={n} seed={seed}", random_pattern(n, 3.0 / n, seed)


def is_star_colouring(P, colours):
    """Brute force: proper, and no path a - b - c - d on 4 distinct vertices with 2 colours."""
    n = P.shape[0]
    nb = [set(P.indices[P.indptr[i]:P.indptr[i + 1]]) - {i} for i in range(n)]
    for b in range(n):
        for c in nb[b]:
            if colours[b] == colours[c]:
                return False                            # not even proper
            for a in nb[b] - {c}:
                if colours[a] != colours[c]:
                    continue
                for d in nb[c] - {a, b}:
                    if colours[d] == colours[b]:
                        return False
    return True


# -- counts -----------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [4, 5, 10, 101])   # n = 3 is a star: 2
def test_tridiagonal_needs_3(n):
    assert hessian_groups(band(n, 1))[0] == 3


@pytest.mark.parametrize("nx,ny", [(4, 4), (5, 7), (20, 20), (31, 4), (100, 100)])
def test_five_point_grid_needs_5(nx, ny):
    assert hessian_groups(grid(nx, ny))[0] == 5


@pytest.mark.parametrize("n", [3, 10, 200])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_arrowhead_needs_2(n, where):
    hub = {"first": 0, "middle": n // 2, "last": n - 1}[where]
    assert hessian_groups(arrowhead(n, hub))[0] == 2


@pytest.mark.parametrize("b", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("where", ["first", "last"])
def test_bordered_band_needs_at_most_2b_plus_2(b, where):
    n = 80
    k = hessian_groups(bordered_band(n, b, 0 if where == "first" else n - 1))[0]
    assert k <= 2 * b + 2
    # and SciPy's unsymmetric grouping needs all n: the point of exploiting symmetry
    P = closure(bordered_band(n, b, 0))
    assert group_columns(P, order=np.arange(n)).max() + 1 == n


@pytest.mark.parametrize("name,S", list(named_patterns()))
def test_never_more_than_group_columns_and_a_star_colouring(name, S):
    P = closure(S)
    n = P.shape[0]
    k, colours = hessian_groups(S)
    assert colours.shape == (n,) and colours.min() == 0 and colours.max() == k - 1
    assert len(np.unique(colours)) == k
    natural = group_columns(P, order=np.arange(n)).max() + 1
    assert k <= natural, (name, k, natural)
    assert is_star_colouring(P, colours), name


def test_random_patterns_are_star_coloured():
    """A fixed-seed loop over small random patterns of every density, brute-force checked."""
    rng = np.random.RandomState(13)
    for trial in range(150):
        n = rng.randint(1, 30)
        S = random_pattern(n, rng.uniform(0.0, 0.5), rng.randint(2**31 - 1))
        P = closure(S)
        k, colours = hessian_groups(S)
        assert is_star_colouring(P, colours), trial
        assert k <= group_columns(P, order=np.arange(n)).max() + 1, trial


def test_star_check_can_fail():
    """The brute-force check rejects a distance-1 colouring that is not a star colouring (a
    path on 4 vertices in 2 colours) and an improper one."""
    P = closure(band(4, 1))
    assert not is_star_colouring(P, np.array([0, 1, 0, 1]))
    assert not is_star_colouring(P, np.array([0, 0, 1, 2]))
    assert is_star_colouring(P, np.array([0, 1, 0, 2]))


def test_dense_and_sparse_pattern_inputs_agree():
    S = grid(6, 5)
    k1, c1 = hessian_groups(S)
    k2, c2 = hessian_groups(S.toarray())
    k3, c3 = hessian_groups(sp.csr_array(S))
    assert k1 == k2 == k3 and np.array_equal(c1, c2) and np.array_equal(c1, c3)
    # only the lower triangle: the symmetric closure is used
    k4, c4 = hessian_groups(sp.tril(S))
    assert k4 == k1 and np.array_equal(c4, c1)


@pytest.mark.parametrize("bad", [np.ones(4), np.ones((3, 4)), np.ones((2, 2, 2)),
                                 sp.csr_matrix((3, 4)), "abc", np.ones((0, 0))])
def test_bad_sparsity_is_a_value_error_naming_it(bad):
    with pytest.raises(ValueError, match="sparsity"):
        hessian_groups(bad)
    with pytest.raises(ValueError, match="sparsity"):
        hessian_groups(None)
    x = np.zeros(3)
    with pytest.raises(ValueError, match="sparsity"):
        fastnewton.hessian(lambda x: x @ x, x, jac=lambda x: 2 * x, sparsity=bad)


def test_sparsity_of_the_wrong_size_or_without_a_gradient():
    x = np.zeros(4)
    with pytest.raises(ValueError, match="sparsity"):
        fastnewton.hessian(lambda x: x @ x, x, jac=lambda x: 2 * x, sparsity=np.eye(5))
    with pytest.raises(ValueError, match="sparsity"):
        fastnewton.hessian(lambda x: x @ x, x, sparsity=np.eye(4))


# -- the coloured Hessian ---------------------------------------------------------------------

def quartic_problem(S, seed):
    """f = x^T A x / 2 + sum x^4 / 12 with A random symmetric on the closure of S."""
    P = closure(S)
    rng = np.random.RandomState(seed)
    A = sp.triu(P, format="coo")
    A = sp.coo_matrix((rng.uniform(-2.0, 2.0, A.nnz), (A.row, A.col)), shape=P.shape)
    A = (A + sp.triu(A, 1).T).tocsr()
    A.sort_indices()
    A.data[A.data == 0.0] = 0.5                       # keep the pattern exactly

    def f(x):
        return 0.5 * x @ (A @ x) + np.sum(x ** 4) / 12.0

    def g(x):
        return A @ x + x ** 3 / 3.0

    def H(x):
        return A.toarray() + np.diag(x ** 2)

    return P, A, f, g, H


def raw_bound(A, x, r, method="central"):
    """e[r, s]: the bound on one raw quotient (module docstring), dense n x n. Forward: the
    denominator is h_s, and the diagonal's truncation ((x+h)^3 - x^3) / (3h) - x^2 is
    |x| h + h^2 / 3."""
    n = x.size
    h = (x + r * np.maximum(1.0, np.abs(x))) - x
    delta = (x + h) - (x - h) if method == "central" else h
    absA = abs(A)
    m = np.diff(A.indptr)
    k = m + 4
    gamma = k * U / (1 - k * U)
    dg = gamma * (absA @ (np.abs(x) + 2 * h) + (np.abs(x) + 2 * h) ** 3)
    Hx = np.abs(A.toarray() + np.diag(x ** 2))
    e = 2 * dg[:, None] / delta[None, :] + 4 * U * Hx
    e[np.diag_indices(n)] += h ** 2 / 3.0 if method == "central" else np.abs(x) * h + h ** 2 / 3.0
    return e


@pytest.mark.parametrize("name,S", list(named_patterns()))
def test_coloured_hessian_equals_the_dense_one_on_its_pattern(name, S):
    P, A, f, g, H = quartic_problem(S, 7)
    n = P.shape[0]
    x = np.random.RandomState(3).uniform(-2.0, 2.0, n)
    Hs = fastnewton.hessian(f, x, jac=g, sparsity=S)
    assert isinstance(Hs, sp.csr_matrix) and Hs.shape == (n, n)
    Hs.sort_indices()
    assert np.array_equal(Hs.indptr, P.indptr) and np.array_equal(Hs.indices, P.indices)
    Hd = fastnewton.hessian(f, x, jac=g)
    Hc = Hs.toarray()
    assert np.array_equal(Hc, Hc.T)                   # exactly symmetric
    on = P.toarray() != 0
    assert np.all(Hd[~on] == 0.0)                     # g_i does not read x_j off the pattern
    e = raw_bound(A, x, 6.055454452393343e-06)        # eps^(1/3), the central default
    diff = np.abs(Hc - Hd)
    assert np.all(diff <= (e + e.T) / 2), (name, np.max(diff / ((e + e.T) / 2)))
    assert np.all(np.abs(Hc - H(x))[on] <= np.maximum(e, e.T)[on]), name


@pytest.mark.parametrize("method,per_group", [("central", 2), ("forward", 1)])
@pytest.mark.parametrize("name,S", [("arrowhead", arrowhead(30, 29)), ("grid", grid(7, 6)),
                                    ("bordered band", bordered_band(40, 2, 0))])
def test_gradient_evaluations_are_the_groups(name, S, method, per_group):
    P, A, f, g, H = quartic_problem(S, 1)
    n = P.shape[0]
    x = np.linspace(-1.0, 1.0, n)
    k = hessian_groups(S)[0]
    fc, gc = Counted(f), Counted(g)
    Hs = fastnewton.hessian(fc, x, jac=gc, method=method, sparsity=S)
    assert gc.calls == 1 + per_group * k
    assert fc.calls == 1
    fg = Counted(lambda x: (f(x), g(x)))
    Hs2 = fastnewton.hessian(fg, x, jac=True, method=method, sparsity=S)
    assert fg.calls == 1 + per_group * k
    assert np.array_equal(Hs.toarray(), Hs2.toarray())
    if method == "forward":
        # forward differences agree with the dense forward Hessian where both sides are read
        Hd = fastnewton.hessian(f, x, jac=g, method="forward")
        on = P.toarray() != 0
        assert np.all(Hd[~on] == 0.0)
        e = raw_bound(A, x, 1.4901161193847656e-08, "forward")      # eps^(1/2)
        assert np.all(np.abs(Hs.toarray() - Hd)[on] <= ((e + e.T) / 2)[on])


def test_user_error_propagates_and_nonfinite_gradient_at_x():
    S = band(5, 1)

    def bad_g(x):
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        fastnewton.hessian(lambda x: 0.0, np.zeros(5), jac=bad_g, sparsity=S)
    with pytest.raises(ValueError, match="gradient"):
        fastnewton.hessian(lambda x: 0.0, np.zeros(5), jac=lambda x: np.full(5, np.nan),
                           sparsity=S)


# -- hubs (dense rows) at scale -----------------------------------------------------------------

@pytest.mark.parametrize("n", [10**5])
def test_hubs_at_scale(n):
    """A dense row is split off as a hub of its own colour (the greedy alone is O(n^2) there):
    the counts hold at n = 10^5, and the coloured Hessian of an arrowhead costs 2 groups."""
    assert hessian_groups(arrowhead(n, n - 1))[0] == 2
    assert hessian_groups(bordered_band(n, 3, n // 2))[0] <= 8
    S = arrowhead(n, 0)
    P, A, f, g, H = quartic_problem(S, 2)
    x = np.linspace(-1.0, 1.0, n)
    gc = Counted(g)
    Hs = fastnewton.hessian(f, x, jac=gc, sparsity=S)
    assert gc.calls == 1 + 2 * 2
    ref = A + sp.diags(x ** 2)
    # entries within the raw bound on the hub's row and column and on the diagonal
    h = (x + 6.055454452393343e-06 * np.maximum(1.0, np.abs(x))) - x
    delta = (x + h) - (x - h)
    dg = (np.diff(A.indptr) + 4) * U / (1 - (np.diff(A.indptr) + 4) * U) * (
        abs(A) @ (np.abs(x) + 2 * h) + (np.abs(x) + 2 * h) ** 3)
    D = (Hs - ref).tocoo()
    e = (2 * dg[D.row] / delta[D.col] + 2 * dg[D.col] / delta[D.row]
         + 4 * U * np.abs(np.asarray(ref[D.row, D.col]).ravel())
         + np.where(D.row == D.col, h[D.row] ** 2 / 3.0, 0.0))
    assert np.all(np.abs(D.data) <= e)


def test_hub_split_alone_is_a_star_colouring(monkeypatch):
    """With the full-graph candidates switched off, the hub split (and its recursion) alone
    still gives star colourings, brute-force checked, and the counts of the arrowhead and the
    bordered band."""
    from fastnewton import _colouring
    monkeypatch.setattr(_colouring, "_FULL_GRAPH_BUDGET", -1)
    assert hessian_groups(arrowhead(50, 17))[0] == 2
    assert hessian_groups(bordered_band(60, 2, 0))[0] <= 6
    rng = np.random.RandomState(5)
    for trial in range(100):
        n = rng.randint(2, 30)
        S = random_pattern(n, rng.uniform(0.05, 0.6), rng.randint(2**31 - 1)).tolil()
        for hub in rng.choice(n, rng.randint(0, 3), replace=False):
            S[hub, :] = 1
        k, colours = hessian_groups(S.tocsr())
        assert is_star_colouring(closure(S), colours), trial
        assert len(np.unique(colours)) == k
