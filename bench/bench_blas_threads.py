"""BLAS threads and small solves (issue 10, item 3): the default thread count against one thread.

Users do not set OPENBLAS_NUM_THREADS, so SciPy's OpenBLAS starts with one thread per core.
fastnewton runs the BLAS of a solve of order n < ``fastnewton._blas_threads.SINGLE_THREAD_BELOW``
on one thread (and gives the user's count back afterwards); this file shows that a solve with the
count left at its default is then as fast as the same solve with the count limited to 1 by the
user, and how much slower it was without that limit.

``test_blas_threads[method, n]``   Chained Rosenbrock on the C objective (``cobj.rosen()``, the
    shared LowLevelCallable of tests/cobjectives.c) from the standard start (-1.2, 1, ...),
    method newton / bfgs / lbfgs / sr1, n = 10 and 100, gtol 1e-5. pytest-benchmark times the
    solve as users run it (default count). Then three settings are timed alternately, the
    setting changed between the timed calls and never inside them:

    * ``default``: OPENBLAS_NUM_THREADS as found (unset: one thread per core), fastnewton's
      limit on -- what users get;
    * ``one``:     ``threadpool_limits(limits=1, user_api="blas")`` entered around the timed call;
    * ``off``:     the default count with fastnewton's limit switched off
      (``_blas_threads._set_enabled(False)``) -- what users got before it.

    default and one alternate first, then off and one (OpenBLAS's threads keep spinning for a
    while after a threaded call, which would slow whatever ran right after an 'off' solve).
    Reported per case (``extra_info`` and a table at the end): the median time of each setting
    and the medians of the per-round ratios default / one (target <= TARGET) and off / one. The
    three settings must all converge to the same minimum with the same iteration count;
    timings are not asserted (this machine is shared and noisy).

Run: ``pytest bench/bench_blas_threads.py --benchmark-only`` with OPENBLAS_NUM_THREADS unset
(the ratio table states the count in force).
"""
import os
import statistics
import time

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController

from _tables import fmt_time, write_table

import fastnewton
from fastnewton import _blas_threads, testing as _problems

METHODS = ("newton", "bfgs", "lbfgs", "sr1")
SIZES = (10, 100)
GTOL = 1e-5
TARGET = 1.2            # default / one, at most
BUDGET = 0.5            # seconds of pytest-benchmark rounds per case
ALTERNATION = 1.5       # seconds of alternated rounds (three solves each) per case
MAX_ROUNDS = 200
SETTINGS = ("default", "one", "off")

_rows = {}              # (method, n) -> dict for the summary


@pytest.fixture(scope="module")
def blas():
    """threadpoolctl's controller of the loaded BLAS libraries, made once (making one scans
    the process's libraries, which would cost more than a small solve)."""
    return ThreadpoolController()


class _Setting:
    """Context manager putting one of SETTINGS in force."""

    def __init__(self, name, blas):
        self.name, self.blas = name, blas

    def __enter__(self):
        if self.name == "one":
            self._limit = self.blas.limit(limits=1, user_api="blas")
        elif self.name == "off":
            self._was = _blas_threads._set_enabled(False)
        return self

    def __exit__(self, *exc):
        if self.name == "one":
            self._limit.restore_original_limits()
        elif self.name == "off":
            _blas_threads._set_enabled(self._was)


def _alternate(solve, blas, settings, rounds):
    """Time solve() under each of `settings` in turn, `rounds` times; the setting is entered
    and left outside the timed call. Returns {setting: [seconds per round]}."""
    times = {s: [] for s in settings}
    clock = time.perf_counter
    for _ in range(rounds):
        for name in settings:
            with _Setting(name, blas):
                t0 = clock()
                solve()
                times[name].append(clock() - t0)
    return times


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("method", METHODS)
def test_blas_threads(benchmark, cobj, blas, method, n):
    x0 = _problems.get("chained_rosenbrock", n).x0
    fun = cobj.rosen()

    def solve():
        return fastnewton.minimize(fun, x0, method=method, options={"gtol": GTOL})

    results = {}
    for name in SETTINGS:                       # also the warm-up of each setting
        with _Setting(name, blas):
            t0 = time.perf_counter()
            results[name] = solve()
            results[name].seconds = time.perf_counter() - t0
    for name, res in results.items():
        assert res.success, f"{method}, n = {n}, {name}: {res.message}"
        assert res.nit == results["one"].nit, (name, res.nit, results["one"].nit)
        np.testing.assert_allclose(res.fun, results["one"].fun, rtol=1e-8, atol=1e-12)

    info = dict(method=method, n=n, objective="C chained Rosenbrock", nit=int(results["one"].nit),
                blas_env=os.environ.get("OPENBLAS_NUM_THREADS", "unset"))
    benchmark.extra_info.update(info)
    one_solve = results["one"].seconds
    rounds = 1 if benchmark.disabled else max(3, min(MAX_ROUNDS, int(BUDGET / one_solve)))
    benchmark.pedantic(solve, rounds=rounds, iterations=1, warmup_rounds=0)
    if benchmark.disabled:
        return
    ratio, medians = {}, {}
    for name in ("default", "off"):     # 'off' last: its BLAS threads spin on for a while after
        pair = (name, "one")
        per = sum(results[s].seconds for s in pair)
        times = _alternate(solve, blas, pair, max(5, min(MAX_ROUNDS, int(ALTERNATION / per))))
        ratio[name] = statistics.median(a / b for a, b in zip(times[name], times["one"]))
        medians.update({s: statistics.median(t) for s, t in times.items() if s not in medians})
        info[f"rounds_{name}"] = len(times["one"])
    info.update({f"{s}_median": medians[s] for s in SETTINGS},
                default_over_one=ratio["default"], off_over_one=ratio["off"])
    benchmark.extra_info.update(info)
    _rows[method, n] = info


class _Summary:
    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter):
        if not _rows:
            return
        threads = {os.path.basename(c.filepath): c.num_threads
                   for c in ThreadpoolController().select(user_api="blas").lib_controllers}
        rows = [(method, n, r["nit"], r["default_median"], r["one_median"], r["off_median"],
                 r["default_over_one"], r["off_over_one"],
                 "" if r["default_over_one"] <= TARGET else f"over {TARGET}")
                for (method, n), r in sorted(_rows.items(),
                                             key=lambda kv: (METHODS.index(kv[0][0]), kv[0][1]))]
        write_table(
            terminalreporter, "BLAS threads: default count vs one thread (C chained Rosenbrock)",
            ("method", "n", "nit", "default", "one", "off", "default/one", "off/one", ""),
            rows, align="<" + ">" * 7 + "<",
            formats=(None, "d", "d", fmt_time, fmt_time, fmt_time, ".2f", ".2f", None),
            notes_before=[f"OPENBLAS_NUM_THREADS: "
                          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; threads now: "
                          f"{threads}; fastnewton limits n < "
                          f"{_blas_threads.SINGLE_THREAD_BELOW} to one thread"],
            notes_after=[f"default: as users run it; one: threadpool_limits(1); off: default "
                         f"count with fastnewton's limit off. Ratios: medians of per-round "
                         f"ratios (target default/one <= {TARGET})."])


@pytest.fixture(scope="module", autouse=True)
def _summary_plugin(register_summary):
    register_summary("fastnewton-bench-blas-threads-summary", _Summary())
