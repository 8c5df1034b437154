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
