"""One writer per run folder: the lock in-process, and two (then three) real ``mmjax train`` processes on one folder."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import jax
import numpy as np
import pytest

from mmjax.train import loop, restore
from mmjax.train.config import TrainConfig
from mmjax.train.metrics_log import read_metrics
from mmjax.train.run_lock import LOCK_NAME, RunFolderBusy, run_lock
from mmjax.train.toy.config import ToyConfig
from mmjax.train.toy.task import TASK as TOY

REPO = Path(__file__).resolve().parents[1]
STEPS, KEEP = 200, 3


def test_the_lock_is_reentrant_in_a_thread_and_refused_to_others(tmp_path):
    with run_lock(tmp_path / "run") as folder:
        note = json.loads((folder / LOCK_NAME).read_text())
        assert note["pid"] == os.getpid() and note["host"] and note["started"]
        with run_lock(tmp_path / "run"):  # the CLI takes it, then the loop takes it again
            pass
        errors = []
        other = threading.Thread(target=lambda: errors.append(_try(run_lock, tmp_path / "run")))
        other.start(), other.join()
        assert isinstance(errors[0], RunFolderBusy) and "another thread" in str(errors[0])
    with run_lock(tmp_path / "run"):  # released: free again
        pass


def _try(lock, path):
    try:
        with lock(path):
            return None
    except RunFolderBusy as error:
        return error


HOLD = """import sys
from mmjax.train.run_lock import run_lock
with run_lock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_holder_that_dies_releases_the_lock(tmp_path):
    """kill -9 leaves the lock file but not the lock: the kernel drops it with the process."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline() == "held\n"
    error = _try(run_lock, tmp_path)
    assert isinstance(error, RunFolderBusy) and f"pid {holder.pid} on " in str(error)
    holder.kill(), holder.wait()
    assert _try(run_lock, tmp_path) is None and (tmp_path / LOCK_NAME).exists()


def command(run_dir):
    return [sys.executable, "-m", "mmjax.cli", "train", "toy", "--steps", str(STEPS), "--run-dir", str(run_dir),
            "--checkpoint-every", "5", "--keep", str(KEEP), "--log-every", "10", "--sample-every", "-1",
            "--no-progress", "--num_train_examples", "40", "--batch_size", "8"]  # fmt: skip


def holder_pid(run_dir) -> int | None:
    try:
        return json.loads((run_dir / LOCK_NAME).read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return None


def records(run_dir):
    return [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(run_dir / "metrics.jsonl")]


@pytest.mark.slow
def test_processes_on_one_run_dir_one_trains_the_others_refuse(tmp_path):
    """Two started together: one wins, the other refuses naming it. A third started while the winner runs
    refuses within 5 s. The winner's run is bit-identical to a solo run, and keeps `keep` checkpoints."""
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(REPO), "JAX_PLATFORMS": "cpu"}
    pair = [
        subprocess.Popen(command(run_dir), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    deadline = time.monotonic() + 120
    while holder_pid(run_dir) not in {p.pid for p in pair} and time.monotonic() < deadline:
        time.sleep(0.01)
    winner = next(p for p in pair if p.pid == holder_pid(run_dir))
    loser = next(p for p in pair if p is not winner)

    start = time.monotonic()
    third = subprocess.run(command(run_dir), env=env, capture_output=True, text=True, timeout=60)
    seconds = time.monotonic() - start
    assert winner.poll() is None, "the winner ended before the third process started"
    assert third.returncode == 2 and f"is in use by pid {winner.pid} on " in third.stderr, third.stderr
    assert "Traceback" not in third.stderr and seconds < 5, (seconds, third.stderr)

    out, err = loser.communicate(timeout=300)
    assert loser.returncode == 2 and f"is in use by pid {winner.pid}" in err, err
    out, err = winner.communicate(timeout=300)
    assert winner.returncode == 0, err
    names = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    steps = [name for name in names if name.isdigit()]
    assert names == sorted(steps + [f"{s}.sha256.json" for s in steps]) and len(steps) <= KEEP + 1, names  # + best

    solo = loop.train(
        TOY,
        ToyConfig(num_train_examples=40, batch_size=8),
        TrainConfig(
            steps=STEPS,
            run_dir=str(tmp_path / "solo"),
            checkpoint_every=STEPS,
            log_every=10,
            sample_every=-1,
            progress=False,
        ),  # fmt: skip
        log=lambda message: None,
    )
    _, _, state, step = restore.load_run(run_dir)
    assert step == STEPS
    for ours, theirs in zip(jax.tree.leaves(state), jax.tree.leaves(solo.state), strict=True):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    assert records(run_dir) == records(tmp_path / "solo")
