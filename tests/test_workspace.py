"""Workspace sizes: every solve allocates one workspace whose size comes from the methods'
layout functions, computed in Py_ssize_t (n*n passes 2^31 at n = 46,341; 2 m n at far less
for L-BFGS with a large memory). A size this machine cannot hold is refused before anything
is allocated, with a ValueError that names the option and the size and says what fits.
"""
import numpy as np
import pytest

from fastnewton import minimize
from fastnewton._api import AskTell


def _sphere(x):
    return float(x @ x)


def _sphere_grad(x):
    return 2.0 * x


@pytest.mark.parametrize("memory", [2**30, 2**31 - 1])
def test_lbfgs_with_a_huge_memory_solves_as_with_one_slot_per_iteration(memory):
    """Once segfaulted: 2 m n + 2 m overflowed a C int, and the pair push wrote past a tiny
    buffer. L-BFGS stores at most one pair per iteration, so the ring is sized
    min(memory, maxiter): the iterates are those of memory = maxiter exactly."""
    x0 = np.linspace(-1.0, 2.0, 7)
    obj = lambda x: float(np.sum((x - 0.5) ** 4) + x @ x)
    grad = lambda x: 4.0 * (x - 0.5) ** 3 + 2.0 * x
    res = minimize(obj, x0, jac=grad, method="lbfgs", options={"memory": memory, "maxiter": 40})
    ref = minimize(obj, x0, jac=grad, method="lbfgs", options={"memory": 40, "maxiter": 40})
    assert res.status == ref.status == 0
    assert res.nit == ref.nit and res.nfev == ref.nfev
    np.testing.assert_array_equal(res.x, ref.x)
    small = minimize(_sphere, np.ones(1), jac=_sphere_grad, method="lbfgs",
                     options={"memory": memory})
    assert small.status == 0 and small.x[0] == 0.0


@pytest.mark.parametrize("method", ["newton", "bfgs", "sr1"])
def test_dense_method_too_big_for_any_machine_is_refused_with_what_fits(method):
    n = 2**22                               # n x n doubles: 128 TB
    # Newton dense as asked (the default 'auto' band solves by Newton-CG at this n:
    # test_sparse_newton.py)
    options = {"hess_bandwidth": None} if method == "newton" else None
    with pytest.raises(ValueError) as info:
        minimize(_sphere, np.ones(n), jac=_sphere_grad, method=method, options=options)
    msg = str(info.value)
    assert f"method='{method}'" in msg and f"n={n}" in msg and "GB" in msg
    assert "method='lbfgs' needs" in msg and "method='newton-cg'" in msg
    if method == "newton":
        assert "hess_bandwidth" in msg and "hess_sparsity" in msg


def test_lbfgs_memory_too_big_is_refused_naming_memory():
    n = 2**20
    with pytest.raises(ValueError, match=r"options\['memory'\]=1073741824 at n=1048576 needs"):
        minimize(_sphere, np.ones(n), jac=_sphere_grad, method="lbfgs",
                 options={"memory": 2**30, "maxiter": 2**30})


def test_the_engine_by_hand_is_refused_the_same_way():
    with pytest.raises(ValueError, match="method='bfgs' at n=4194304"):
        AskTell("bfgs", np.ones(2**22), 1.0, np.ones(2**22))
