"""Chapters as Jupyter notebooks: ``mmjax chapters notebooks --out DIR`` writes one ``.ipynb`` per chapter.

A chapter is a jupytext percent script, so the notebook is the same cells with the outputs cleared, plus one
first cell that installs mmjax where the kernel lacks it (a hosted notebook such as Colab starts without it).
The chapter names itself (``Chapter("NN_section/MM_topic")``), so the notebook needs no ``__file__`` and runs
from any working directory; its figures are shown inline by ``mmjax.utils.figures.save``.
"""

from __future__ import annotations

from pathlib import Path

INSTALL_CELL = """# Installs mmjax where the kernel lacks it (a hosted notebook); where it is installed, does nothing.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("mmjax") is None:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", {spec!r}])"""


def _jupytext():
    try:
        import jupytext
    except ImportError as error:  # the notebook tools are an extra: the library itself does not need them
        raise ValueError(
            'writing notebooks needs jupytext: pip install "mmjax[notebooks]" (or jupytext itself)'
        ) from error
    return jupytext


def chapter_notebook(path: str | Path, install: str):
    """The notebook of one chapter script: its cells, outputs cleared, after a cell that pip-installs ``install``
    (a path, a wheel or a ``git+https://`` address of mmjax) where mmjax is missing."""
    jupytext = _jupytext()
    from nbformat.v4 import new_code_cell

    notebook = jupytext.read(Path(path), fmt="py:percent")
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.cells.insert(0, new_code_cell(INSTALL_CELL.format(spec=install)))
    notebook.metadata.pop("jupytext", None)  # a plain notebook, not one paired with the script
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def write_notebooks(chapters: list[Path], out: str | Path, install: str) -> list[Path]:
    """Write ``<out>/<section>/<topic>.ipynb`` for every chapter script; returns the files written."""
    jupytext = _jupytext()
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a folder for the notebooks")
    written = []
    for path in chapters:
        target = out / path.parent.name / f"{path.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(chapter_notebook(path, install), target, fmt="ipynb")
        written.append(target)
    return written
