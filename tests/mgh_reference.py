"""The MGH regression reference: 66 problem instances x 4 methods, and what each solve gave.

The instances are those of ``fastnewton.testing``: every problem at its standard n (36), and
every variable-dimension problem that accepts them also at n = 60 and n = 200 (15 of the 16;
``watson`` allows n <= 31), 36 + 2 * 15 = 66. Each is solved by ``minimize`` with methods
newton, bfgs, lbfgs and sr1, its Python objective and analytic gradient, default options (so
Newton takes finite-difference Hessians with the 'auto' band). For each solve the reference
keeps status, nit, nfev, njev, the final f and x.

Exact counts depend on rounding, and rounding depends on the BLAS kernel OpenBLAS picks for
the CPU (``OPENBLAS_CORETYPE``: SkylakeX, Haswell and Prescott round differently), so the
reference is recorded once under each kernel; a solve keeps a list of its distinct outcomes,
each with the kernels that produced it. ``tests/test_mgh_reference.py`` says how a new run is
compared with them.

Record (this replaces the outcomes of the kernel it runs under, and keeps the others; every
kernel with one build: NumPy's version and SIMD targets, SciPy's version and its OpenBLAS's,
which the file keeps; OpenBLAS reports
Prescott's kernel as "Katmai", the name the file uses)::

    for k in SkylakeX Haswell Prescott; do
        OPENBLAS_CORETYPE=$k python tests/mgh_reference.py --record
    done

``python tests/mgh_reference.py`` alone runs all 264 solves and prints those whose counts
differ from the ones recorded for this kernel (from every recorded one, under another kernel).
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

from fastnewton import minimize, testing

METHODS = ("newton", "bfgs", "lbfgs", "sr1")
EXTRA_N = (60, 200)
PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "mgh_reference.json")


# The instances whose solves take minutes rather than seconds (chebyquad's gradient costs
# O(n^2) in NumPy, and Newton's finite-difference Hessians take 2n of them): the test runs
# them only when asked to (FASTNEWTON_MGH_FULL=1); the recording and this script always do.
EXPENSIVE = {("chebyquad", 200): METHODS, ("chebyquad", 60): ("newton",)}


def cases():
    """The (name, n) instances: each problem at its standard n, then at each n of EXTRA_N
    that it accepts (``testing.get`` raises ValueError for the others)."""
    out = [(name, testing.get(name).n) for name in testing.NAMES]
    for n in EXTRA_N:
        for name in testing.NAMES:
            try:
                p = testing.get(name, n)
            except ValueError:
                continue
            if (name, p.n) not in out:
                out.append((name, p.n))
    return out


def key(name, n, method):
    return f"{name}/{n}/{method}"


def solve(name, n, method):
    """One solve's outcome: status, nit, nfev, njev, f and x (as lists of floats)."""
    p = testing.get(name, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # e.g. overflow inside a trial step's objective
        r = minimize(p.fun, p.x0, jac=p.grad, method=method)
    return {"status": int(r.status), "nit": int(r.nit), "nfev": int(r.nfev),
            "njev": int(r.njev), "fun": float(r.fun), "x": [float(v) for v in r.x]}


def x_spread(x, xref):
    """max_i |x_i - xref_i| / (1 + |xref_i|)."""
    x, xref = np.asarray(x), np.asarray(xref)
    return float(np.max(np.abs(x - xref) / (1.0 + np.abs(xref))))


def counts(outcome):
    return tuple(outcome[k] for k in ("status", "nit", "nfev", "njev"))


def blas_kernel():
    """The core type of the OpenBLAS that scipy.linalg's BLAS runs (e.g. 'SkylakeX'), or
    'unknown'."""
    import scipy.linalg  # noqa: F401  (loads SciPy's OpenBLAS before threadpoolctl looks)
    from threadpoolctl import threadpool_info

    for info in threadpool_info():
        if info.get("internal_api") == "openblas" and "scipy" in info.get("filepath", ""):
            return str(info.get("architecture") or "unknown")
    for info in threadpool_info():
        if info.get("internal_api") == "openblas":
            return str(info.get("architecture") or "unknown")
    return "unknown"


def build_env():
    """What else decides the rounding of a solve: NumPy's version and the SIMD targets its
    kernels dispatch to on this CPU (NumPy's own loops, e.g. exp or sum, round by them;
    OPENBLAS_CORETYPE does not change them), and SciPy's version with the version of the
    OpenBLAS it bundles (the kernels' BLAS and LAPACK)."""
    import scipy
    from threadpoolctl import threadpool_info
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
        simd = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    except ImportError:
        simd = ["unknown"]
    blas = sorted(str(i.get("version")) for i in threadpool_info()
                  if i.get("internal_api") == "openblas" and "scipy" in i.get("filepath", ""))
    return {"numpy": np.__version__, "simd": simd, "scipy": scipy.__version__,
            "scipy_openblas": blas}


def load(path=PATH):
    with open(path) as fh:
        return json.load(fh)


def record(path=PATH):
    kernel = blas_kernel()
    try:
        ref = load(path)
    except FileNotFoundError:
        ref = {"solves": {}, "kernels": [], "build": build_env()}
    if ref.get("build", build_env()) != build_env():
        sys.exit(f"the reference was recorded with {ref['build']}, this is "
                 f"{build_env()}: record every kernel with one build (delete {path} first)")
    ref["build"] = build_env()
    t0 = time.perf_counter()
    for name, n in cases():
        for method in METHODS:
            k = key(name, n, method)
            new = solve(name, n, method)
            outcomes = ref["solves"].setdefault(k, [])
            for o in outcomes:                  # this kernel's earlier record goes
                if kernel in o["kernels"]:
                    o["kernels"].remove(kernel)
            outcomes[:] = [o for o in outcomes if o["kernels"]]
            for o in outcomes:
                if counts(o) == counts(new):
                    o["kernels"].append(kernel)
                    # how far this kernel's x is from the recorded one (the same iteration
                    # counts, other rounding): the data behind the test's x tolerance
                    o["x_spread"] = max(o.get("x_spread", 0.0), x_spread(new["x"], o["x"]))
                    break
            else:
                new["kernels"] = [kernel]
                outcomes.append(new)
    ref["kernels"] = sorted(set(ref["kernels"]) | {kernel})
    ref["note"] = ("Recorded by tests/mgh_reference.py --record; one entry per distinct "
                   "(status, nit, nfev, njev), with the OpenBLAS core types that gave it and "
                   "the final f and x of the first of them.")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(ref, fh, indent=None, separators=(",", ":"), sort_keys=True)
        fh.write("\n")
    print(f"recorded {len(ref['solves'])} solves under {kernel} in "
          f"{time.perf_counter() - t0:.1f} s -> {path}")
    dep = kernel_dependent(ref)
    print(f"kernel-dependent solves ({len(dep)}): {', '.join(dep) or 'none'}")


def kernel_dependent(ref):
    """The solves whose counts differ between the recorded kernels."""
    return sorted(k for k, outs in ref["solves"].items() if len(outs) > 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--record", action="store_true",
                    help="record this kernel's outcomes into tests/data/mgh_reference.json")
    ns = ap.parse_args(argv)
    if ns.record:
        record()
        return 0
    ref = load()
    kernel = blas_kernel()
    bad = 0
    for name, n in cases():
        for method in METHODS:
            k = key(name, n, method)
            new = solve(name, n, method)
            mine = [o for o in ref["solves"][k] if kernel in o["kernels"]]
            if not any(counts(o) == counts(new) for o in (mine or ref["solves"][k])):
                bad += 1
                print(f"{k}: {counts(new)} not among "
                      f"{[(counts(o), o['kernels']) for o in ref['solves'][k]]}")
    print(f"{kernel}: {bad} of {len(ref['solves'])} solves differ in counts from the reference")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
