"""Command line: ``python -m fastnewton demo`` (the main job) and ``selfcheck``."""
import sys


def selfcheck():
    """Check each compiled kernel against NumPy on a small problem and say what was done."""
    import importlib.machinery

    import numpy as np

    from . import _linalg
    from .linalg import cho_solve_inplace, modified_cholesky

    ext = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    if not _linalg.__file__.endswith(ext):
        raise SystemExit(f"fastnewton._linalg is not a compiled extension: {_linalg.__file__}")
    rng = np.random.default_rng(0)
    n = 50
    m = rng.standard_normal((n, n))
    a = m @ m.T + n * np.eye(n)
    b = rng.standard_normal(n)
    x = cho_solve_inplace(a.copy(), b.copy())
    err = np.linalg.norm(a @ x - b) / np.linalg.norm(b)
    print(f"cho_solve_inplace   n={n}: relative residual {err:.1e}")
    ind = a - 2 * n * np.eye(n)
    f = ind.copy()
    tau = modified_cholesky(f)
    lo = np.tril(f)
    err2 = np.abs(lo @ lo.T - ind - tau * np.eye(n)).max() / np.abs(ind).max()
    print(f"modified_cholesky   n={n}: indefinite input, tau={tau:.3g}, "
          f"|L L^T - (A + tau I)| / |A| = {err2:.1e}")
    if not (err < 1e-10 and err2 < 1e-12 and tau > 0):
        raise SystemExit("selfcheck FAILED")
    print("selfcheck passed")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    cmd = argv[0] if argv else "demo"
    if cmd == "selfcheck":
        selfcheck()
    elif cmd == "demo":
        from ._demo import run
        run(argv[1:])
    else:
        raise SystemExit(f"usage: python -m fastnewton [demo|selfcheck], got {cmd!r}")


if __name__ == "__main__":
    main()
