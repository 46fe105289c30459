"""minimize(method='newton', options={'hess_sparsity': S}): Newton with the coloured
finite-difference Hessian and the sparse modified Cholesky.

What can fail here: the sparse path must take the same iterates as dense Newton (same FD
Hessian on the pattern up to the coloured recovery's rounding, same modified Cholesky shift
rule), reach the known minimizers, give descent steps from an indefinite start, report its
Hessian as a sparse matrix equal to the dense FD Hessian on the pattern, keep an int pattern on
the banded path bit for bit, and refuse bad patterns with a ValueError naming the option.
"""
import numpy as np
import pytest
import scipy.sparse as sp

import fastnewton
from fastnewton.testing import arrowhead, minimal_surface

EPS = np.finfo(float).eps


def grid_energy(nx, lam):
    """A nonconvex 2-D grid energy (a discrete Ginzburg-Landau double well):
    f(u) = sum_edges (u_i - u_j)^2 / 2 + lam sum_i (u_i^2 - 1)^2 / 4 on an nx x nx 5-point grid.
    H(u) = L + lam diag(3 u_i^2 - 1), L the graph Laplacian (eigenvalues in [0, 8)): at u near 0
    it is L - lam I, indefinite for 0 < lam < 8. Minimizers: u_i = +-1 regions."""
    n = nx * nx
    k = np.arange(n).reshape(nx, nx)
    a = np.concatenate([k[:, :-1].ravel(), k[:-1, :].ravel()])
    b = np.concatenate([k[:, 1:].ravel(), k[1:, :].ravel()])
    L = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    L = (L + L.T).tocsr()
    L = (sp.diags(np.asarray(L.sum(axis=1)).ravel()) - L).tocsr()

    def fun(u):
        return 0.5 * u @ (L @ u) + lam * np.sum((u * u - 1.0) ** 2) / 4.0

    def grad(u):
        return L @ u + lam * (u * u - 1.0) * u

    def hess(u):
        return (L + sp.diags(lam * (3.0 * u * u - 1.0))).toarray()

    return fun, grad, hess, L != 0


def test_minimal_surface_matches_dense_newton():
    p = minimal_surface(12)                      # n = 144: dense Newton is cheap here
    dense = fastnewton.minimize(p.fun, p.x0, jac=p.grad, method="newton",
                                options={"hess_bandwidth": None})
    sparse = fastnewton.minimize(p.fun, p.x0, jac=p.grad, method="newton",
                                 options={"hess_sparsity": p.sparsity})
    assert dense.success and sparse.success
    assert sparse.nit == dense.nit
    # both stop at ||g||_inf <= 1e-5 from the same iterates up to rounding: the minimizer
    # is well conditioned (H's smallest eigenvalue ~ h^2), so x agrees to ~ gtol / lambda_min
    assert np.max(np.abs(sparse.x - dense.x)) < 1e-6
    assert sp.issparse(sparse.hess)
    assert sparse.nhev == dense.nhev


def test_sparse_hessian_is_the_dense_fd_hessian_on_the_pattern():
    p = minimal_surface(10)
    res = fastnewton.minimize(p.fun, p.x0, jac=p.grad, method="newton",
                              options={"hess_sparsity": p.sparsity, "maxiter": 1})
    H = res.hess.toarray()
    # res.hess is the Hessian at x0 (the iterate before x)
    D = fastnewton.hessian(p.fun, p.x0, jac=p.grad)
    P = (p.sparsity + p.sparsity.T + sp.identity(p.n)).toarray() != 0
    assert np.all(H[~P] == 0)
    # central differences with the optimal step: truncation and rounding O(eps^(2/3)) of the
    # entries' scale; the two kernels differ only in which sides are averaged
    scale = np.max(np.abs(D))
    assert np.max(np.abs(H[P] - D[P])) <= 1e-6 * scale


def test_counts_gradients_per_group():
    p = minimal_surface(20)
    ngroups, _ = fastnewton.hessian_groups(p.sparsity)
    res = fastnewton.minimize(p.fun, p.x0, jac=p.grad, method="newton",
                              options={"hess_sparsity": p.sparsity, "maxiter": 1})
    # f and g at x0, one Hessian (2 gradients per group, central), the line search's f/g
    assert res.nhev == 1
    assert res.njev >= 1 + 2 * ngroups
    assert res.njev <= 1 + 2 * ngroups + 25


def test_arrowhead():
    p = arrowhead(2000)
    res = fastnewton.minimize(p.fun, p.x0, jac=p.grad, method="newton",
                              options={"hess_sparsity": p.sparsity, "gtol": 1e-4})
    assert res.success
    xstar = np.ones(p.n)
    xstar[-1] = 0.0
    assert np.max(np.abs(res.x - xstar)) < 1e-4


def test_indefinite_start_gives_descent_steps():
    nx, lam = 12, 4.0
    fun, grad, hess, S = grid_energy(nx, lam)
    rng = np.random.default_rng(3)
    x0 = 0.01 * rng.standard_normal(nx * nx)
    assert np.linalg.eigvalsh(hess(x0))[0] < -1.0          # indefinite at the start
    xs = [x0.copy()]
    res = fastnewton.minimize(fun, x0, jac=grad, method="newton",
                              options={"hess_sparsity": S},
                              callback=lambda x: xs.append(x.copy()))
    assert res.success
    fs = [fun(x) for x in xs]
    # every step is a descent step: the direction makes an obtuse angle with the gradient,
    # and f decreases
    for a, b in zip(xs[:-1], xs[1:]):
        assert grad(a) @ (b - a) < 0
    assert all(f1 < f0 for f0, f1 in zip(fs[:-1], fs[1:]))
    # a local minimizer: the Hessian there is positive semidefinite
    assert np.linalg.eigvalsh(hess(res.x))[0] > -1e-8


def test_int_pattern_is_the_banded_path():
    p = fastnewton.testing.get("broyden_tridiagonal", 50)
    a = fastnewton.minimize(p.fun, p.x0, jac=p.grad, method="newton",
                            options={"hess_sparsity": 1})
    b = fastnewton.minimize(p.fun, p.x0, jac=p.grad, method="newton",
                            options={"hess_bandwidth": 1})
    assert a.nit == b.nit and np.array_equal(a.x, b.x)
    assert (a.hess != b.hess).nnz == 0


def test_caller_pattern_not_modified():
    p = minimal_surface(8)
    S = p.sparsity.copy()
    x0 = p.x0.copy()
    fastnewton.minimize(p.fun, x0, jac=p.grad, options={"hess_sparsity": S})
    assert (S != p.sparsity).nnz == 0 and np.array_equal(x0, p.x0)


@pytest.mark.parametrize("S, match", [
    (sp.identity(5), r"options\['hess_sparsity'\] must be 4 x 4"),
    (np.ones((4, 3)), r"options\['hess_sparsity'\] must be a square"),
    ("abc", r"options\['hess_sparsity'\] must be a square"),
    (-1, r"options\['hess_sparsity'\]"),
])
def test_bad_pattern(S, match):
    with pytest.raises(ValueError, match=match):
        fastnewton.minimize(lambda x: x @ x, np.ones(4), jac=lambda x: 2 * x,
                            options={"hess_sparsity": S})


def test_pattern_and_band_together():
    with pytest.raises(ValueError, match="give one"):
        fastnewton.minimize(lambda x: x @ x, np.ones(4), jac=lambda x: 2 * x,
                            options={"hess_sparsity": sp.identity(4),
                                     "hess_bandwidth": 0})


def test_pattern_and_hess_together():
    with pytest.raises(ValueError, match="hess_sparsity"):
        fastnewton.minimize(lambda x: x @ x, np.ones(4), jac=lambda x: 2 * x,
                            hess=lambda x: 2 * np.eye(4),
                            options={"hess_sparsity": sp.identity(4)})


def test_other_methods_refuse_the_option():
    with pytest.raises(TypeError, match="hess_sparsity"):
        fastnewton.minimize(lambda x: x @ x, np.ones(4), jac=lambda x: 2 * x,
                            method="bfgs", options={"hess_sparsity": sp.identity(4)})


# -- Newton at an n where a dense Hessian does not fit: no MemoryError ------------------------

def _quartic(n):
    """f = sum (x_i - 1)^2 + (x_i - x_{i+1})^4 / 4 ... cheap, vectorized, tridiagonal Hessian."""
    def fun(x):
        d = x[1:] - x[:-1]
        return float(np.sum((x - 1.0) ** 2) + np.sum(d ** 4) / 4.0)

    def grad(x):
        d3 = (x[1:] - x[:-1]) ** 3
        g = 2.0 * (x - 1.0)
        g[1:] += d3
        g[:-1] -= d3
        return g

    return fun, grad


def test_default_newton_at_large_n_switches_to_newton_cg():
    n = 60_000                               # a dense Hessian: 28.8 GB
    fun, grad = _quartic(n)
    x0 = np.zeros(n)
    x0[::2] = 2.0
    res = fastnewton.minimize(fun, x0, jac=grad)
    assert res.success
    assert "solved by Newton-CG" in res.message and "hess_sparsity" in res.message
    assert res.ncg > 0 and "hess" not in res
    assert np.max(np.abs(res.x - 1.0)) < 1e-4


def test_the_switch_is_at_the_documented_n(monkeypatch):
    from fastnewton import _minimize
    monkeypatch.setattr(_minimize, "_AUTO_DENSE_MAX_N", 40)
    for n, switched in ((40, False), (41, True)):
        fun, grad = _quartic(n)
        res = fastnewton.minimize(fun, np.zeros(n), jac=grad)
        assert res.success
        assert ("solved by Newton-CG" in res.message) == switched
        assert ("ncg" in res) == switched and ("hess" in res) != switched
    # what the caller asked for is kept: a pattern, a band, dense, or a Hessian
    fun, grad = _quartic(41)
    for kw in ({"options": {"hess_bandwidth": None}}, {"options": {"hess_bandwidth": 1}},
               {"options": {"hess_sparsity": sp.eye(41) + sp.eye(41, k=1)}},
               {"hess": lambda x: np.eye(41)}):
        res = fastnewton.minimize(fun, np.zeros(41), jac=grad, **kw)
        assert "Newton-CG" not in res.message and "hess" in res


def test_explicit_dense_newton_that_does_not_fit_is_a_value_error():
    import os
    phys = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    n = int(np.sqrt(phys / 8)) + 1           # n x n doubles: more than this machine's memory
    fun, grad = _quartic(n)
    with pytest.raises(ValueError, match=r"hess_sparsity.*|newton-cg") as info:
        fastnewton.minimize(fun, np.zeros(n), jac=grad, options={"hess_bandwidth": None})
    assert "newton-cg" in str(info.value) and "hess_sparsity" in str(info.value)
