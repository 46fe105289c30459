"""Shared set-up for the benchmarks: default BLAS threads, ours beside SciPy's, speed ratios.

Conventions for a benchmark file ``bench/bench_*.py``:

* Request the ``ours_vs_scipy`` fixture. It is parametrized (through the ``impl`` fixture)
  over ``"fastnewton"`` and ``"scipy"``, so each test runs twice, timing one side per run.
  Parametrize the test over a size (``n``) as usual.
* Run with ``--benchmark-group-by=param``: the ``pytest_benchmark_group_stats`` hook below
  then groups by test function and every parameter *except* ``impl``, so the two sides of one
  size sit in one table, and the summary prints their median-time ratio (ours / SciPy).

Every benchmark runs with BLAS at its default thread count: users do not set
OPENBLAS_NUM_THREADS, so the benchmarks measure that way too (fastnewton limits its own small
solves to one BLAS thread; SciPy runs as it runs for users). The thread count in force, and
OPENBLAS_NUM_THREADS if it is set after all, are stored in each benchmark's
``extra_info["blas_threads"]`` and in the saved JSON's ``machine_info``, and printed with the
ratio table.
"""
import os
import statistics
import time

import pytest
import scipy.linalg  # noqa: F401 - loads SciPy's OpenBLAS so that the count below includes it
from pytest_benchmark.plugin import pytest_benchmark_group_stats as _default_group_stats
from threadpoolctl import threadpool_info

import fastnewton as _fastnewton  # noqa: F401 - its kernels call LAPACK through SciPy's OpenBLAS

import _gate
from _tables import fmt_time, write_table

IMPLS = ("fastnewton", "scipy")
BLAS_ENV = "OPENBLAS_NUM_THREADS"
_observed = {}  # BLAS thread count at the start of the session, for the summary and machine_info
_failed = set()  # node ids of benchmarks whose test failed (e.g. the two sides disagree)


def _blas_threads():
    """BLAS thread count now in force: an int if all loaded BLAS libraries agree, else a dict."""
    counts = {f"{i['prefix']} ({i['internal_api']} {i['version']})": i["num_threads"]
              for i in threadpool_info() if i["user_api"] == "blas"}
    values = set(counts.values())
    return values.pop() if len(values) == 1 else counts


def _blas_setting():
    """How the BLAS thread count was chosen: the default, or the environment variable."""
    value = os.environ.get(BLAS_ENV)
    return "default, " + BLAS_ENV + " unset" if value is None else f"{BLAS_ENV}={value}"


@pytest.fixture(scope="session", autouse=True)
def _default_blas_threads():
    _observed["blas_threads"] = _blas_threads()
    _observed["blas_setting"] = _blas_setting()
    yield


@pytest.fixture(autouse=True)
def _record_blas_threads(request, _default_blas_threads):
    if "benchmark" in request.fixturenames:
        request.getfixturevalue("benchmark").extra_info["blas_threads"] = _blas_threads()


def pytest_addoption(parser, pluginmanager):
    """The ratio regression gate, bench/_gate.py: --ratio-baseline, --ratio-save, marker gate
    (the module is loaded by the root conftest.py)."""
    pluginmanager.register(_gate, "fastnewton-ratio-gate")


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["blas_threads"] = _observed.get("blas_threads", _blas_threads())
    machine_info["blas_setting"] = _observed.get("blas_setting", _blas_setting())


def paired_ratio(a, b, pairs=41):
    """Median over `pairs` back-to-back alternations of time(a()) / time(b()).

    Sides timed in separate benchmarks run seconds apart, and this shared machine's speed
    drifts by up to 2x over seconds; a and b timed right after each other see the same
    machine, so the median of their ratios is the steadier estimate of what a adds over b.
    Benchmarks against a floor (the raw C evaluations) report it beside the medians' ratio.
    """
    a(), b()                                  # warm both
    ratios = []
    clock = time.perf_counter
    for _ in range(pairs):
        t0 = clock()
        a()
        t1 = clock()
        b()
        t2 = clock()
        ratios.append((t1 - t0) / (t2 - t1))
    return statistics.median(ratios)


@pytest.fixture(scope="session")
def paired():
    """paired_ratio, for benchmark modules (they cannot import this conftest)."""
    return paired_ratio


@pytest.fixture(scope="session")
def register_summary(request):
    """register_summary(name, plugin): add a module's pytest_terminal_summary plugin once per
    session, so its tables print after the ratio table whichever benchmarks ran."""
    def register(name, plugin):
        manager = request.config.pluginmanager
        if manager.get_plugin(name) is None:
            manager.register(plugin, name)
    return register


@pytest.fixture(params=IMPLS)
def impl(request):
    """Which side of an ours-vs-SciPy benchmark this run times."""
    return request.param


@pytest.fixture
def ours_vs_scipy(benchmark, impl):
    """Time one side of a side-by-side benchmark, then check both sides agree.

    Returns ``run(*, fastnewton, scipy, setup, rounds, check, warmup_rounds=1)``:

    fastnewton, scipy : callables
        The two implementations of the same work, called as ``f(*setup())``.
    setup : callable
        Returns a tuple of *fresh* arguments (copies for in-place functions), the same values
        on every call. It runs before every round and is not timed.
    rounds : int
        Timed rounds, one call each.
    check : callable
        ``check(ours_result, scipy_result)`` asserts they agree. It is called after timing
        with the result of the last timed round and the other side's result on fresh
        arguments, so a broken path fails the benchmark instead of being measured.

    Returns the timed side's result.
    """
    def run(*, fastnewton, scipy, setup, rounds, check, warmup_rounds=1):
        funcs = {"fastnewton": fastnewton, "scipy": scipy}
        benchmark.extra_info["impl"] = impl
        timed = benchmark.pedantic(funcs[impl], setup=lambda: (tuple(setup()), {}),
                                   rounds=rounds, iterations=1, warmup_rounds=warmup_rounds)
        other = funcs[IMPLS[1] if impl == IMPLS[0] else IMPLS[0]](*setup())
        if impl == "fastnewton":
            check(timed, other)
        else:
            check(other, timed)
        return timed

    return run


def pytest_runtest_logreport(report):
    if report.failed:
        _failed.add(report.nodeid)


def _param_key(bench):
    params = bench.get("params") or {}
    rest = ", ".join(f"{k}={v}" for k, v in params.items() if k != "impl")
    return f"{bench['name'].split('[')[0]}[{rest}]"


def pytest_benchmark_group_stats(config, benchmarks, group_by):
    """For ``--benchmark-group-by`` containing ``param``: leave ``impl`` out of the key."""
    if "param" not in group_by.split(","):
        return None  # pytest-benchmark's own grouping
    keyed = [dict(b, param=_param_key(b)) if "impl" in (b.get("params") or {}) else b
             for b in benchmarks]
    return _default_group_stats(config, keyed, group_by)


def _ratio_rows(groups):
    """(group, ours, scipy, ratio) for each group with exactly one passing run of each side;
    ratio is None where a side's test failed (its time measured a broken path)."""
    rows = []
    for name, benches in groups or ():
        current = [b for b in benches if b.get("path") is None]  # not ones loaded for --compare
        failed = any(b.get("fullname") in _failed for b in current)
        by_impl = {}
        for b in current:
            impl_name = (b.get("params") or {}).get("impl")
            if impl_name in IMPLS and b.get("median") is not None:
                by_impl.setdefault(impl_name, []).append(b["median"])
        if all(len(by_impl.get(i, ())) == 1 for i in IMPLS):
            ours, theirs = by_impl["fastnewton"][0], by_impl["scipy"][0]
            ratio = None if failed else (ours / theirs if theirs > 0 else float("nan"))
            rows.append((str(name), ours, theirs, ratio))
    return rows


@pytest.hookimpl(trylast=True)  # after pytest-benchmark has printed its tables
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    session = getattr(config, "_benchmarksession", None)
    if session is None or session.disabled:
        return
    rows = _ratio_rows(getattr(session, "groups", None))
    if not rows:
        return
    threads = _observed.get("blas_threads", "unknown")
    setting = _observed.get("blas_setting", _blas_setting())
    write_table(
        terminalreporter,
        f"median time ratios, fastnewton / scipy (BLAS threads: {threads}, {setting})",
        ("group", "fastnewton median", "scipy median", "fastnewton/scipy"),
        [(name, ours, theirs, "test failed" if ratio is None else ratio)
         for name, ours, theirs, ratio in rows],
        formats=(None, fmt_time, fmt_time, ".3f"),
        notes_after=["ratio < 1: fastnewton is faster"])
