"""Every chapter as a reader opens it in Jupyter: written by ``mmjax chapters notebooks`` (install cell first,
outputs cleared), executed cell by cell in a real IPython kernel (nbclient) in quick mode, from a working
directory outside the clone, with no ``__file__``; where the chapter draws, its figures appear inline."""

import json
import os
from pathlib import Path

import pytest

from mmjax.cli import main

nbclient = pytest.importorskip("nbclient", reason="nbclient is a dev dependency")

REPO = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((REPO / "chapters").glob("*/*.py"))


def chapter_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_notebooks_are_written_with_an_install_cell_and_no_outputs(tmp_path, capsys):
    assert main(["chapters", "notebooks", "--out", str(tmp_path / "nb"), "--install", "mmjax-wheel.whl"]) == 0
    written = sorted((tmp_path / "nb").glob("*/*.ipynb"))
    assert [f"{p.parent.name}/{p.stem}" for p in written] == [f"{p.parent.name}/{p.stem}" for p in CHAPTERS]
    notebook = json.loads(written[0].read_text())
    first = "".join(notebook["cells"][0]["source"])
    assert notebook["cells"][0]["cell_type"] == "code" and "'mmjax-wheel.whl'" in first
    assert 'find_spec("mmjax") is None' in first
    title = notebook["cells"][1]
    assert title["cell_type"] == "markdown" and "# Chapter 1.1" in "".join(title["source"])
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert "__file__" not in "".join("".join(cell["source"]) for cell in notebook["cells"])


def test_notebooks_refuse_a_file_as_the_output_folder(tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    assert main(["chapters", "notebooks", "--out", str(tmp_path / "taken")]) == 2
    assert "is a file" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("path", CHAPTERS, ids=chapter_id)
def test_chapter_runs_as_a_notebook_with_inline_figures(path, tmp_path, monkeypatch):
    import nbformat

    from mmjax.utils.notebooks import chapter_notebook

    notebook = chapter_notebook(path, install=str(REPO))
    work = tmp_path / "elsewhere"  # a working directory outside the clone, as a reader's notebook folder
    work.mkdir()
    for name, value in {"MMJAX_QUICK": "1", "MMJAX_OUT": str(tmp_path / "out"), "JAX_PLATFORMS": "cpu"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's own inline backend, as in Jupyter
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    client = nbclient.NotebookClient(
        nbformat.from_dict(notebook), timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if any cell fails
    outputs = [output for cell in client.nb.cells if cell.cell_type == "code" for output in cell.outputs]
    inline = [output for output in outputs if "image/png" in output.get("data", {})]
    assert inline, f"{chapter_id(path)} drew no inline figure"
    assert not list(work.iterdir()), "a chapter wrote into the notebook's folder instead of MMJAX_OUT"
