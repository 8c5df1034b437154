"""Every chapter script is a jupytext percent notebook: prose and code cells, ending with exercises."""

from pathlib import Path

import jupytext
import pytest

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "chapters").glob("*/*.py"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_chapter_is_a_percent_notebook_with_summary_and_exercises(path):
    notebook = jupytext.read(path, fmt="py:percent")
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds[0] == "markdown" and "code" in kinds and kinds.count("markdown") >= 3
    last_markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"][-1]
    assert "Summary" in last_markdown and "Exercises" in last_markdown
