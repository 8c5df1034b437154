"""Every chapter: named ``chapters/NN_section/MM_topic.py``, headed ``# Chapter N.M: ...`` (unique), a
jupytext percent notebook ending with a summary and exercises, and it runs top to bottom in quick mode
as a plain script, writing its figures. What a chapter claims it checks itself, with ``assert``.

Every exercise is solved once: ``tests/exercise_solutions/<section>/<topic>.py`` holds one block per exercise,
headed ``# Exercise N``, kept out of the student's view. It runs after the chapter, in the chapter's own
namespace (the same process, quick mode), and asserts what the exercise says a correct answer finds, so an
exercise that cannot be passed fails the suite."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

from mmjax.utils import results
from mmjax.utils.chapter import records_dir

REPO = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((REPO / "chapters").glob("*/*.py"))
SOLUTIONS = REPO / "tests" / "exercise_solutions"
NAME = re.compile(r"^(\d{2})_[a-z0-9_]+/(\d{2})_[a-z0-9_]+\.py$")
HEADING = re.compile(r"^# # Chapter (\d+)\.(\d+): \S", re.MULTILINE)
WITH_EXPECTED = [path for path in CHAPTERS if results.expected_table(path.read_text())]


def chapter_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_chapters_exist_with_unique_headings():
    assert len(CHAPTERS) >= 15
    headings = [HEADING.search(path.read_text()) for path in CHAPTERS]
    assert all(headings), [chapter_id(p) for p, h in zip(CHAPTERS, headings) if not h]
    numbers = [h.groups() for h in headings]
    assert len(set(numbers)) == len(numbers), numbers


@pytest.mark.parametrize("path", CHAPTERS, ids=chapter_id)
def test_chapter_is_named_numbered_and_a_percent_notebook(path):
    match = NAME.match(chapter_id(path))
    assert match, f"{chapter_id(path)} is not chapters/NN_section/MM_topic.py"
    section, number = (int(g) for g in match.groups())
    assert HEADING.search(path.read_text()).groups() == (str(section), str(number)), "heading must match the file name"
    notebook = jupytext.read(path, fmt="py:percent")
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds[0] == "markdown" and "code" in kinds and kinds.count("markdown") >= 3
    last_markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"][-1]
    assert "Summary" in last_markdown and "Exercises" in last_markdown


def exercises_of(path: Path) -> list[int]:
    """The numbers of the exercises listed in a chapter's last markdown cell (its Summary and Exercises)."""
    last = [cell.source for cell in jupytext.read(path, fmt="py:percent").cells if cell.cell_type == "markdown"][-1]
    exercises = last[last.index("Exercises") :]
    return [int(n) for n in re.findall(r"^(\d+)\. ", exercises.split("## Expected results")[0], re.MULTILINE)]


def solution_file(path: Path) -> Path:
    return SOLUTIONS / path.parent.name / path.name


@pytest.mark.parametrize("path", CHAPTERS, ids=chapter_id)
def test_every_exercise_has_a_solution_block(path):
    listed = exercises_of(path)
    assert listed, f"{chapter_id(path)} lists no exercises"
    assert solution_file(path).is_file(), f"no solutions in {solution_file(path).relative_to(REPO)}"
    solved = [int(n) for n in re.findall(r"^# Exercise (\d+)\b", solution_file(path).read_text(), re.MULTILINE)]
    assert solved == listed, f"{chapter_id(path)}: exercises {listed}, solution blocks {solved}"


@pytest.mark.slow  # every chapter trains, samples or compiles something: 5-40 s each on 2 cores
@pytest.mark.parametrize("path", CHAPTERS, ids=chapter_id)
def test_chapter_runs_in_quick_mode_and_writes_figures(path, tmp_path):
    """The chapter as a reader runs it, then its exercises solved in its namespace (one process, quick mode)."""
    env = {**os.environ, "MMJAX_QUICK": "1", "MMJAX_OUT": str(tmp_path), "MPLBACKEND": "Agg", "JAX_PLATFORMS": "cpu"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), str(SOLUTIONS), env.get("PYTHONPATH")]))
    script = tmp_path / path.name
    solutions = solution_file(path).read_text() if solution_file(path).is_file() else ""
    script.write_text(path.read_text() + "\n\n# %% exercise solutions (tests/exercise_solutions)\n" + solutions)
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"{chapter_id(path)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    figures = sorted((tmp_path / path.parent.name).glob("*.png"))
    assert figures, f"{chapter_id(path)} wrote no figure"
    small = [f.name for f in figures if f.stat().st_size < 1000]
    assert not small, f"empty-looking figures: {small}"


@pytest.mark.parametrize("path", WITH_EXPECTED, ids=chapter_id)
def test_expected_results_hold_in_the_committed_full_run(path):
    """The full column of the Expected results table, and every number the prose quotes next to a figure's
    name, agree with the committed full-run record (``mmjax chapters verify PATH --record`` makes it)."""
    source = path.read_text()
    table = results.expected_table(source)
    record_file = records_dir(path) / f"{path.stem}.json"
    assert record_file.is_file(), f"no full-run record; run `mmjax chapters verify {chapter_id(path)} --record`"
    record = json.loads(record_file.read_text())
    assert record["mode"] == "full"
    failed = [row for row in results.check(record["values"], table, "full") if row["status"].startswith("FAIL")]
    assert not failed, failed
    for name, number, line in results.prose_quotes(source):
        band = table[name]["full"]
        assert band is None or band.holds(number), f"prose quotes {name} = {number} outside {band.text}: {line}"


def test_syllabus_lists_every_chapter_with_its_times():
    """chapters/README.md names the source text and has a row with quick and full times for every chapter."""
    syllabus = (REPO / "chapters" / "README.md").read_text()
    assert "多模态生成(Multimodal Generation) - 原理与代码实例讲解" in syllabus
    for path in CHAPTERS:
        number = ".".join(HEADING.search(path.read_text()).groups())
        row = re.search(rf"^\| {re.escape(number)} \|[^|]+\| (\d+) \| (\d+)", syllabus, re.MULTILINE)
        assert row, f"chapters/README.md has no timing row for chapter {number} ({chapter_id(path)})"


def test_syllabus_gives_every_chapter_its_learning_outcomes():
    """chapters/README.md says what a student can do after each chapter."""
    syllabus = (REPO / "chapters" / "README.md").read_text()
    section = syllabus[syllabus.index("## Learning outcomes") :].split("\n## ")[0]
    for path in CHAPTERS:
        number = ".".join(HEADING.search(path.read_text()).groups())
        row = re.search(rf"^\| {re.escape(number)} \| (.+) \|$", section, re.MULTILINE)
        assert row and len(row.group(1).split()) >= 8, (
            f"no learning outcomes for chapter {number} in chapters/README.md"
        )
