"""The BLAS thread count around solves (fastnewton._blas_threads).

A solve of order n < SINGLE_THREAD_BELOW runs SciPy's BLAS on one thread and then gives the user
back exactly the count they had: after a plain solve, a solve that raises, a C-objective solve,
and many concurrent solves of mixed sizes in a ThreadPoolExecutor. A larger solve leaves the
count alone, a user count of 1 stays 1, and NumPy's own BLAS is never touched.

Everything is observed through threadpoolctl, on the BLAS library bundled with SciPy (found here
by its location in SciPy's installation, independently of how the module under test matches it).
The user's count is set to USER_THREADS (3: neither OpenBLAS's 1 nor this machine's default), so
every assertion would fail if the limit were not applied or not undone, whatever the core count.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy
import scipy.linalg
from threadpoolctl import ThreadpoolController, threadpool_limits

import fastnewton
from fastnewton import _blas_threads, testing as _problems

USER_THREADS = 3
METHODS = ("newton", "bfgs", "lbfgs", "sr1")
SMALL = 10
LARGE = _blas_threads.SINGLE_THREAD_BELOW


def _blas_controllers():
    return ThreadpoolController().select(user_api="blas").lib_controllers


def _scipy_blas():
    """threadpoolctl's controller of the BLAS library shipped inside SciPy's installation."""
    scipy_dir = os.path.dirname(os.path.realpath(scipy.__file__))
    site = os.path.dirname(scipy_dir)
    own = [c for c in _blas_controllers()
           if os.path.realpath(c.filepath).startswith((scipy_dir + os.sep,
                                                       os.path.join(site, "scipy.libs") + os.sep))]
    assert len(own) == 1, [c.filepath for c in _blas_controllers()]
    return own[0]


SCIPY_BLAS = _scipy_blas()
OTHER_BLAS = [c for c in _blas_controllers() if c.filepath != SCIPY_BLAS.filepath]


def _scipy_count():
    return SCIPY_BLAS.get_num_threads()


@pytest.fixture
def user_threads():
    """Every BLAS library at USER_THREADS threads for the test, as a user would set them."""
    with threadpool_limits(limits=USER_THREADS, user_api="blas"):
        assert _scipy_count() == USER_THREADS
        yield USER_THREADS


class Watch:
    """A Python objective (extended Rosenbrock) that records SciPy's BLAS thread count, and
    NumPy's, at every call but the first (minimize evaluates x0 before the kernel starts);
    optionally raises at call number raise_at."""

    def __init__(self, n, raise_at=None, error=ZeroDivisionError):
        self.prob = _problems.get("extended_rosenbrock", n)
        self.raise_at = raise_at
        self.error = error
        self.calls = 0
        self.seen = set()
        self.seen_other = set()

    def fun(self, x):
        self.calls += 1
        if self.calls > 1:
            self.seen.add(_scipy_count())
            self.seen_other.update(c.get_num_threads() for c in OTHER_BLAS)
        if self.calls == self.raise_at:
            raise self.error("from the objective")
        return self.prob.fun(x), self.prob.grad(x)


def _solve(method, watch, maxiter=None):
    options = {} if maxiter is None else {"maxiter": maxiter}
    return fastnewton.minimize(watch.fun, watch.prob.x0, method=method, jac=True,
                               options=options)


def test_finds_the_blas_scipy_calls():
    found = _blas_threads.info()
    assert found["scope"] == "process", found          # SciPy's OpenBLAS, pthreads
    assert found["api"] == "openblas"
    assert os.path.realpath(found["filepath"]) == os.path.realpath(SCIPY_BLAS.filepath)


def test_one_thread_below_the_threshold_user_count_from_it():
    assert _blas_threads.threads_for(0) == 1
    assert _blas_threads.threads_for(LARGE - 1) == 1
    assert _blas_threads.threads_for(LARGE) == 0


@pytest.mark.parametrize("n", [SMALL, 100])       # 100: a Python objective without the GIL
@pytest.mark.parametrize("method", METHODS)
def test_small_solve_runs_on_one_thread_and_restores(user_threads, method, n):
    watch = Watch(n)
    res = _solve(method, watch)
    assert res.success, res.message
    assert watch.seen == {1}
    assert watch.seen_other <= {USER_THREADS}     # NumPy's BLAS: never touched
    assert _scipy_count() == USER_THREADS


# Large solves: the O(n^2) methods only (the limit sits in the one entry point all methods go
# through; a Newton or SR1 factorization of order 1000 on USER_THREADS threads takes seconds on a
# loaded 2-core machine, the very slowness the limit exists for).
LARGE_METHODS = ("bfgs", "lbfgs")


@pytest.mark.parametrize("method", LARGE_METHODS)
def test_large_solve_leaves_the_count_alone(user_threads, method):
    watch = Watch(LARGE)
    _solve(method, watch, maxiter=2)
    assert watch.seen == {USER_THREADS}
    assert _scipy_count() == USER_THREADS


def test_disabled_switch_leaves_the_count_alone(user_threads):
    # the control that shows the tests above can fail
    old = _blas_threads._set_enabled(False)
    try:
        watch = Watch(SMALL)
        _solve("bfgs", watch)
    finally:
        _blas_threads._set_enabled(old)
    assert watch.seen == {USER_THREADS}


@pytest.mark.parametrize("n", [SMALL, LARGE])
def test_user_count_of_one_stays_one(n):
    with threadpool_limits(limits=1, user_api="blas"):
        watch = Watch(n)
        _solve("bfgs", watch, maxiter=2)
        assert watch.seen == {1}
        assert _scipy_count() == 1


@pytest.mark.parametrize("error", [ZeroDivisionError, KeyboardInterrupt])
@pytest.mark.parametrize("n", [SMALL, 100])
@pytest.mark.parametrize("method", METHODS)
def test_restored_after_a_user_exception(user_threads, method, n, error):
    watch = Watch(n, raise_at=5, error=error)
    with pytest.raises(error, match="from the objective"):
        _solve(method, watch)
    assert watch.seen == {1}
    assert _scipy_count() == USER_THREADS


@pytest.mark.parametrize("method", METHODS)
def test_restored_after_a_callback_stops_or_raises(user_threads, method):
    prob = _problems.get("extended_rosenbrock", SMALL)
    seen = []

    def stop(xk):
        seen.append(_scipy_count())
        raise StopIteration

    res = fastnewton.minimize(prob.fun, prob.x0, method=method, jac=prob.grad, callback=stop)
    assert res.status == 4 and seen == [1]
    assert _scipy_count() == USER_THREADS

    def fail(xk):
        raise RuntimeError("from the callback")

    with pytest.raises(RuntimeError, match="from the callback"):
        fastnewton.minimize(prob.fun, prob.x0, method=method, jac=prob.grad, callback=fail)
    assert _scipy_count() == USER_THREADS


@pytest.mark.parametrize("method", METHODS)
def test_c_objective_solve(user_threads, cobj, method):
    # no GIL inside the kernel: the count is read from the callback between iterations
    seen = set()
    res = fastnewton.minimize(cobj.rosen(), np.array([-1.2, 1.0]), method=method,
                              callback=lambda xk: seen.add(_scipy_count()))
    assert res.success, res.message
    assert seen == {1}
    assert _scipy_count() == USER_THREADS


def test_linalg_entry_points_restore(user_threads):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((20, 20))
    a = m @ m.T + 20 * np.eye(20)
    x = rng.standard_normal(20)
    fac, b = a.copy(), a @ x
    fastnewton.linalg.cho_solve_inplace(fac, b)
    np.testing.assert_allclose(b, x, rtol=1e-10)
    assert _scipy_count() == USER_THREADS
    fastnewton.linalg.modified_cholesky(-a.copy())
    assert _scipy_count() == USER_THREADS


def test_concurrent_solves_of_mixed_sizes_restore(user_threads):
    """Many solves at once, small (limited) and large (not), some raising: every small one sees
    one thread, and when all are done the user's count is back."""
    jobs = []
    for k in range(48):
        n = (SMALL, 100, SMALL, LARGE)[(k // 4) % 4]
        method = METHODS[k % 4] if n < LARGE else LARGE_METHODS[k % 2]
        raise_at = 7 if k % 5 == 0 else None
        jobs.append((method, n, Watch(n, raise_at)))

    def run(job):
        method, n, watch = job
        try:
            _solve(method, watch, maxiter=2 if n == LARGE else None)
        except ZeroDivisionError:
            assert watch.raise_at is not None
        return watch

    with ThreadPoolExecutor(max_workers=8) as pool:
        watches = list(pool.map(run, jobs))
    for (method, n, _), watch in zip(jobs, watches):
        if n < LARGE:
            assert watch.seen == {1}, (method, n)
    assert _scipy_count() == USER_THREADS
