"""The README's code runs as written: every ```python block in a fresh interpreter, in a
folder where its ```c blocks (those starting with a ``/* name.c */`` line) were compiled
into ``name.so``; the C signatures it quotes are the ones in csrc/fastnewton.h.

The numba block runs where numba imports (CI installs the ``numba`` extra)."""
import os
import re
import subprocess
import sys

import pytest

from _support import compile_shared

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(REPO_ROOT, "README.md"), encoding="utf-8") as _fh:
    README = _fh.read()
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```$", README, flags=re.M | re.S)
PYTHON = [code for lang, code in BLOCKS if lang == "python"]
C_SOURCES = {m.group(1): code for lang, code in BLOCKS if lang == "c"
             for m in [re.match(r"/\* (\w+\.c) \*/\n", code)] if m}


def test_blocks_found():
    assert len(PYTHON) >= 3 and "rosen.c" in C_SOURCES


def test_c_signatures_are_the_headers():
    with open(os.path.join(REPO_ROOT, "csrc", "fastnewton.h"), encoding="utf-8") as fh:
        header = fh.read()
    quoted = [code for lang, code in BLOCKS if lang == "c" and "typedef" in code]
    assert quoted
    for code in quoted:
        assert code.strip() in header


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder holding the README's C sources, compiled as the README says."""
    d = tmp_path_factory.mktemp("readme")
    for name, code in C_SOURCES.items():
        (d / name).write_text(code)
        compile_shared(d, str(d / name))
    return d


@pytest.mark.parametrize("index", range(len(PYTHON)))
def test_python_block_runs(index, workdir):
    code = PYTHON[index]
    if re.search(r"^(from|import) numba", code, flags=re.M):
        pytest.importorskip("numba")
    proc = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, f"README python block {index}:\n{code}\n{proc.stderr}"
