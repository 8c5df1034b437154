"""The README's two set-up commands are the ones CI and users run."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _bash_blocks():
    return re.findall(r"```bash\n(.*?)\n```", (REPO / "README.md").read_text(), flags=re.S)


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    setup = [b for b in _bash_blocks() if "pip install" in b]
    assert len(setup) == 2, setup
    main_job, tests = setup
    assert "mmjax demo" in main_job or "mmjax data preview" in main_job
    assert "pytest" in tests
    assert tests in (REPO / ".ci" / "run").read_text()


def test_readme_names_every_task_in_its_task_list():
    from mmjax.train.registry import available_tasks

    text = " ".join((REPO / "README.md").read_text().split())
    listed = re.search(r"The tasks: ([^.]*)\.", text)
    assert listed, "the README lists the tasks after 'The tasks:'"
    assert sorted(re.findall(r"`(\w+)`", listed[1])) == available_tasks()


def test_readme_chapter_table_has_a_row_for_every_chapter_folder():
    folders = sorted(p.name for p in (REPO / "chapters").iterdir() if p.is_dir() and re.match(r"\d\d_", p.name))
    rows = re.findall(r"^\| `chapters/(\d\d_\w+)/` \|", (REPO / "README.md").read_text(), flags=re.M)
    assert rows == folders
