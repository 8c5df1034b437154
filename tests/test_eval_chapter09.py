"""Chapter 09 (FAQ question 2) runs in quick mode and writes its figures."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_chapter_09_runs_quickly_and_writes_figures(tmp_path):
    env = {**os.environ, "MMJAX_QUICK": "1", "MMJAX_OUT": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "chapters/09_faq/q2_evaluation.py")], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("samples.png", "metrics.png", "captions.png"):
        assert (tmp_path / name).stat().st_size > 1000, name
    assert "shapes_fid" in result.stdout
