"""Compare the speed of two installed builds of fastnewton, paired and back to back.

    python bench/compare_builds.py --old /path/to/old/bin/python --new /path/to/new/bin/python
                                   [--rounds 15] [--repeats 41] [--loop-ms 3]

Each interpreter must have its own build of fastnewton installed (not the source folder: the
worker never puts src/ on sys.path), with numpy, scipy, and hypothesis (tests/_support.py,
whose C-objective loaders the worker uses, imports it); ``pip install ".[test]"`` gives all of
them. A C compiler is needed, as for the tests.

The driver (any Python 3, standard library only) runs this file again with ``--worker``
under each interpreter, as subprocesses. Each of ``--rounds`` rounds starts a fresh old and
a fresh new worker (which one starts first alternates), and for each case the driver has them
time ``--repeats`` loops each, alternating loop by loop: old, new, new, old, old, new, ...
(new first in every other round). Only one loop runs at a time, the other worker waiting;
the loops compared are milliseconds apart, so load from other processes, which on a shared
machine comes and goes over seconds, falls on both sides alike. Per round and
case, each side's time is its fastest loop's time per call, and the round's ratio is
new / old. The driver prints a table (bench/_tables.py) with, per case, the median of the
per-round ratios -- the figure to judge -- their interquartile range, and each side's fastest
time over all rounds. It ends with ``max ratio X.XX (target <= 1.10)`` and exits 0 whatever
the ratios; it exits 1 only when a worker fails (an import error, or a case whose result is
wrong).

The cases (public API only -- ``minimize``, ``line_search``, ``hessian`` -- so that any build
can be timed), on C objectives (scipy.LowLevelCallable) compiled from tests/*.c, so that the
time is the package's own and not a Python objective's:

* ``minimize <method>``: extended Rosenbrock at n = 10 (``ext_rosen_fg``,
  tests/cobjectives_min.c, as in bench/bench_minimize.py) from the standard start
  (-1.2, 1, ...), ``options={'gtol': 1e-5}``, for method newton, bfgs, lbfgs, sr1;
* ``line_search``: the trigonometric family of tests/cobjectives_ls.c at n = 10_000 along
  -g, ``gfk`` and ``old_fval`` given (as bench/bench_linesearch.py ``test_search_c``);
* ``hessian``: central-difference Hessian of the chained Rosenbrock (``rosen_fg``,
  tests/cobjectives.c) at n = 100 (as bench/bench_fdiff.py ``test_fd_hessian_c``).

Inputs are fixed (fixed seeds and points), so both builds do the same work; the "work"
column shows each side's iteration and evaluation counts and is marked when they differ
(then the ratio compares different amounts of work). The C libraries are compiled once per
comparison (by the first worker, into a temporary folder that every worker then loads); each
worker runs each case once untimed (and checks its result) before any timing. Imports,
compilation and checks are outside the timings.

Loops are short (``--loop-ms``, 3 ms: still a thousand times the clock's resolution) and
many (``--repeats``, 41), with the garbage collector off; the number of calls per loop is
set once, by the first old worker, and used by every worker. A loop that fits in one
scheduler time slice often runs undisturbed even on a busy machine, so the fastest of many is
the undisturbed time; long loops are all interrupted alike. On a 2-core machine at load 4-6,
two builds of the same code gave per-case medians of 0.97-1.03 with 41 loops of 3 ms, but
0.72-1.08 with 7 loops of 30 ms.

BLAS runs at its default thread count, as users run it: the driver passes its environment
unchanged (OPENBLAS_NUM_THREADS, if it happens to be set, is printed with the table).
"""
import argparse
import gc
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(os.path.dirname(HERE), "tests")
TARGET = 1.10
METHODS = ("newton", "bfgs", "lbfgs", "sr1")
CASES = tuple(f"minimize {m}" for m in METHODS) + ("line_search", "hessian")
N_MIN, N_LS, N_HESS = 10, 10_000, 100
GTOL = 1e-5
BLAS_ENV = "OPENBLAS_NUM_THREADS"


# -- worker: runs under the interpreter being timed ------------------------------------------

def _library(support, libdir, source):
    """Path of `source` compiled into libdir by the repository's loader, compiled only by the
    first worker that needs it (every later worker, old or new, loads the same file)."""
    path = os.path.join(libdir, os.path.splitext(os.path.basename(source))[0] + ".so")
    return path if os.path.exists(path) else support.compile_shared(libdir, source)


def _cases(libdir):
    """{case: (run, check)}: run() does the timed call; check(result) asserts it is right
    and returns the work it did (iterations, evaluations) as a short string."""
    import numpy as np

    import fastnewton

    sys.path.insert(0, TESTS)
    import _support   # tests/_support.py: the C-objective loaders tests and benchmarks share

    cmin = _support.MinCObjectives(
        _library(_support, libdir, os.path.join(_support.HERE, "cobjectives_min.c")))
    lslib = _support.LSLib(
        _library(_support, libdir, os.path.join(_support.HERE, "cobjectives_ls.c")))
    cobj = _support.CObjectives(_library(_support, libdir, _support.SOURCE))

    cases = {}

    # minimize: extended Rosenbrock (minimum 0 at x = 1), n = 10, standard start
    ext_rosen = cmin.llc("ext_rosen_fg")
    x0 = np.tile([-1.2, 1.0], N_MIN // 2)

    def minimize_case(method):
        def run():
            return fastnewton.minimize(ext_rosen, x0.copy(), method=method, jac=None,
                                       options={"gtol": GTOL})

        def check(res):
            assert res.success and np.max(np.abs(res.x - 1.0)) <= 1e-4, (
                f"minimize {method}: success={res.success}, max|x - 1| = "
                f"{np.max(np.abs(res.x - 1.0)):.2e}, message={res.message!r}")
            return f"nit {int(res.nit)}, nfev {int(res.nfev)}, njev {int(res.njev)}"

        return run, check

    for method in METHODS:
        cases[f"minimize {method}"] = minimize_case(method)

    # line_search: trig family at n = 10_000 along -g (bench_linesearch.py's _c_case)
    rng = np.random.default_rng(N_LS)
    llc, f, g = lslib.family(_support.make_problem("trig", N_LS, rng, quiet=False))
    xk = rng.standard_normal(N_LS)
    gfk = g(xk)
    pk = -gfk
    f0 = f(xk)

    def ls_run():
        return fastnewton.line_search(llc, None, xk, pk, gfk=gfk, old_fval=f0)

    def ls_check(out):
        alpha, fc, gc_, new_f = out[:4]
        assert alpha is not None and alpha > 0 and new_f < f0, f"line_search failed: {out[:4]}"
        return f"fc {fc}, gc {gc_}"

    cases["line_search"] = (ls_run, ls_check)

    # hessian: chained Rosenbrock at n = 100 (bench_fdiff.py's _point and _c_case)
    rosen = cobj.rosen()
    xh = np.random.default_rng(N_HESS).uniform(-2.0, 2.0, N_HESS)

    def h_run():
        return fastnewton.hessian(rosen, xh)

    def h_check(h):
        assert h.shape == (N_HESS, N_HESS) and np.all(np.isfinite(h)), "hessian: bad result"
        assert np.array_equal(h, h.T), "hessian: not symmetric"
        return f"{2 * N_HESS + 1} gradients"

    cases["hessian"] = (h_run, h_check)
    return cases


def _time_loop(run, calls, clock=time.perf_counter):
    t0 = clock()
    for _ in range(calls):
        run()
    return clock() - t0


def _calibrate(run, loop_s, trials=7):
    """Calls per loop so that one loop takes about loop_s seconds undisturbed: the time per
    call is the fastest of `trials` short timings (a tenth of loop_s or more), so that a busy
    moment during calibration does not shorten every later loop."""
    calls = 1
    while _time_loop(run, calls) < 0.1 * loop_s and calls < 1 << 20:
        calls *= 2
    per_call = min(_time_loop(run, calls) for _ in range(trials)) / calls
    return max(1, round(loop_s / per_call))


def worker(args):
    """Serve the driver on stdin/stdout, one JSON object a line: first a "ready" line (the
    work of each case, checked), then one answer per request:
    ``{"op": "calibrate", "loop_ms": ms}`` -> calls per loop for each case;
    ``{"op": "time", "case": c, "calls": k}`` -> seconds of one loop of k calls (garbage
    collector off); ``{"op": "quit"}`` -> exit."""
    import numpy as np
    import scipy

    import fastnewton

    out = sys.stdout
    sys.stdout = sys.stderr          # stray prints cannot corrupt the protocol

    def send(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    cases = _cases(args.libdir)
    work = {name: check(run()) for name, (run, check) in cases.items()}   # warm-up + check
    send({"work": work, "python": sys.executable,
          "fastnewton": os.path.dirname(fastnewton.__file__),
          "numpy": np.__version__, "scipy": scipy.__version__})
    for line in sys.stdin:
        req = json.loads(line)
        if req["op"] == "calibrate":
            send({name: _calibrate(run, req["loop_ms"] / 1e3)
                  for name, (run, _) in cases.items()})
        elif req["op"] == "time":
            run = cases[req["case"]][0]
            gc.disable()
            try:
                t = _time_loop(run, req["calls"])
            finally:
                gc.enable()
            send({"t": t})
        else:
            break
    return 0


# -- driver ---------------------------------------------------------------------------------

class _Out:
    """The three terminal-reporter methods bench/_tables.py's write_table uses, on stdout."""

    def ensure_newline(self):
        sys.stdout.flush()

    def write_sep(self, sep, title):
        print(f" {title} ".center(max(88, len(title) + 8), sep))

    def write_line(self, line):
        print(line)


class _Worker:
    """This file running with --worker under `python`, driven through its stdin/stdout."""

    def __init__(self, python, side, libdir):
        self.python, self.side = python, side
        self.err = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [python, os.path.abspath(__file__), "--worker", "--libdir", libdir],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, text=True,
            bufsize=1)
        self.info = self._answer()

    def _answer(self):
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.err.seek(0)
            sys.stderr.write(f"\nthe {self.side} worker failed ({self.python}, exit "
                             f"{self.proc.returncode}):\n{self.err.read()}")
            sys.exit(1)
        return json.loads(line)

    def ask(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.close()
            except OSError:
                pass
            self.proc.wait()
        self.err.close()


def _round(workers, calls, repeats, first):
    """One round: for each case, `repeats` loops on each side, alternating loop by loop
    (first, other, other, first, ...); returns {side: {case: fastest seconds per call}}."""
    second = "new" if first == "old" else "old"
    best = {side: dict.fromkeys(CASES, math.inf) for side in workers}
    for case in CASES:
        for j in range(repeats):
            for side in ((first, second) if j % 2 == 0 else (second, first)):
                t = workers[side].ask(op="time", case=case, calls=calls[case])["t"]
                best[side][case] = min(best[side][case], t / calls[case])
    return best


def _quantile(values, q):
    s = sorted(values)
    i = q * (len(s) - 1)
    lo = math.floor(i)
    return s[lo] + (s[min(lo + 1, len(s) - 1)] - s[lo]) * (i - lo)


def driver(args):
    sys.path.insert(0, HERE)
    from _tables import fmt_time, write_table

    pythons = {"old": args.old, "new": args.new}
    for side, python in pythons.items():
        if shutil.which(python) is None:
            sys.exit(f"--{side}: {python} is not an executable")
    libdir = tempfile.mkdtemp(prefix="fastnewton-compare-")
    runs = {"old": [], "new": []}
    info = {}
    calls = None
    t_start = time.perf_counter()
    try:
        for r in range(args.rounds):
            first = "old" if r % 2 == 0 else "new"
            workers = {}
            try:
                # started one after the other: the first compiles the C objectives
                for side in (first, "new" if first == "old" else "old"):
                    workers[side] = _Worker(pythons[side], side, libdir)
                if calls is None:
                    calls = workers["old"].ask(op="calibrate", loop_ms=args.loop_ms)
                best = _round(workers, calls, args.repeats, first)
            finally:
                for w in workers.values():
                    w.close()
            for side, w in workers.items():
                info.setdefault(side, w.info)
                runs[side].append({"times": best[side], "work": w.info["work"]})
            worst = max(best["new"][c] / best["old"][c] for c in CASES)
            print(f"round {r + 1}/{args.rounds} ({first} first): largest new/old {worst:.2f}",
                  flush=True)
    finally:
        shutil.rmtree(libdir, ignore_errors=True)

    rows, medians, notes = [], {}, []
    for c in CASES:
        ratios = [n["times"][c] / o["times"][c] for o, n in zip(runs["old"], runs["new"])]
        t_old = min(o["times"][c] for o in runs["old"])
        t_new = min(n["times"][c] for n in runs["new"])
        medians[c] = statistics.median(ratios)
        w_old = {o["work"][c] for o in runs["old"]}
        w_new = {n["work"][c] for n in runs["new"]}
        if w_old == w_new and len(w_old) == 1:
            work = w_old.pop()
        else:
            work = f"old {' | '.join(sorted(w_old))}; new {' | '.join(sorted(w_new))} *"
            notes.append(f"* {c}: the builds do different work; the ratio compares it too")
        rows.append((c, work, calls[c], t_old, t_new, t_new / t_old, medians[c],
                     f"{_quantile(ratios, 0.25):.2f}-{_quantile(ratios, 0.75):.2f}"))
    worst_case = max(medians, key=medians.get)
    before = []
    for side in ("old", "new"):
        i = info[side]
        before.append(f"{side}: {i['python']} (fastnewton in {i['fastnewton']}; "
                      f"numpy {i['numpy']}, scipy {i['scipy']})")
    o, n = info["old"], info["new"]
    if (o["numpy"], o["scipy"]) != (n["numpy"], n["scipy"]):
        before.append("note: numpy/scipy versions differ between the sides")
    if o["fastnewton"] == n["fastnewton"]:
        before.append("note: both sides import the same fastnewton installation")
    blas = os.environ.get(BLAS_ENV)
    before.append(f"{args.rounds} rounds, each a fresh old and new worker; per round and case "
                  f"{args.repeats} loops of ~{args.loop_ms:g} ms on each side, alternating "
                  "old/new loop by loop, the fastest loop counting; BLAS threads: "
                  + ("default, " + BLAS_ENV + " unset" if blas is None
                     else f"{BLAS_ENV}={blas}")
                  + f"; {time.perf_counter() - t_start:.0f} s in all")
    write_table(
        _Out(), "fastnewton speed, new build / old build (per call)",
        ("case", "work", "calls/loop", "old min", "new min", "min/min", "ratio median",
         "ratio IQR"),
        rows, align="<<>>>>>>",
        formats=(None, None, "d", fmt_time, fmt_time, ".2f", ".2f", None),
        notes_before=before,
        notes_after=["ratio median: the median over rounds of new / old within a round (the "
                     "figure to judge); old/new min: each side's fastest over all rounds"]
        + notes)
    print(f"max ratio {medians[worst_case]:.2f} (target <= {TARGET:.2f}; {worst_case})")
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--old", help="python of the reference build")
    p.add_argument("--new", help="python of the build under test")
    p.add_argument("--rounds", type=int, default=15,
                   help="rounds, each with a fresh old and new worker (15)")
    p.add_argument("--repeats", type=int, default=41,
                   help="timed loops per case and side in each round; the fastest counts (41)")
    p.add_argument("--loop-ms", type=float, default=3.0,
                   help="length of one timed loop, milliseconds (3)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--libdir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    if not (args.old and args.new):
        p.error("--old and --new are required")
    if args.rounds < 1 or args.repeats < 1:
        p.error("--rounds and --repeats must be >= 1")
    return driver(args)


if __name__ == "__main__":
    sys.exit(main())
