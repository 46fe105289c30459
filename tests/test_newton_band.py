"""Banded finite-difference Hessians and the banded modified Cholesky (Newton's
``hess_bandwidth`` option). Expected values come from the dense kernels' independent
references: NumPy's Cholesky, analytic Hessians of the test problems, counted calls."""
import numpy as np
import pytest
import scipy.sparse

from _support import Counted

from fastnewton import _unit, minimize, testing as _problems
from fastnewton._objective import make_objective


def _to_band(A, kd):
    n = A.shape[0]
    ab = np.zeros((n, kd + 1))
    for d in range(kd + 1):
        ab[:n - d, d] = np.diag(A, -d)
    return ab


def _random_banded(n, kd, rng, shift):
    A = np.zeros((n, n))
    for d in range(kd + 1):
        v = rng.standard_normal(n - d)
        A += np.diag(v, -d) + (np.diag(v, d) if d else 0)
    return A + shift * np.eye(n)


@pytest.mark.parametrize("n, kd", [(1, 0), (5, 0), (6, 1), (20, 2), (50, 5), (30, 29)])
@pytest.mark.parametrize("shift", [-3.0, 0.0, 50.0])
def test_modified_band_cholesky_factors_a_plus_tau_i(n, kd, shift):
    rng = np.random.default_rng([n, kd])
    A = _random_banded(n, kd, rng, shift)
    ab = _to_band(A, kd)
    info, tau = _unit._modified_band_cholesky(ab, 1e-3)
    assert info == 0 and tau >= 0.0
    # rebuild L from the band and compare L L^T with A + tau I
    L = np.zeros((n, n))
    for d in range(kd + 1):
        L += np.diag(ab[:n - d, d], -d)
    np.testing.assert_allclose(L @ L.T, A + tau * np.eye(n), rtol=0,
                               atol=1e-12 * max(1.0, np.abs(A).max() + tau))
    lam = np.linalg.eigvalsh(A)[0]
    if lam > 1e-8 * np.abs(A).max():
        assert tau == 0.0                       # positive definite: no shift
    else:
        assert np.linalg.eigvalsh(A + tau * np.eye(n))[0] > 0.0


@pytest.mark.parametrize("beta", [1.7e308, np.finfo(float).max])
def test_modified_band_cholesky_never_returns_an_infinite_shift(beta):
    """As the dense kernel: a shift that overflows is a failure (-2, tau 0, the band holds A
    again), never tau = inf; entries beyond 1e154 no longer overflow the shift's scale."""
    A = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 2.0], [0.0, 2.0, 1.0]])
    ab = _to_band(A, 1)
    info, tau = _unit._modified_band_cholesky(ab, beta)
    assert info == -2 and tau == 0.0 and np.array_equal(ab, _to_band(A, 1))
    big = 1e200 * A
    ab = _to_band(big, 1)
    info, tau = _unit._modified_band_cholesky(ab, 1e-3)
    assert info == 0 and np.isfinite(tau) and tau > 0.0
    L = np.diag(ab[:, 0]) + np.diag(ab[:2, 1], -1)
    np.testing.assert_allclose(L @ L.T, big + tau * np.eye(3), rtol=1e-12)


@pytest.mark.parametrize("n, kd", [(6, 1), (20, 2), (40, 7)])
def test_band_solve_matches_numpy(n, kd):
    rng = np.random.default_rng(n)
    A = _random_banded(n, kd, rng, 4.0 * (kd + 1))
    ab = _to_band(A, kd)
    info, tau = _unit._modified_band_cholesky(ab, 1e-3)
    assert info == 0 and tau == 0.0
    b = rng.standard_normal(n)
    x = b.copy()
    assert _unit._band_chol_solve(ab, x) == 0
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-12, atol=0)


@pytest.mark.parametrize("name, n, kd", [("extended_rosenbrock", 12, 1),
                                         ("broyden_tridiagonal", 15, 2),
                                         ("broyden_banded", 20, 6)])
@pytest.mark.parametrize("method", ["central", "forward"])
def test_band_hessian_equals_dense_fd_hessian_in_band(name, n, kd, method):
    """Grouped columns give each column's difference as the dense scheme does (to rounding),
    with 2kd+1 (forward) or 2(2kd+1) (central) gradients instead of n or 2n."""
    p = _problems.get(name, n)
    x = p.x0 + 0.1 * np.arange(n) / n
    grad = Counted(p.grad)
    obj = make_objective(p.fun, n, (), grad)
    g0 = p.grad(x)
    ab = _unit._hessian_band(obj, x, g0, kd, method, 0.0)
    ng = min(2 * kd + 1, n)
    assert grad.calls == (2 * ng if method == "central" else ng)
    for d in range(1, kd + 1):                   # the slots past the matrix's end are defined
        assert np.all(ab[n - d:, d] == 0.0)
    H = _unit._hessian_from_grad(make_objective(p.fun, n, (), p.grad), x, g0, method, 0.0)
    H_exact = p.hess(x)
    for d in range(kd + 1):
        np.testing.assert_allclose(ab[:n - d, d], np.diag(H, -d), rtol=1e-9,
                                   atol=1e-9 * np.abs(H).max())
    # and the FD error against the analytic Hessian is what the dense scheme's is
    tol = (1e-6 if method == "central" else 1e-3) * max(1.0, np.abs(H_exact).max())
    for d in range(kd + 1):
        np.testing.assert_allclose(ab[:n - d, d], np.diag(H_exact, -d), rtol=0, atol=tol)


def _fd_gradients(r, n, kd, auto):
    """Gradients the FD Hessians of a Newton solve took: central, 2n per dense Hessian and
    2(2kd+1) per banded one. 'auto' takes its first dense, then checks each banded one with
    two more gradients (the probe's central difference)."""
    if not auto:
        return 2 * (2 * kd + 1) * r.nhev
    return 2 * n + (2 * (2 * kd + 1) + 2) * (r.nhev - 1)


@pytest.mark.parametrize("name, n, kd", [("extended_rosenbrock", 100, 1),
                                         ("broyden_tridiagonal", 200, 2),
                                         ("broyden_banded", 60, 6)])
@pytest.mark.parametrize("band", ["given", "auto"])
def test_minimize_banded_converges_like_dense(name, n, kd, band):
    p = _problems.get(name, n)
    opt = {"hess_bandwidth": kd if band == "given" else "auto"}
    grad = Counted(p.grad)
    r = minimize(p.fun, p.x0, jac=grad, options=opt)
    d = minimize(p.fun, p.x0, jac=p.grad, options={"hess_bandwidth": None})
    assert r.status == 0 and np.max(np.abs(p.grad(r.x))) <= 1e-5
    np.testing.assert_allclose(r.x, d.x, rtol=0, atol=1e-6)
    assert r.nit == d.nit and r.nhev > 2
    assert r.njev == grad.calls
    # what is left after the Hessians' gradients is the line search's: one per value at most
    fd = _fd_gradients(r, n, kd, band == "auto")
    assert 0 <= r.njev - 1 - fd <= r.nfev - 1
    # the dense solve's Hessians took 2n gradients each
    assert 0 <= d.njev - 1 - 2 * n * d.nhev <= d.nfev - 1
    if band == "given":     # the caller asked for a band: a sparse Hessian comes back
        assert scipy.sparse.issparse(r.hess)
        H = r.hess.toarray()
    else:                   # 'auto' (the default) keeps the dense type
        assert isinstance(r.hess, np.ndarray)
        H = r.hess
    assert H.shape == (n, n) and np.array_equal(H, H.T)
    assert np.count_nonzero(np.triu(H, kd + 1)) == 0
    # the same iterates, so the same last Hessian (at the iterate before x) as the dense solve's
    np.testing.assert_allclose(H, d.hess, rtol=0, atol=1e-6 * np.abs(d.hess).max())


def test_auto_band_is_the_default_and_not_fooled_by_zeros_at_x0():
    """At x0 = 0 the extended Rosenbrock Hessian's off-diagonal -400 x_{2i-1} vanishes, so the
    first Hessian looks diagonal (kd = 0). At the second iterate the probe sees the
    off-diagonal, that Hessian is taken dense, shows kd = 1, and the rest are tridiagonal."""
    n = 40
    p = _problems.get("extended_rosenbrock", n)
    x0 = np.zeros(n)
    assert np.count_nonzero(np.diag(p.hess(x0), -1)) == 0     # the trap is real
    r = minimize(p.fun, x0, jac=p.grad)
    assert r.status == 0
    assert np.count_nonzero(np.diag(r.hess, -1)) > 0
    assert np.count_nonzero(np.triu(r.hess, 2)) == 0
    # dense, diagonal + probe, dense again, then tridiagonal + probe
    fd = 2 * n + (2 + 2) + 2 * n + (2 * 3 + 2) * (r.nhev - 2)
    assert 0 <= r.njev - 1 - fd <= r.nfev - 1


@pytest.mark.parametrize("name, n, x0, maxiter", [
    ("discrete_boundary_value", 60, None, None),   # converges after the first (dense) Hessian
    ("extended_rosenbrock", 40, "zeros", 1),       # stops after the first, dense
    ("extended_rosenbrock", 40, "zeros", 2),       # after the probe failed: retaken dense
    ("extended_rosenbrock", 40, "zeros", 3),       # after the first tridiagonal one
])
def test_auto_band_returns_the_hessian_it_last_took(name, n, x0, maxiter):
    """res.hess is the last Hessian evaluated, whichever form it was taken in, even when the
    solve stops right after 'auto' has decided on a band for the next one."""
    p = _problems.get(name, n)
    start = np.zeros(n) if x0 == "zeros" else p.x0
    opts = {} if maxiter is None else {"maxiter": maxiter}
    r = minimize(p.fun, start, jac=p.grad, options=opts)
    d = minimize(p.fun, start, jac=p.grad, options=dict(opts, hess_bandwidth=None))
    assert r.nit == d.nit and r.nhev == d.nhev
    np.testing.assert_allclose(r.hess, d.hess, rtol=0, atol=1e-6 * np.abs(d.hess).max())


@pytest.mark.parametrize("n", [8, 10, 12])
def test_auto_band_at_small_n(n):
    """Where 'auto' picks the band (tridiagonal, 4 kd + 2 = 6 < n) the solve takes the dense
    solve's iterates with fewer gradients, and res.hess is the dense ndarray of the last
    (banded) Hessian: its band entries, zeros outside, symmetric (built directly rather than
    through a sparse matrix, whose construction once cost more than a whole small solve)."""
    p = _problems.get("extended_rosenbrock", n)
    r = minimize(p.fun, p.x0, jac=p.grad)
    d = minimize(p.fun, p.x0, jac=p.grad, options={"hess_bandwidth": None})
    assert r.status == d.status == 0 and r.nit == d.nit and r.nhev == d.nhev
    np.testing.assert_allclose(r.x, d.x, rtol=0, atol=1e-6)
    assert r.njev - 1 - _fd_gradients(r, n, 1, True) <= r.nfev - 1
    assert r.njev < d.njev
    assert type(r.hess) is np.ndarray and r.hess.shape == (n, n)
    assert np.array_equal(r.hess, r.hess.T)
    assert np.count_nonzero(np.triu(r.hess, 2)) == 0
    np.testing.assert_allclose(r.hess, d.hess, rtol=0, atol=1e-6 * np.abs(d.hess).max())


@pytest.mark.parametrize("n", [2, 4, 6])
def test_auto_band_too_narrow_a_gain_stays_dense(n):
    """Below 4 kd + 2 < n (here kd = 1, n <= 6) a band would not halve the gradients: 'auto'
    is then the dense solve itself, call for call and bit for bit."""
    p = _problems.get("extended_rosenbrock", n)
    r = minimize(p.fun, p.x0, jac=p.grad)
    d = minimize(p.fun, p.x0, jac=p.grad, options={"hess_bandwidth": None})
    assert (r.status, r.nit, r.nfev, r.njev, r.nhev) == (d.status, d.nit, d.nfev, d.njev,
                                                         d.nhev)
    assert np.array_equal(r.x, d.x) and np.array_equal(r.hess, d.hess)


def test_dense_from_band_matches_numpy():
    from fastnewton._unit import _dense_from_band
    rng = np.random.default_rng(5)
    for n, kd in [(1, 0), (5, 0), (6, 2), (9, 8), (30, 3)]:
        A = _random_banded(n, kd, rng, 0.0)
        np.testing.assert_array_equal(_dense_from_band(_to_band(A, kd)), A)


def test_auto_band_stays_dense_for_full_hessians():
    p = _problems.get("quadratic")
    n = p.x0.size
    r = minimize(p.fun, p.x0, jac=p.grad)
    assert r.status == 0 and isinstance(r.hess, np.ndarray)
    assert 0 <= r.njev - 1 - 2 * n * r.nhev <= r.nfev - 1


def test_auto_band_survives_a_slightly_noisy_gradient():
    """A gradient with deterministic relative noise of 1e-8 (an inner iteration, say) keeps
    its band: over the probe's step, eps^(1/3) relative as the Hessian's, that noise is
    about a tenth of the 1e-3 tolerance. (Over a sqrt(eps) step it would be tens of times
    the tolerance, and the band would be thrown away.)"""
    n = 40
    p = _problems.get("extended_rosenbrock", n)

    def noisy(x):
        g = p.grad(x)
        return g * (1.0 + 1e-8 * np.sin(1e12 * x + np.arange(n)))

    r = minimize(p.fun, p.x0, jac=noisy)
    assert r.status == 0
    assert 0 <= r.njev - 1 - _fd_gradients(r, n, 1, True) <= r.nfev - 1


class _CoupledLater:
    """sum (x_i - 1)^4 (Newton creeps: each step cuts the error by a third), and once the
    callback has seen two iterations, plus (x_0 - a)^2 (x_last - b)^2 with (a, b) the iterate
    of that moment: f and g do not change there, nor the Hessian at that point, but as the
    iterates move on H gains the entry H[0, -1] = 4 (x_0 - a)(x_last - b), far outside the
    diagonal band the first two Hessians showed. Only the probe can see it."""

    def __init__(self):
        self.ab = None

    def fun(self, x):
        f = np.sum((x - 1.0) ** 4)
        if self.ab is not None:
            f += (x[0] - self.ab[0]) ** 2 * (x[-1] - self.ab[1]) ** 2
        return f

    def grad(self, x):
        g = 4.0 * (x - 1.0) ** 3
        if self.ab is not None:
            u, v = x[0] - self.ab[0], x[-1] - self.ab[1]
            g[0] += 2.0 * u * v * v
            g[-1] += 2.0 * u * u * v
        return g

    def callback(self, intermediate_result):
        if intermediate_result.nit == 2:
            self.ab = (intermediate_result.x[0], intermediate_result.x[-1])


@pytest.mark.parametrize("band, dense_at_end", [("auto", True), (0, False)])
def test_auto_band_probe_goes_back_to_dense(band, dense_at_end):
    """With 'auto' the probe notices the new entry and the last Hessian is dense, entry and
    all; with the band given (the caller vouches, nothing checks) it stays diagonal."""
    n = 12
    prob = _CoupledLater()
    x0 = np.linspace(-1.0, 3.0, n)
    r = minimize(prob.fun, x0, jac=prob.grad, callback=prob.callback,
                 options={"hess_bandwidth": band, "gtol": 1e-8})
    assert prob.ab is not None and r.nit > 6
    H = r.hess if isinstance(r.hess, np.ndarray) else r.hess.toarray()
    assert (H[0, -1] != 0.0) == dense_at_end
    assert np.max(np.abs(prob.grad(r.x))) <= 1e-8


@pytest.mark.parametrize("bad", [-1, 1.5, "banded", True])
def test_bad_bandwidth_is_a_value_error(bad):
    p = _problems.get("rosenbrock")
    with pytest.raises(ValueError, match="hess_bandwidth"):
        minimize(p.fun, p.x0, jac=p.grad, options={"hess_bandwidth": bad})


def test_bandwidth_needs_a_gradient_and_no_hess():
    p = _problems.get("rosenbrock")
    with pytest.raises(ValueError, match="needs a gradient"):
        minimize(p.fun, p.x0, options={"hess_bandwidth": 1})
    with pytest.raises(ValueError, match="needs a gradient"):
        minimize(p.fun, p.x0, jac=p.grad, hess=p.hess, options={"hess_bandwidth": 1})
