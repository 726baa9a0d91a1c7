"""The teaching notebooks run top to bottom, and are committed without outputs.

Each notebook executed here is written, with its outputs, to build/notebooks/ (git-ignored):
the documentation site (scripts/docs.sh, docs/site.md) is built from those copies, so the
test command executes every notebook once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Where each executed notebook is written, for scripts/docs.sh.
EXECUTED = ROOT / "build" / "notebooks"


def test_there_are_at_least_four_notebooks() -> None:
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stripped(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))  # plain JSON: needs no nbformat
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name}: clear the outputs"
            assert cell["execution_count"] is None, f"{path.name}: clear the execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws the PNGs
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    images = sum(1 for cell in notebook.cells if cell.cell_type == "code"
                 for output in cell.outputs if "image/png" in output.get("data", {}))
    assert images >= 1, f"{path.name} drew no picture"
    EXECUTED.mkdir(parents=True, exist_ok=True)
    partial = EXECUTED / f".{path.name}.partial"  # renamed at the end: never a half-written copy
    nbformat.write(notebook, partial)
    partial.replace(EXECUTED / path.name)
