"""Tests of the finite-difference kernels: fastnewton.gradient, fastnewton.hessian, and the
Hessian-vector product fastnewton._unit._hessp.

Accuracy is tested against analytic derivatives with an a-priori error bound, never a tuned
tolerance. For each scheme (the table in fastnewton/_fdiff.pyx) the error of every entry is at
most  T (truncation) + R (rounding of the function values) + S (a step not exactly as
intended) + Q (rounding of the quotient itself and of the analytic reference):

  u = eps/2 (unit roundoff), gamma_k = k u / (1 - k u) (Higham, *Accuracy and Stability of
  Numerical Algorithms*, 2nd ed., sec. 3.1), s_i = max(1, |x_i|), h_i = (x_i + r s_i) - x_i
  (the step the kernel takes), df / dg_i bounds on the absolute rounding error of the computed
  f / g_i near x (each test function derives its own below), and M a derivative magnitude,
  maximized over the stencil's corners x and x +- 2h:

  scheme                  T                                  R                S
  gradient, forward       h_i/2 |f_ii|                       2 df / h_i       0
  gradient, central       h_i^2/6 |f_iii|                    df / h_i         |g_i| d_i / h_i
  Hessian (g), fwd, A_ij  h_j/2 |f_ijj|                      2 dg_i / h_j     0
  Hessian (g), cen, A_ij  h_j^2/6 |f_ijjj|                   dg_i / h_j       |H_ij| d_j / h_j
  Hessian (f), i == j     h_i^2/3 |f_iiii|                   df / h_i^2       |g_i| d_i / (2 h_i^2)
                                                                              + |H_ii| d_i / h_i
  Hessian (f), i != j     (h_i^2 |f_iiij| + h_j^2 |f_ijjj|)  df / (h_i h_j)   |H_ij| (d_i / h_i
                          / 6                                                 + d_j / h_j) / 2
  H v, forward, step t    t/2 |D3f[., v, v]|                 2 dg / t         |H| 2u(|x|+t|v|)/t
  H v, central            t^2/6 |D4f[., v, v, v]|            dg / t           the same

  where d_i = u (|x_i| + 2 h_i) bounds the rounding of a backward point x_i - h_i (x_i + h_i is
  exact by construction; x_i - h_i almost always is too, but not provably), A_ij is the raw
  column-j difference of gradient i, and the Hessian from gradients is (A + A^T)/2, whose
  bound is the mean of the two raw bounds. Q is 4u |exact| for a gradient (subtraction,
  division) plus the reference's own dg; 8u |H_ij| for a Hessian entry (subtraction, scaling,
  symmetrization, the analytic reference); the Hessian from values also rounds its first
  differences, u (|g_i| / h_j + |g_j| / h_i); and H v adds gamma_{n+8} (|H| |v|) for the
  reference product. T is the leading term of the Taylor remainder; the derivatives change by
  a relative O(h) across the stencil, far below the slack of the worst-case rounding terms.
  Measured errors are 1e-3 to 1 times the bound: the bound is attained where T is exact and
  dominant (a quartic's central differences, whose f_iiii is constant).

  Transcendental functions (NumPy's exp, log, sin, cos) are assumed accurate to LIBM_ULPS = 4
  units in the last place.

Everything else tests properties: exact symmetry, agreement with SciPy's approx_derivative,
bitwise agreement between a Python objective and its C twin (tests/cobjectives.c), evaluation
counts, and the bad-input table of docs/design.md.
"""
import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from scipy.optimize import rosen_der
from scipy.optimize._numdiff import approx_derivative

from _support import Counted

import fastnewton
from fastnewton import _fdiff, _unit
from fastnewton._objective import ACCEPTED_SIGNATURES, make_objective

EPS = np.finfo(np.float64).eps
U = EPS / 2
LIBM_ULPS = 4
LIBM = LIBM_ULPS * EPS          # relative error bound of exp, log, sin, cos (1 ulp <= eps |y|)
R_FWD = EPS ** 0.5              # default relative steps (docs/design.md, "Finite-difference steps")
R_CEN = EPS ** (1.0 / 3.0)
R_VAL = EPS ** 0.25


def gamma(k):
    return k * U / (1.0 - k * U)


def fd_steps(x, r):
    """The steps the kernels take: h_i = (x_i + r max(1, |x_i|)) - x_i."""
    return (x + r * np.maximum(1.0, np.abs(x))) - x


# ---------------------------------------------------------------------------------------------
# Test functions: value, gradient, Hessian, the third and fourth derivative contractions
#   d3vv(x, v)_i = sum_jk f_ijk v_j v_k,   d4vvv(x, v)_i = sum_jkl f_ijkl v_j v_k v_l,
# and bounds on the rounding error of the computed f and g near x.


class Rosenbrock:
    """Extended Rosenbrock, sum_k 100 (x_{k+1} - x_k^2)^2 + (1 - x_k)^2 (a = x_k, b = x_{k+1}).

    Per term t(a, b): t_aaa = 2400 a, t_aab = -400, t_aaaa = 2400, all other third and fourth
    derivatives zero. Rounding: each term takes <= 6 operations on magnitudes bounded by
    100 (|b| + a^2)^2 + (1 + |a|)^2, then a sum of n - 1 terms: df <= gamma_{n+6} * sum of those.
    Gradient (scipy.optimize.rosen_der): <= 7 operations along any path, on magnitudes
    200 (|x_i| + x_{i-1}^2) + 400 (|x_{i+1}| + x_i^2) |x_i| + 2 (1 + |x_i|).
    """

    name = "rosenbrock"

    def point(self, n, rng):
        return rng.uniform(-2.0, 2.0, n)

    def f(self, x):
        a, b = x[:-1], x[1:]
        return float(np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2))

    def g(self, x):
        return rosen_der(x)

    def H(self, x):
        n = x.shape[0]
        h = np.zeros((n, n))
        a, b = x[:-1], x[1:]
        i = np.arange(n - 1)
        h[i, i] += 1200.0 * a * a - 400.0 * b + 2.0
        h[i + 1, i + 1] += 200.0
        h[i, i + 1] = h[i + 1, i] = -400.0 * a
        return h

    def d3vv(self, x, v):
        out = np.zeros_like(x)
        a, va, vb = x[:-1], v[:-1], v[1:]
        out[:-1] += 2400.0 * a * va * va - 800.0 * va * vb
        out[1:] += -400.0 * va * va
        return out

    def d4vvv(self, x, v):
        out = np.zeros_like(x)
        out[:-1] += 2400.0 * v[:-1] ** 3
        return out

    def noise_f(self, x):
        a, b = np.abs(x[:-1]), np.abs(x[1:])
        return gamma(x.shape[0] + 6) * float(np.sum(100.0 * (b + a * a) ** 2 + (1.0 + a) ** 2))

    def noise_g(self, x):
        ax = np.abs(x)
        m = np.zeros_like(x)
        m[1:] += 200.0 * (ax[1:] + ax[:-1] ** 2)
        m[:-1] += 400.0 * (ax[1:] + ax[:-1] ** 2) * ax[:-1] + 2.0 * (1.0 + ax[:-1])
        return gamma(7) * m


class Quadratic:
    """0.5 x^T A x + b^T x with A = M M^T / n + I dense SPD: truncation-free, so the test sees the
    rounding terms alone. df <= gamma_{n+3} (0.5 |x|^T |A| |x| + |b|^T |x|),
    dg <= gamma_{n+2} (|A| |x| + |b|) (any summation order)."""

    name = "quadratic"

    def point(self, n, rng):
        m = rng.standard_normal((n, n))
        self.A = m @ m.T / n + np.eye(n)
        self.A = 0.5 * (self.A + self.A.T)
        self.b = rng.standard_normal(n)
        return rng.standard_normal(n)

    def f(self, x):
        return float(0.5 * x @ (self.A @ x) + self.b @ x)

    def g(self, x):
        return self.A @ x + self.b

    def H(self, x):
        return self.A.copy()

    def d3vv(self, x, v):
        return np.zeros_like(x)

    d4vvv = d3vv

    def noise_f(self, x):
        ax = np.abs(x)
        return gamma(x.shape[0] + 3) * float(0.5 * ax @ (np.abs(self.A) @ ax) + np.abs(self.b) @ ax)

    def noise_g(self, x):
        return gamma(x.shape[0] + 2) * (np.abs(self.A) @ np.abs(x) + np.abs(self.b))


class LogSumExp:
    """log sum exp(x_i), computed as m + log(sum exp(x - m)), m = max x. Gradient p = softmax(x),
    H = diag(p) - p p^T; with mu = p.v, s2 = p.v^2, s3 = p.v^3 and q_i = (v_i - mu)^2 - (s2 - mu^2):
      d3vv_i  = p_i q_i
      d4vvv_i = p_i (v_i - mu) q_i + p_i [(4 mu - 2 v_i)(s2 - mu^2) - (s3 - mu s2)].
    Rounding: each exp term has relative error rho <= u max|x - m| + LIBM, the sum gamma_n more;
    log turns a relative error into an absolute one, then m + log adds u |f|:
      df <= 1.01 (rho + gamma_n) + LIBM |log S| + u |f|,  dg_i <= 1.01 p_i (2 rho + gamma_{n+1}).
    """

    name = "logsumexp"

    def point(self, n, rng):
        return 2.0 * rng.standard_normal(n)

    def _parts(self, x):
        m = x.max()
        e = np.exp(x - m)
        s = e.sum()
        return m, e, s

    def f(self, x):
        m, e, s = self._parts(x)
        return float(m + np.log(s))

    def g(self, x):
        m, e, s = self._parts(x)
        return e / s

    def H(self, x):
        p = self.g(x)
        return np.diag(p) - np.outer(p, p)

    def _q(self, p, v):
        mu, s2 = p @ v, p @ (v * v)
        return mu, s2, (v - mu) ** 2 - (s2 - mu * mu)

    def d3vv(self, x, v):
        p = self.g(x)
        return p * self._q(p, v)[2]

    def d4vvv(self, x, v):
        p = self.g(x)
        mu, s2, q = self._q(p, v)
        s3 = p @ v ** 3
        return p * (v - mu) * q + p * ((4.0 * mu - 2.0 * v) * (s2 - mu * mu) - (s3 - mu * s2))

    def _rho(self, x):
        return U * float(np.max(np.abs(x - x.max()))) + LIBM

    def noise_f(self, x):
        m, e, s = self._parts(x)
        return (1.01 * (self._rho(x) + gamma(x.shape[0])) + LIBM * abs(math.log(s))
                + U * abs(self.f(x)))

    def noise_g(self, x):
        return 1.01 * self.g(x) * (2.0 * self._rho(x) + gamma(x.shape[0] + 1))


class TrigSum:
    """sum_i sin(x_i) + cos(w.x), w_i = (1 + i mod 3) / sqrt(n): a dense Hessian
    -diag(sin x) - cos(z) w w^T (z = w.x); d3vv_i = -cos(x_i) v_i^2 + sin(z) (w.v)^2 w_i,
    d4vvv_i = sin(x_i) v_i^3 + cos(z) (w.v)^3 w_i.
    Rounding: z carries dz <= gamma_n sum |w_i x_i|;
      df <= 1.01 [(gamma_{n+1} + LIBM)(sum |sin x_i| + 1) + dz],
      dg_i <= 1.01 [(LIBM + gamma_2)(|cos x_i| + |w_i|) + |w_i| dz].
    """

    name = "trigsum"

    def point(self, n, rng):
        self.w = (1.0 + np.arange(n) % 3) / math.sqrt(n)
        return rng.uniform(-3.0, 3.0, n)

    def f(self, x):
        return float(np.sum(np.sin(x)) + np.cos(self.w @ x))

    def g(self, x):
        return np.cos(x) - np.sin(self.w @ x) * self.w

    def H(self, x):
        return -np.diag(np.sin(x)) - np.cos(self.w @ x) * np.outer(self.w, self.w)

    def d3vv(self, x, v):
        z, wv = self.w @ x, self.w @ v
        return -np.cos(x) * v * v + np.sin(z) * wv * wv * self.w

    def d4vvv(self, x, v):
        z, wv = self.w @ x, self.w @ v
        return np.sin(x) * v ** 3 + np.cos(z) * wv ** 3 * self.w

    def _dz(self, x):
        return gamma(x.shape[0]) * float(np.abs(self.w) @ np.abs(x))

    def noise_f(self, x):
        return 1.01 * ((gamma(x.shape[0] + 1) + LIBM) * (float(np.sum(np.abs(np.sin(x)))) + 1.0)
                       + self._dz(x))

    def noise_g(self, x):
        return 1.01 * ((LIBM + gamma(2)) * (np.abs(np.cos(x)) + self.w) + self.w * self._dz(x))


class BadlyScaled:
    """sum_i w_i (x_i^2 / 2 + x_i^4 / 12), w_i = 10^(6 i / (n - 1)): Hessian entries six orders
    of magnitude apart. Separable: f_ii = w_i (1 + x_i^2), f_iii = 2 w_i x_i, f_iiii = 2 w_i.
    Terms are non-negative and g_i adds two same-signed parts, so no cancellation:
    df <= gamma_{n+5} sum of the terms, dg_i <= gamma_5 |g_i|."""

    name = "badly-scaled"

    def point(self, n, rng):
        self.w = 10.0 ** (6.0 * np.arange(n) / max(n - 1, 1))
        return rng.uniform(-2.0, 2.0, n)

    def _terms(self, x):
        x2 = x * x
        return self.w * (0.5 * x2 + x2 * x2 / 12.0)

    def f(self, x):
        return float(np.sum(self._terms(x)))

    def g(self, x):
        return self.w * (x + x * (x * x) / 3.0)

    def H(self, x):
        return np.diag(self.w * (1.0 + x * x))

    def d3vv(self, x, v):
        return 2.0 * self.w * x * v * v

    def d4vvv(self, x, v):
        return 2.0 * self.w * v ** 3

    def noise_f(self, x):
        return gamma(x.shape[0] + 5) * float(np.sum(self._terms(x)))

    def noise_g(self, x):
        return gamma(5) * np.abs(self.g(x))


class LargeX:
    """Rosenbrock in the variables y = x / S, S = 1e6, at |x_i| in [5e5, 2e6]: relative steps
    must scale with |x|. Derivatives of order k are those of Rosenbrock at y divided by S^k.
    Rounding adds the error of y = x / S (u |y_i| each) propagated by the derivatives:
    df += 1.01 u sum |g_y(y)_i y_i|,  dg = (dg_y + 1.01 u |H_y| |y|) / S + u |g|."""

    name = "large-x"
    S = 1e6
    base = Rosenbrock()

    def point(self, n, rng):
        return self.S * rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 2.0, n)

    def f(self, x):
        return self.base.f(x / self.S)

    def g(self, x):
        return self.base.g(x / self.S) / self.S

    def H(self, x):
        return self.base.H(x / self.S) / self.S ** 2

    def d3vv(self, x, v):
        return self.base.d3vv(x / self.S, v) / self.S ** 3

    def d4vvv(self, x, v):
        return self.base.d4vvv(x / self.S, v) / self.S ** 4

    def noise_f(self, x):
        y = x / self.S
        return self.base.noise_f(y) + 1.01 * U * float(np.abs(self.base.g(y)) @ np.abs(y))

    def noise_g(self, x):
        y = x / self.S
        return ((self.base.noise_g(y) + 1.01 * U * np.abs(self.base.H(y)) @ np.abs(y)) / self.S
                + U * np.abs(self.g(x)))


PROBLEMS = [Rosenbrock, Quadratic, LogSumExp, TrigSum, BadlyScaled, LargeX]
SIZES = [2, 5, 20, 100, 200]
SIZES_VALUES = [2, 5, 12]        # the Hessian from values costs 2 n^2 + 1 Python calls


def setup_problem(cls, n):
    prob = cls()
    rng = np.random.default_rng([n, PROBLEMS.index(cls)])
    x = prob.point(n, rng)
    return prob, x


def problem_cases(sizes):
    return [pytest.param(cls, n, id=f"{cls.name}-n{n}") for cls in PROBLEMS for n in sizes]


# ---------------------------------------------------------------------------------------------
# Error bounds (see the module docstring)


def corners(x, h):
    return (x, x + 2.0 * h, x - 2.0 * h)


def box_max(fn, points):
    return np.max([np.abs(fn(p)) for p in points], axis=0)


def columns(d, x, n):
    """|d(x, e_j)| as column j: C[i, j] = |f_ijj| for d3vv, |f_ijjj| for d4vvv."""
    eye = np.eye(n)
    return np.column_stack([np.abs(d(x, eye[j])) for j in range(n)])


def gradient_bound(prob, x, method, r):
    h = fd_steps(x, r)
    pts = corners(x, h)
    df = max(prob.noise_f(p) for p in pts)
    g = prob.g(x)
    if method == "forward":
        T = h / 2.0 * box_max(lambda p: np.diag(prob.H(p)), pts)
        R = 2.0 * df / h
        S = 0.0
    else:
        n = x.shape[0]
        T = h ** 2 / 6.0 * box_max(lambda p: np.diag(columns(prob.d3vv, p, n)), pts)
        R = df / h
        S = np.abs(g) * U * (np.abs(x) + 2.0 * h) / h
    Q = 4.0 * U * np.abs(g) + prob.noise_g(x)
    return T + R + S + Q


def hessian_grad_bound_raw(prob, x, method, h):
    """Bound on the raw column differences A_ij (steps h), before symmetrization."""
    n = x.shape[0]
    pts = corners(x, h)
    dg = np.max([prob.noise_g(p) for p in pts], axis=0)
    H = np.abs(prob.H(x))
    if method == "forward":
        T = h[None, :] / 2.0 * box_max(lambda p: columns(prob.d3vv, p, n), pts)
        R = 2.0 * dg[:, None] / h[None, :]
        S = 0.0
    else:
        T = h[None, :] ** 2 / 6.0 * box_max(lambda p: columns(prob.d4vvv, p, n), pts)
        R = dg[:, None] / h[None, :]
        S = H * (U * (np.abs(x) + 2.0 * h) / h)[None, :]
    return T + R + S + 8.0 * U * H


def hessian_grad_bound(prob, x, method, r):
    raw = hessian_grad_bound_raw(prob, x, method, fd_steps(x, r))
    return 0.5 * (raw + raw.T)


def hessian_values_bound(prob, x, r=R_VAL):
    n = x.shape[0]
    h = fd_steps(x, r)
    pts = corners(x, h)
    df = max(prob.noise_f(p) for p in pts)
    c4 = box_max(lambda p: columns(prob.d4vvv, p, n), pts)       # c4[i, j] = |f_ijjj|
    g = np.abs(prob.g(x))
    H = np.abs(prob.H(x))
    d = U * (np.abs(x) + 2.0 * h)                 # rounding of a backward point x_i - h_i
    hi, hj = h[:, None], h[None, :]
    T = (hi ** 2 * c4.T + hj ** 2 * c4) / 6.0
    R = df / (hi * hj)
    S = H * ((d / h)[:, None] + (d / h)[None, :]) / 2.0
    Q = U * (g[None, :] / hi + g[:, None] / hj) + 8.0 * U * H
    B = T + R + S + Q
    i = np.arange(n)
    B[i, i] = (h ** 2 / 3.0 * np.diag(c4) + df / h ** 2
               + g * d / (2.0 * h ** 2) + np.diag(H) * d / h
               + U * g / h + 8.0 * U * np.diag(H))
    return B


def hessp_bound(prob, x, v, method, r):
    n = x.shape[0]
    t = r * max(1.0, float(np.linalg.norm(x))) / float(np.linalg.norm(v))
    pts = (x, x + t * v, x - t * v)
    dg = np.max([prob.noise_g(p) for p in pts], axis=0)
    H = np.abs(prob.H(x))
    if method == "forward":
        T = t / 2.0 * box_max(lambda p: prob.d3vv(p, v), pts)
        R = 2.0 * dg / t
    else:
        T = t ** 2 / 6.0 * box_max(lambda p: prob.d4vvv(p, v), pts)
        R = dg / t
    S = H @ (2.0 * U * (np.abs(x) + t * np.abs(v))) / t
    Q = gamma(n + 8) * (H @ np.abs(v))
    return T + R + S + Q


def assert_within(approx, exact, bound, what):
    err = np.abs(approx - exact)
    assert np.all(np.isfinite(approx)), f"{what}: non-finite entries"
    ratio = err / bound
    k = np.unravel_index(np.argmax(ratio), ratio.shape)
    assert np.all(err <= bound), (
        f"{what}: error {err[k]:.3e} at {k} exceeds the bound {bound[k]:.3e} "
        f"(ratio {ratio[k]:.2f}; approx {approx[k]!r}, exact {exact[k]!r})")


# ---------------------------------------------------------------------------------------------
# Accuracy against analytic derivatives


@pytest.mark.parametrize("cls", [pytest.param(c, id=c.name) for c in PROBLEMS])
def test_reference_derivatives_are_consistent(cls):
    """The analytic references themselves: each derivative is the central difference of the
    one below it (a check of the formulas the bounds rely on, at a loose 1e-5 relative)."""
    prob, x = setup_problem(cls, 7)
    v = np.random.default_rng(99).standard_normal(7)
    t = 1e-5 * max(1.0, float(np.abs(x).max()))
    pairs = [
        (prob.g(x) @ v, (prob.f(x + t * v) - prob.f(x - t * v)) / (2 * t)),
        (prob.H(x) @ v, (prob.g(x + t * v) - prob.g(x - t * v)) / (2 * t)),
        (prob.d3vv(x, v), (prob.H(x + t * v) - prob.H(x - t * v)) @ v / (2 * t)),
        (prob.d4vvv(x, v), (prob.d3vv(x + t * v, v) - prob.d3vv(x - t * v, v)) / (2 * t)),
    ]
    for k, (exact, fd) in enumerate(pairs):
        scale = max(np.max(np.abs(exact)), 1e-300)
        np.testing.assert_allclose(fd, exact, rtol=1e-5, atol=1e-5 * scale,
                                   err_msg=f"derivative order {k + 1}")


@pytest.mark.parametrize("method", ["forward", "central"])
@pytest.mark.parametrize("cls, n", problem_cases(SIZES))
def test_gradient_accuracy(cls, n, method):
    prob, x = setup_problem(cls, n)
    g = fastnewton.gradient(prob.f, x, method=method)
    r = R_FWD if method == "forward" else R_CEN
    assert_within(g, prob.g(x), gradient_bound(prob, x, method, r), f"{method} gradient")


@pytest.mark.parametrize("method", ["forward", "central"])
@pytest.mark.parametrize("cls, n", problem_cases(SIZES))
def test_hessian_from_gradient_accuracy(cls, n, method):
    prob, x = setup_problem(cls, n)
    H = fastnewton.hessian(prob.f, x, jac=prob.g, method=method)
    assert np.array_equal(H, H.T)
    r = R_FWD if method == "forward" else R_CEN
    assert_within(H, prob.H(x), hessian_grad_bound(prob, x, method, r),
                  f"{method} Hessian from gradients")


@pytest.mark.parametrize("cls, n", problem_cases(SIZES_VALUES))
def test_hessian_from_values_accuracy(cls, n):
    prob, x = setup_problem(cls, n)
    H = fastnewton.hessian(prob.f, x)
    assert np.array_equal(H, H.T)
    assert_within(H, prob.H(x), hessian_values_bound(prob, x), "Hessian from values")


@pytest.mark.parametrize("method", ["forward", "central"])
@pytest.mark.parametrize("cls, n", problem_cases(SIZES))
def test_hessp_accuracy(cls, n, method):
    prob, x = setup_problem(cls, n)
    v = np.random.default_rng([n, 7]).standard_normal(n)
    obj = make_objective(prob.f, n, (), prob.g)
    hv = _unit._hessp(obj, x, prob.g(x), v, method, 0.0)
    r = R_FWD if method == "forward" else R_CEN
    exact = prob.H(x) @ v
    assert_within(hv, exact, hessp_bound(prob, x, v, method, r), f"{method} H v")
    assert obj.njev == (1 if method == "forward" else 2)


def test_hessp_zero_vector():
    prob, x = setup_problem(Rosenbrock, 5)
    obj = make_objective(prob.f, 5, (), prob.g)
    hv = _unit._hessp(obj, x, prob.g(x), np.zeros(5), "central", 0.0)
    assert np.array_equal(hv, np.zeros(5)) and obj.njev == 0


@pytest.mark.parametrize("cls, n", problem_cases([5, 40]))
def test_hessian_rel_step_is_used(cls, n):
    """An explicit rel_step changes the steps exactly as documented (the bound uses it)."""
    prob, x = setup_problem(cls, n)
    r = 1e-4
    H = fastnewton.hessian(prob.f, x, jac=prob.g, method="central", rel_step=r)
    assert_within(H, prob.H(x), hessian_grad_bound(prob, x, "central", r), "rel_step=1e-4")
    g = fastnewton.gradient(prob.f, x, method="central", rel_step=r)
    assert_within(g, prob.g(x), gradient_bound(prob, x, "central", r), "rel_step=1e-4")


# ---------------------------------------------------------------------------------------------
# Agreement with SciPy's approx_derivative on the analytic gradient


@pytest.mark.parametrize("ours, theirs", [("central", "3-point"), ("forward", "2-point")])
@pytest.mark.parametrize("cls, n", problem_cases([5, 50]))
def test_hessian_agrees_with_scipy(cls, n, ours, theirs):
    """Both approximate the same Hessian, so they differ by at most the sum of their bounds:
    ours (symmetrized) and SciPy's raw Jacobian of the gradient, whose step is
    r sign(x_i) max(1, |x_i|) made representable the same way."""
    prob, x = setup_problem(cls, n)
    H = fastnewton.hessian(prob.f, x, jac=prob.g, method=ours)
    J = approx_derivative(prob.g, x, method=theirs)
    r = R_FWD if ours == "forward" else R_CEN
    sign = np.where(x >= 0, 1.0, -1.0)
    h_scipy = np.abs((x + r * sign * np.maximum(1.0, np.abs(x))) - x)
    bound = (hessian_grad_bound(prob, x, ours, r)
             + hessian_grad_bound_raw(prob, x, ours, h_scipy))
    assert_within(H, J, bound, f"fastnewton {ours} vs approx_derivative {theirs}")


# ---------------------------------------------------------------------------------------------
# Python objective vs its C twin (tests/cobjectives.c): the same numbers, bit for bit


def quad_loops(A):
    """0.5 x^T A x and A x with the loops of quad_fg in cobjectives.c."""
    n = A.shape[0]

    def fg(x):
        f = 0.0
        g = np.empty(n)
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += float(A[i, j]) * float(x[j])
            g[i] = s
            f += float(x[i]) * s
        return 0.5 * f, g

    return (lambda x: fg(x)[0]), (lambda x: fg(x)[1])


@pytest.mark.parametrize("n", [2, 7, 30])
@pytest.mark.parametrize("method", ["forward", "central"])
def test_rosen_python_and_c_bitwise(cobj, n, method):
    x = np.random.default_rng(n).uniform(-2.0, 2.0, n)
    # scipy.optimize.rosen_der has the operation order of rosen_fg in C
    assert np.array_equal(fastnewton.hessian(cobj.rosen_value, x, jac=rosen_der, method=method),
                          fastnewton.hessian(cobj.rosen(), x, method=method))
    assert np.array_equal(fastnewton.gradient(cobj.rosen_value, x, method=method),
                          fastnewton.gradient(cobj.rosen(), x, method=method))
    assert np.array_equal(fastnewton.gradient(cobj.rosen_value, x, method=method),
                          fastnewton.gradient(cobj.rosen(value_only=True), x, method=method))


@pytest.mark.parametrize("n", [2, 7])
def test_rosen_values_hessian_python_and_c_bitwise(cobj, n):
    x = np.random.default_rng(n).uniform(-2.0, 2.0, n)
    H = fastnewton.hessian(cobj.rosen_value, x)
    assert np.array_equal(H, fastnewton.hessian(cobj.rosen(value_only=True), x))
    # jac=None with a value+gradient C function uses its gradient: the gradient Hessian
    assert np.array_equal(fastnewton.hessian(cobj.rosen(), x),
                          fastnewton.hessian(cobj.rosen_value, x, jac=rosen_der))


@pytest.mark.parametrize("n", [3, 8])
def test_quadratic_user_data_python_and_c_bitwise(cobj, n):
    rng = np.random.default_rng(n)
    m = rng.standard_normal((n, n))
    A = m @ m.T + np.eye(n)
    x = rng.standard_normal(n)
    f, g = quad_loops(A)
    for method in ("forward", "central"):
        assert np.array_equal(fastnewton.hessian(f, x, jac=g, method=method),
                              fastnewton.hessian(cobj.quadratic(A), x, method=method))
    assert np.array_equal(fastnewton.hessian(f, x),
                          fastnewton.hessian(cobj.quadratic(A, value_only=True), x))


def test_quadratic_c_against_analytic(cobj):
    """n = 60 through user_data: the Hessian is A to within the rounding-only bound."""
    n = 60
    prob = Quadratic()
    x = prob.point(n, np.random.default_rng(60))
    prob.b = np.zeros(n)              # quad_fg has no linear term
    H = fastnewton.hessian(cobj.quadratic(prob.A), x)
    assert np.array_equal(H, H.T)
    assert_within(H, prob.A, hessian_grad_bound(prob, x, "central", R_CEN), "C quadratic")


def test_c_objective_in_threads(cobj):
    """The LowLevelCallable path runs without the GIL: concurrent Hessians equal serial ones."""
    xs = [np.random.default_rng(k).uniform(-2.0, 2.0, 80) for k in range(8)]
    fun = cobj.rosen()
    serial = [fastnewton.hessian(fun, x) for x in xs]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda x: fastnewton.hessian(fun, x), xs))
    for a, b in zip(serial, parallel):
        assert np.array_equal(a, b)


# ---------------------------------------------------------------------------------------------
# Evaluation counts


def rosen_f(x):
    return Rosenbrock().f(x)


@pytest.mark.parametrize("n", [1, 2, 9])
def test_gradient_counts(n):
    x = np.linspace(-1.0, 1.0, n)
    for method, expected in (("forward", n + 1), ("central", 2 * n + 1)):
        f = Counted(lambda x: float(x @ x))
        fastnewton.gradient(f, x, method=method)
        assert f.calls == expected, method


@pytest.mark.parametrize("n", [2, 9])
def test_hessian_counts(n):
    x = np.linspace(-1.0, 1.5, n)
    for method, expected in (("forward", n + 1), ("central", 2 * n + 1)):
        f, g = Counted(rosen_f), Counted(rosen_der)
        fastnewton.hessian(f, x, jac=g, method=method)
        assert g.calls == expected, method        # 1 at x, then n or 2n
        # jac=True: one call per point, f and g together
        fg = Counted(lambda x: (rosen_f(x), rosen_der(x)))
        fastnewton.hessian(fg, x, jac=True, method=method)
        assert fg.calls == expected, method
    f = Counted(rosen_f)
    fastnewton.hessian(f, x)
    assert f.calls == 2 * n * n + 1               # f(x), then 2 per diagonal, 4 per pair


def test_hessian_does_not_evaluate_fun_at_perturbed_points():
    n = 6
    x = np.linspace(-1.0, 1.5, n)
    f, g = Counted(rosen_f), Counted(rosen_der)
    fastnewton.hessian(f, x, jac=g, method="central")
    assert f.calls == 1


def test_c_objective_counts(cobj):
    n = 11
    x = np.linspace(-1.0, 1.5, n)
    fun, counts = cobj.counted_rosen()
    fastnewton.hessian(fun, x, method="central")
    assert counts.tolist() == [2 * n + 1, 2 * n + 1]
    counts[:] = 0
    fastnewton.hessian(fun, x, method="forward")
    assert counts.tolist() == [n + 1, n + 1]
    counts[:] = 0
    fastnewton.gradient(fun, x, method="central")
    assert counts.tolist() == [2 * n + 1, 0]    # values only: grad = NULL every time
    fun, counts = cobj.counted_rosen(value_only=True)
    fastnewton.hessian(fun, x)
    assert counts[0] == 2 * n * n + 1


# ---------------------------------------------------------------------------------------------
# dtype and memory layout of x


X_REF = np.array([0.5, -1.25, 2.0, 0.75, -0.5, 1.5, 3.0])


@pytest.mark.parametrize("variant", ["float32", "int64", "int8", "list", "strided", "reversed",
                                     "big-endian", "readonly"])
def test_x_dtype_and_layout(variant):
    if variant == "int64" or variant == "int8":
        ref = np.array([1, -2, 0, 3, 1, -1, 2], dtype=np.float64)
        xin = ref.astype(variant)
    else:
        ref = X_REF.copy()
        if variant == "float32":
            xin = ref.astype(np.float32)               # every entry is exact in float32
        elif variant == "list":
            xin = ref.tolist()
        elif variant == "strided":
            big = np.zeros(2 * ref.size)
            big[::2] = ref
            xin = big[::2]
        elif variant == "reversed":
            xin = ref[::-1].copy()[::-1]
        elif variant == "big-endian":
            xin = ref.astype(">f8")
        else:
            xin = ref.copy()
            xin.setflags(write=False)
    before = np.array(xin, copy=True)
    for call in (lambda x: fastnewton.hessian(rosen_f, x, jac=rosen_der),
                 lambda x: fastnewton.hessian(rosen_f, x),
                 lambda x: fastnewton.gradient(rosen_f, x, method="forward"),
                 lambda x: fastnewton.gradient(rosen_f, x)):
        got, want = call(xin), call(ref)
        assert got.dtype == np.float64 and np.array_equal(got, want)
    assert np.array_equal(np.asarray(xin), before)


@pytest.mark.parametrize("order", [">f8", "<f8"])
def test_gradient_in_either_byte_order(order):
    """A jac returning non-native float64 is converted, not read as raw bytes."""
    def jac(x):
        return rosen_der(x).astype(order)
    H = fastnewton.hessian(rosen_f, X_REF, jac=jac)
    assert np.array_equal(H, fastnewton.hessian(rosen_f, X_REF, jac=rosen_der))


def test_callers_array_is_not_modified_even_if_jac_writes():
    """The callables get copies: writing into them touches neither x nor the kernel."""
    x = np.array([0.3, -0.7, 1.1])
    before = x.copy()

    def vandal_g(y):
        g = rosen_der(y)
        y[:] = np.nan
        return g

    H = fastnewton.hessian(rosen_f, x, jac=vandal_g)
    assert np.array_equal(x, before)
    assert np.array_equal(H, fastnewton.hessian(rosen_f, x, jac=rosen_der))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_fun_writing_into_x_does_not_reach_jac():
    x = np.array([0.3, -0.7, 1.1])

    def vandal(y):
        v = rosen_f(y)
        y[:] = 1e300
        return v

    H = fastnewton.hessian(vandal, x, jac=rosen_der)
    assert np.array_equal(H, fastnewton.hessian(rosen_f, x, jac=rosen_der))


# ---------------------------------------------------------------------------------------------
# Bad input (docs/design.md, "Bad input and faults")


PUBLIC = {
    "gradient": lambda fun, x, **kw: fastnewton.gradient(fun, x, **kw),
    "hessian": lambda fun, x, **kw: fastnewton.hessian(fun, x, jac=rosen_der, **kw),
    "hessian-values": lambda fun, x, **kw: fastnewton.hessian(fun, x, **kw),
}


@pytest.mark.parametrize("which", list(PUBLIC))
@pytest.mark.parametrize("x, what", [
    (np.array([1.0, np.nan, 2.0]), "finite"),
    (np.array([1.0, np.inf]), "finite"),
    (np.array([-np.inf, 1.0]), "finite"),
    (np.ones((2, 2)), "1-D"),
    (np.float64(1.0), "1-D"),
    (np.array([]), "empty"),
    (np.array([1.0 + 1j, 2.0]), "complex"),
    (np.array(["a", "b"]), "real"),
    ([[1.0, 2.0], [3.0]], "1-D"),
], ids=["nan", "inf", "-inf", "2-D", "0-D", "empty", "complex", "str", "ragged"])
def test_bad_x(which, x, what):
    with pytest.raises(ValueError, match=r"^x ") as ei:
        PUBLIC[which](rosen_f, x)
    assert what in str(ei.value)


@pytest.mark.parametrize("which", list(PUBLIC))
@pytest.mark.parametrize("method", ["backward", "5-point", "", None, 3])
def test_bad_method(which, method):
    with pytest.raises(ValueError, match="method"):
        PUBLIC[which](rosen_f, [1.0, 2.0], method=method)


@pytest.mark.parametrize("which", list(PUBLIC))
@pytest.mark.parametrize("rel_step", [0.0, -1e-6, np.nan, np.inf])
def test_bad_rel_step(which, rel_step):
    with pytest.raises(ValueError, match="rel_step"):
        PUBLIC[which](rosen_f, [1.0, 2.0], rel_step=rel_step)


@pytest.mark.parametrize("method", ["2-point", "3-point"])
def test_scipy_method_names_are_synonyms(method):
    x = np.array([0.4, -1.2, 0.9])
    ours = {"2-point": "forward", "3-point": "central"}[method]
    assert np.array_equal(fastnewton.hessian(rosen_f, x, jac=rosen_der, method=method),
                          fastnewton.hessian(rosen_f, x, jac=rosen_der, method=ours))
    assert np.array_equal(fastnewton.gradient(rosen_f, x, method=method),
                          fastnewton.gradient(rosen_f, x, method=ours))


@pytest.mark.parametrize("bad", [np.ones(2), np.ones((3, 1)), np.ones(4), np.float64(1.0)],
                         ids=["short", "column", "long", "scalar"])
def test_jac_wrong_shape(bad):
    with pytest.raises(ValueError) as ei:
        fastnewton.hessian(rosen_f, np.ones(3), jac=lambda x: bad)
    msg = str(ei.value)
    assert "(3,)" in msg and str(np.shape(bad)) in msg


def test_jac_true_wrong_shape():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        fastnewton.hessian(lambda x: (1.0, np.ones(2)), np.ones(3), jac=True)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nonfinite_value_at_x(value):
    for call in (lambda: fastnewton.gradient(lambda x: value, [1.0, 2.0]),
                 lambda: fastnewton.hessian(lambda x: value, [1.0, 2.0]),
                 lambda: fastnewton.hessian(lambda x: value, [1.0, 2.0], jac=rosen_der)):
        with pytest.raises(ValueError, match=r"f\(x\) is not finite"):
            call()


def test_nonfinite_gradient_at_x():
    with pytest.raises(ValueError, match="gradient at x is not finite"):
        fastnewton.hessian(rosen_f, [1.0, 2.0], jac=lambda x: np.array([0.0, np.nan]))


def test_unsupported_lowlevelcallable_signature(cobj):
    for call in (fastnewton.gradient, fastnewton.hessian):
        with pytest.raises(ValueError, match="signature") as ei:
            call(cobj.bad_signature(), [1.0, 2.0])
        msg = str(ei.value)
        assert "double (double, void *)" in msg
        for sig in ACCEPTED_SIGNATURES:
            assert sig in msg


def test_lowlevelcallable_rejects_args_and_jac_callable(cobj):
    with pytest.raises(ValueError, match="args"):
        fastnewton.hessian(cobj.rosen(), [1.0, 2.0], args=(1,))
    with pytest.raises(ValueError, match="jac"):
        fastnewton.hessian(cobj.rosen(), [1.0, 2.0], jac=rosen_der)
    with pytest.raises(ValueError, match="jac=True"):
        fastnewton.hessian(cobj.rosen(value_only=True), [1.0, 2.0], jac=True)


def test_args_are_passed():
    x = np.array([0.5, -0.25, 1.0])
    scale = 3.0
    H = fastnewton.hessian(lambda x, s: s * rosen_f(x), x, args=(scale,),
                           jac=lambda x, s: s * rosen_der(x))
    H1 = fastnewton.hessian(lambda x: scale * rosen_f(x), x, jac=lambda x: scale * rosen_der(x))
    assert np.array_equal(H, H1)
    g = fastnewton.gradient(lambda x, s: s * rosen_f(x), x, args=(scale,))
    assert np.array_equal(g, fastnewton.gradient(lambda x: scale * rosen_f(x), x))


# ---------------------------------------------------------------------------------------------
# Exceptions raised by the user's callable


def _frames(tb):
    while tb is not None:
        yield tb.tb_frame.f_code
        tb = tb.tb_next


class Boom(Exception):
    pass


# With a gradient the Hessian calls fun once only (at x), so "hessian-f" raises on call 1.
@pytest.mark.parametrize("where, at_call", [
    ("gradient", 1), ("gradient", 4), ("hessian-f", 1), ("hessian-jac", 1), ("hessian-jac", 4),
    ("hessian-values", 1), ("hessian-values", 4), ("hessian-jac-true", 1),
    ("hessian-jac-true", 4)])
def test_user_exception_propagates_unchanged(where, at_call):
    """The very exception object, with the raising frame still in its traceback."""
    err = Boom("from the objective")
    calls = []

    def raiser(x):
        calls.append(1)
        if len(calls) == at_call:
            raise err
        return rosen_der(x) if where == "hessian-jac" else rosen_f(x)

    x = np.array([0.3, -0.2, 0.8])
    call = {
        "gradient": lambda: fastnewton.gradient(raiser, x),
        "hessian-f": lambda: fastnewton.hessian(raiser, x, jac=rosen_der),
        "hessian-jac": lambda: fastnewton.hessian(rosen_f, x, jac=raiser),
        "hessian-values": lambda: fastnewton.hessian(raiser, x),
        "hessian-jac-true": lambda: fastnewton.hessian(
            lambda x: (raiser(x), rosen_der(x)), x, jac=True),
    }[where]
    with pytest.raises(Boom) as ei:
        call()
    assert ei.value is err
    assert raiser.__code__ in list(_frames(ei.value.__traceback__))
    assert len(calls) == at_call                 # not called again after it raised


@pytest.mark.parametrize("where", ["value", "gradient"])
def test_keyboard_interrupt_propagates(where):
    def interrupt(x):
        raise KeyboardInterrupt

    x = np.array([1.0, 2.0])
    with pytest.raises(KeyboardInterrupt):
        if where == "value":
            fastnewton.gradient(interrupt, x)
        else:
            fastnewton.hessian(rosen_f, x, jac=interrupt)


def test_exception_deep_in_a_large_hessian_stops_at_once():
    """n = 200, the gradient raises on its 150th call: that exception, no further calls of
    the user function and no further evaluations by the kernel; then everything works."""
    n, raise_at = 200, 150
    x = np.random.default_rng(200).uniform(-2.0, 2.0, n)
    err = Boom("call 150")
    state = {"calls": 0, "after": 0}

    def jac(y):
        state["calls"] += 1
        if state["calls"] > raise_at:
            state["after"] += 1
        if state["calls"] == raise_at:
            raise err
        return rosen_der(y)

    with pytest.raises(Boom) as ei:
        fastnewton.hessian(rosen_f, x, jac=jac)
    assert ei.value is err
    assert state == {"calls": raise_at, "after": 0}
    assert jac.__code__ in list(_frames(ei.value.__traceback__))

    # the kernel itself made no evaluation after the failed one (the struct's counters)
    state.update(calls=0, after=0)
    obj = make_objective(rosen_f, n, (), jac)
    with pytest.raises(Boom):
        _unit._hessian_from_grad(obj, x, rosen_der(x), "central", 0.0)
    assert obj.njev == raise_at and state["after"] == 0

    # nothing left behind: the same objective, once its function behaves, and a fresh call
    good = fastnewton.hessian(rosen_f, x, jac=rosen_der)
    assert np.array_equal(_unit._hessian_from_grad(obj, x, rosen_der(x), "central", 0.0), good)
    assert np.array_equal(fastnewton.hessian(rosen_f, x, jac=rosen_der), good)
    assert np.array_equal(good, good.T)


def test_exception_in_a_thread_stays_in_that_thread():
    """Two threads, one objective raising: each call sees only its own outcome."""
    x = np.random.default_rng(3).uniform(-2.0, 2.0, 30)
    err = Boom("thread")
    barrier = threading.Barrier(2)

    def bad(y):
        barrier.wait(timeout=10)
        raise err

    def run_bad():
        try:
            fastnewton.hessian(rosen_f, x, jac=bad)
        except Boom as e:
            return e

    def run_good():
        barrier.wait(timeout=10)
        return fastnewton.hessian(rosen_f, x, jac=rosen_der)

    with ThreadPoolExecutor(2) as pool:
        fb, fg = pool.submit(run_bad), pool.submit(run_good)
        assert fb.result() is err
        assert np.array_equal(fg.result(), fastnewton.hessian(rosen_f, x, jac=rosen_der))
