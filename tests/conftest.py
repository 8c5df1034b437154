"""Shared fixtures: running chapter scripts the way a reader does, in quick mode."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_chapter(tmp_path):
    """Run ``chapters/<relative path>`` as a plain script with MMJAX_QUICK=1; return its output folder."""

    def run(relative_path: str, timeout: float = 300) -> Path:
        env = {**os.environ, "MMJAX_QUICK": "1", "MMJAX_OUT": str(tmp_path), "MPLBACKEND": "Agg"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        result = subprocess.run(
            [sys.executable, str(REPO / "chapters" / relative_path)],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout,
        )
        assert result.returncode == 0, f"{relative_path} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return tmp_path

    return run
