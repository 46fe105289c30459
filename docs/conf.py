"""Sphinx configuration for fastnewton's API reference.

Built against the INSTALLED package (nothing here puts the source tree on sys.path, so the
compiled kernels' docstrings are the ones documented):

    pip install ".[docs]"
    python -m sphinx -W -b html docs docs/_build/html
"""
import fastnewton

project = "fastnewton"
author = "fastnewton developers"
copyright = "2026, fastnewton developers"
release = version = fastnewton.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
]

exclude_patterns = ["_build"]
source_suffix = {".rst": "restructuredtext"}   # the .md pages are read on GitHub, not built
root_doc = "index"

autosummary_generate = False      # the API page lists its entries itself: no generated stubs
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Docstring checks that -W turns into errors: every parameter documented and no unknown one,
# a Returns section for functions that return something.
numpydoc_validation_checks = {"PR01", "PR02", "PR03", "RT01"}

html_theme = "alabaster"
html_static_path = []
