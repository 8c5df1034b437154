"""Chapter 07 (tools) runs in quick mode and writes its figures.

All five scripts run in one subprocess (one JAX start-up instead of five), each as ``__main__`` via
``runpy``, with 8 fake CPU devices so the data-parallel page has something to split over.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "07_tools"
RUNNER = """
import runpy, sys
for path in sys.argv[1:]:
    print("=== " + path, flush=True)
    runpy.run_path(path, run_name="__main__")
"""
FIGURES = ("optimisers.png", "tfds_batch.png", "curves.png", "compile_cost.png", "sharding.png")


def test_chapter_07_runs_quickly_and_writes_figures(tmp_path):
    scripts = sorted(str(p) for p in CHAPTER.glob("[0-9][0-9]_*.py"))
    assert len(scripts) == 5
    env = {**os.environ, "MMJAX_QUICK": "1", "MMJAX_OUT": str(tmp_path), "PYTHONPATH": str(ROOT),
           "XLA_FLAGS": "--xla_force_host_platform_device_count=8", "JAX_PLATFORMS": "cpu", "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-c", RUNNER, *scripts], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    for name in FIGURES:
        assert (tmp_path / "07_tools" / name).stat().st_size > 1000, name
    out = result.stdout
    assert "bit-identical parameters and optimiser state: True" in out
    assert "NonFiniteError: non-finite values (NaN or inf) at step 7 in: state['params']['hidden']['kernel']" in out
    assert "all-reduce ops in the compiled program: " in out and "compiled program: 0" not in out
