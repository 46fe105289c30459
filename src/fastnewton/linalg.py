"""In-place Cholesky solves and the modified Cholesky factorization.

Thin validated wrappers over the compiled kernels in ``fastnewton._linalg`` (the ones the
Newton solver calls without the GIL). Both functions work **in place**: no copy of the
matrix or the right-hand side is made, which is why they accept only float64 arrays that are
C- or Fortran-contiguous (a copy would silently lose the results).

Triangles: only the *lower* triangle of ``a`` (``a[i, j]`` with ``i >= j``, in the array's own
indexing, whatever its memory order) is read, and on return it holds the factor ``L`` with
``A = L @ L.T``.

``sparse_modified_cholesky`` is the sparse counterpart of ``modified_cholesky`` for a symmetric
``scipy.sparse`` matrix: a nested-dissection ordering, a supernodal symbolic analysis and a
multifrontal factorization over BLAS-3 (``fastnewton._sparse_chol``), with the same shift rule.
It does not work in place: it returns a factor object with ``solve``.
"""
import numpy as np

from . import _colouring, _linalg, _sparse_chol
from ._validate import real_number

__all__ = ["cho_solve_inplace", "modified_cholesky", "sparse_modified_cholesky",
           "SparseCholesky"]


def _check_matrix(a, name="a"):
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{name} must be a numpy.ndarray (it is changed in place), "
                         f"got {type(a).__name__}")
    if a.dtype != np.float64:
        raise ValueError(f"{name} must have dtype float64 to be changed in place, got {a.dtype}")
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"{name} must be a square 2-D array, got shape {a.shape}")
    if not a.flags.writeable:
        raise ValueError(f"{name} must be writeable (it is changed in place)")
    if a.flags.c_contiguous:
        fortran = False
        view = a
    elif a.flags.f_contiguous:
        fortran = True
        view = a.T
    else:
        raise ValueError(f"{name} must be C- or Fortran-contiguous to be changed in place")
    if not _linalg._all_finite(view.reshape(-1)):
        raise ValueError(f"{name} holds NaN or Inf")
    return view, fortran


def cho_solve_inplace(a, b):
    """Solve ``A x = b`` for symmetric positive definite ``A``, overwriting ``a`` and ``b``.

    Parameters
    ----------
    a : ndarray, shape (n, n), float64, C- or Fortran-contiguous
        The matrix; its lower triangle is read. On return the lower triangle holds the
        Cholesky factor ``L`` (``A = L L^T``); the strict upper triangle is untouched.
    b : ndarray, shape (n,) or (n, k), float64, contiguous
        Right-hand side(s); overwritten by the solution.

    Returns
    -------
    x : ndarray
        ``b`` itself, now holding the solution.

    Raises
    ------
    ValueError
        For a non-square, non-contiguous, non-float64, read-only or non-finite input, a ``b``
        whose first dimension is not n, or that shares memory with ``a``.
    numpy.linalg.LinAlgError
        If ``A`` is not positive definite (the leading minor of the reported order is not).
        ``b`` is then unchanged, but the lower triangle of ``a`` is partly overwritten.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnewton.linalg import cho_solve_inplace
    >>> a = np.array([[4.0, 2.0], [2.0, 3.0]]); b = np.array([2.0, 1.0])
    >>> cho_solve_inplace(a, b)
    array([0.5, 0. ])
    """
    view, fortran = _check_matrix(a)
    n = a.shape[0]
    if not isinstance(b, np.ndarray) or b.dtype != np.float64:
        raise ValueError("b must be a float64 numpy.ndarray (it is changed in place), got "
                         f"{getattr(b, 'dtype', type(b).__name__)}")
    if b.ndim not in (1, 2) or b.shape[0] != n:
        raise ValueError(f"b must have shape ({n},) or ({n}, k) to match a, got {b.shape}")
    if not b.flags.writeable:
        raise ValueError("b must be writeable (it is changed in place)")
    if np.shares_memory(a, b):
        raise ValueError("b must not share memory with a")
    if b.ndim == 1:
        if not b.flags.c_contiguous:
            raise ValueError("b must be contiguous to be changed in place")
        bview, rows = b.reshape(1, n), False
    elif b.flags.f_contiguous:
        bview, rows = b.T, False
    elif b.flags.c_contiguous:
        bview, rows = b, True
    else:
        raise ValueError("b must be C- or Fortran-contiguous to be changed in place")
    if not _linalg._all_finite(bview.reshape(-1)):
        raise ValueError("b holds NaN or Inf")
    info = _linalg._cho_solve_inplace(view, bview, fortran, rows)
    if info > 0:
        raise np.linalg.LinAlgError(
            f"a is not positive definite: its leading minor of order {info} is not")
    if info < 0:  # pragma: no cover - arguments are validated above
        raise RuntimeError(f"LAPACK rejected argument {-info}")
    return b


def _check_beta(beta):
    """The modified factorizations' beta: a finite number > 0."""
    beta = real_number(beta, "beta")
    if not np.isfinite(beta):
        raise ValueError(f"beta must be finite, got {beta}")
    if not beta > 0.0:
        raise ValueError(f"beta must be > 0, got {beta}")
    return beta


_TOO_LARGE = ("beta={beta!r} is too large for this matrix: the shift tau overflows (it would "
              "be inf) before A + tau I factors; use a smaller beta (or a smaller A)")


def modified_cholesky(a, beta=1e-3):
    """Cholesky factor of ``A + tau I`` in place, with the smallest sufficient shift ``tau``.

    Nocedal & Wright, *Numerical Optimization*, Alg. 3.3: ``tau`` starts at 0 if every
    diagonal entry is positive, else at ``-min(diag) + beta_s``, and doubles (at least to
    ``beta_s``) until the factorization succeeds; ``beta_s = beta * max(max|a_ii|, ||A||_F / n)``
    (``beta`` for ``A = 0``) scales the shift to the matrix.

    Parameters
    ----------
    a : ndarray, shape (n, n), float64, C- or Fortran-contiguous
        Symmetric matrix; its lower triangle is read. On return the lower triangle holds
        ``L`` with ``A + tau I = L L^T`` and the strict upper triangle holds the transpose of
        A's original strict lower triangle (so a symmetric input keeps its upper triangle).
    beta : float, optional
        Relative size of the smallest non-zero shift: finite and > 0 (0 could never move
        tau off 0 for an indefinite A with a positive diagonal).

    Returns
    -------
    tau : float
        The shift used; 0.0 when ``A`` is positive definite. Always finite.

    Raises
    ------
    ValueError
        For a bad ``a`` (as `cho_solve_inplace`), a beta that is not a finite number > 0, or
        a beta (or an A) so large that the shift overflows before a factorization succeeds:
        tau would be inf (A + inf I), which is refused rather than capped; ``a`` is then
        unchanged.
    """
    view, fortran = _check_matrix(a)
    beta = _check_beta(beta)
    # The kernel mirrors A's lower triangle into the upper one before its first attempt, and
    # only a shift that overflows ends in -2 after that: tau <= max|a_ij| + beta_s 2^k with
    # beta_s <= beta max(max|a_ij|, 1) and k <= 200 (2^200 ~ 1.6e60), so a copy is kept (and
    # a restored on that error, whatever its upper triangle held) only when that can pass
    # the largest double
    amax = max(float(np.max(a, initial=1.0)), -float(np.min(a, initial=0.0)))
    backup = a.copy() if amax > 1e300 or beta * amax > 1e240 else None
    info, tau = _linalg._modified_cholesky(view, fortran, beta)
    if info == -2:
        if backup is not None:
            a[...] = backup
        raise ValueError(_TOO_LARGE.format(beta=beta))
    if info != 0:  # pragma: no cover - only non-finite input can exhaust the shifts
        raise np.linalg.LinAlgError("modified Cholesky found no positive definite shift")
    return tau


class SparseCholesky:
    """The factor ``P (A + tau I) P^T = L L^T`` made by `sparse_modified_cholesky`.

    Made by `sparse_modified_cholesky`, not by hand.

    Parameters
    ----------
    plan : fastnewton._sparse_chol.SparsePlan
        The ordering and symbolic analysis of A's pattern.
    work : ndarray of float64
        The numeric factor (the plan's ``factor_size`` doubles).
    tau : float
        The shift that made A + tau I positive definite.

    Attributes
    ----------
    tau : float
        The shift used (0.0 when ``A`` is positive definite).
    nnz : int
        Nonzeros of ``L`` (diagonal included; the supernodal storage holds a few more).
    perm : ndarray of int
        The elimination order: ``perm[k]`` is the index of ``A``'s row eliminated k-th.
    plan : fastnewton._sparse_chol.SparsePlan
        The ordering and symbolic analysis (reusable for another matrix with the same pattern).
    """

    def __init__(self, plan, work, tau):
        self.plan = plan
        self._work = work
        self.tau = float(tau)
        self.nnz = int(plan.nnz_l)
        self.perm = np.asarray(plan.perm).copy()

    def solve(self, b):
        """``(A + tau I)^{-1} b`` as a new float64 array.

        Parameters
        ----------
        b : array_like, shape (n,) or (n, k)
            The right-hand side(s): finite; never modified.

        Returns
        -------
        ndarray of float64, the shape of b
            The solution.
        """
        n = self.plan.n
        x = np.array(b, dtype=np.float64, order="F", copy=True)
        if x.ndim not in (1, 2) or x.shape[0] != n:
            raise ValueError(f"b must have shape ({n},) or ({n}, k), got {np.shape(b)}")
        if not np.all(np.isfinite(x)):
            raise ValueError("b holds NaN or Inf")
        scratch = np.empty(self.plan.solve_scratch)
        columns = [x] if x.ndim == 1 else [x[:, j] for j in range(x.shape[1])]
        for col in columns:
            _sparse_chol._solve(self.plan, self._work, col, scratch)
        return x


def _sparse_values(A, name="A"):
    """A's pattern (symmetric closure with the diagonal, as _colouring._pattern) and its values
    in that CSR layout (entries of A summed, explicit zeros elsewhere)."""
    import scipy.sparse as sp
    if not sp.issparse(A):
        raise ValueError(f"{name} must be a scipy.sparse matrix or array, got {type(A).__name__}")
    if len(A.shape) != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise ValueError(f"{name} must be a square n x n sparse matrix with n >= 1, "
                         f"got shape {A.shape}")
    if not (np.issubdtype(A.dtype, np.floating) or np.issubdtype(A.dtype, np.integer)
            or A.dtype == bool):
        raise ValueError(f"{name} must hold real numbers, got dtype {A.dtype}")
    C = sp.coo_matrix(A)
    data = np.asarray(C.data, dtype=np.float64)
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{name} holds NaN or Inf")
    indptr, indices = _colouring._pattern(A, name=name)
    n = A.shape[0]
    # CSR keys row * n + col are sorted: each stored entry of A finds its slot
    keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr)) * n + indices
    pos = np.searchsorted(keys, C.row.astype(np.int64) * n + C.col)
    hval = np.bincount(pos, weights=data, minlength=keys.shape[0]).astype(np.float64)
    return indptr, indices, hval


def sparse_modified_cholesky(A, beta=1e-3):
    """Sparse Cholesky factor of ``A + tau I``, with the smallest sufficient shift ``tau``.

    The shift rule is `modified_cholesky`'s (Nocedal & Wright, Alg. 3.3; the same sequence of
    shifts, so the same ``tau`` up to rounding in ``||A||_F``). The matrix is ordered by nested
    dissection and factored by a supernodal multifrontal method (``fastnewton._sparse_chol``).

    Parameters
    ----------
    A : scipy.sparse matrix or array, shape (n, n), real
        Symmetric matrix; only its lower triangle (``A[i, j]`` with ``i >= j``) is read. It is
        not changed.
    beta : float, optional
        Relative size of the smallest non-zero shift: finite and > 0.

    Returns
    -------
    SparseCholesky
        With ``solve(b)``, ``tau``, ``nnz`` (nonzeros of L) and ``perm``.

    Raises
    ------
    ValueError
        For an ``A`` that is not a square real scipy.sparse matrix, holds NaN or Inf, or has
        n = 0; a beta that is not a finite number > 0; or a beta (or an A) so large that the
        shift overflows before a factorization succeeds.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from fastnewton.linalg import sparse_modified_cholesky
    >>> A = sp.diags([[-1.0] * 3, [2.0] * 4, [-1.0] * 3], [-1, 0, 1])
    >>> f = sparse_modified_cholesky(A)
    >>> f.tau, np.allclose(A @ f.solve(np.ones(4)), 1.0)
    (0.0, True)
    """
    indptr, indices, hval = _sparse_values(A)
    beta = _check_beta(beta)
    plan = _sparse_chol.analyse(indptr, indices)
    work = np.empty(plan.factor_size)
    info, tau = _sparse_chol._modified(plan, hval, beta, work)
    if info == -2:
        raise ValueError(_TOO_LARGE.format(beta=beta))
    if info != 0:  # pragma: no cover - only non-finite input can exhaust the shifts
        raise np.linalg.LinAlgError("modified Cholesky found no positive definite shift")
    return SparseCholesky(plan, work, tau)
