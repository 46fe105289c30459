"""Public strong-Wolfe line search: a drop-in for ``scipy.optimize.line_search``.

The function itself is compiled (fastnewton/_linesearch.pyx), checks and all: per search,
the Python layer's cost is a large share of the total at small n.
"""
from ._linesearch import LineSearchWarning, check_wolfe_params, line_search

__all__ = ["line_search", "LineSearchWarning", "check_wolfe_params"]
