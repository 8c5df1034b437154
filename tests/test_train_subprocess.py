"""The promises that need a real process: kill -9 and resume bit-exactly, and 8 devices == 1 device.

Three JAX start-ups in all (a killed run, its restart, one 8-fake-device run), a few seconds each.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jax
import numpy as np

from mmjax.cli import main
from mmjax.train import loop, restore
from mmjax.train.config import TrainConfig
from mmjax.train.metrics_log import read_metrics
from mmjax.train.toy.config import ToyConfig
from mmjax.train.toy.task import TASK as TOY

REPO = Path(__file__).resolve().parents[1]
STEPS = 100
CONFIG = ToyConfig(num_train_examples=40, batch_size=8)


def env(tmp_path, **extra):
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "MMJAX_CACHE_DIR": str(tmp_path / "jax-cache"),
        "JAX_PLATFORMS": "cpu",
        **extra,
    }


def train_command(run_dir):
    return [
        sys.executable,
        "-m",
        "mmjax.cli",
        "train",
        "toy",
        "--steps",
        str(STEPS),
        "--run-dir",
        str(run_dir),
        "--checkpoint-every",
        "5",
        "--log-every",
        "10",
        "--sample-every",
        "-1",
        "--no-progress",
        "--num_train_examples",
        "40",
        "--batch_size",
        "8",
    ]


def train_records(run_dir):
    return [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(run_dir / "metrics.jsonl")]


def test_sigkill_then_same_command_resumes_bit_exactly(tmp_path):
    run_dir = tmp_path / "run"
    command = train_command(run_dir)
    process = subprocess.Popen(
        command, env=env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    checkpoints = run_dir / "checkpoints"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        steps = [int(p.name) for p in checkpoints.glob("*") if p.name.isdigit()] if checkpoints.exists() else []
        if steps and max(steps) >= 10:
            break
        time.sleep(0.005)
    assert process.poll() is None, "the run ended before it could be killed:\n" + process.communicate()[1]
    process.send_signal(signal.SIGKILL)  # kill -9: no handler, no cleanup, possibly mid-save
    process.communicate()
    killed_at = max(int(p.name) for p in checkpoints.glob("*") if p.name.isdigit())
    assert killed_at < STEPS

    restart = subprocess.run(command, env=env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert restart.returncode == 0, restart.stderr
    resumed_line = next(line for line in restart.stdout.splitlines() if line.startswith("resuming toy"))
    resumed_from = int(resumed_line.split("checkpoint step ")[1].split()[0])
    assert 10 <= resumed_from <= killed_at
    assert "%|" not in restart.stderr  # --no-progress: plain lines, no bar
    assert f"step {STEPS}/{STEPS} grad_norm=" in restart.stdout
    assert any((tmp_path / "jax-cache").iterdir())  # the compilation cache is on by default

    # The same run, uninterrupted, in this process.
    reference = loop.train(
        TOY,
        CONFIG,
        TrainConfig(
            steps=STEPS,
            run_dir=str(tmp_path / "ref"),
            checkpoint_every=STEPS,
            log_every=10,
            sample_every=-1,
            progress=False,
        ),
        log=lambda message: None,
    )
    _, config, state, step = restore.load_run(run_dir)
    assert (config, step) == (CONFIG, STEPS)
    for ours, theirs in zip(jax.tree.leaves(state), jax.tree.leaves(reference.state), strict=True):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))  # bit for bit
    assert train_records(run_dir) == train_records(tmp_path / "ref")

    assert main(["plot", str(run_dir)]) == 0  # `mmjax plot RUN_DIR`
    assert (run_dir / "curves.png").stat().st_size > 1000


EIGHT_DEVICES = textwrap.dedent("""
    import json, sys
    import jax, numpy as np
    from mmjax.train import loop
    from mmjax.train.config import TrainConfig
    from mmjax.train.toy.config import ToyConfig
    from mmjax.train.toy.task import TASK
    assert jax.device_count() == 8, jax.devices()
    config = ToyConfig(num_train_examples=64, batch_size=16)
    runs = {}
    for n in (1, 8):
        result = loop.train(TASK, config, TrainConfig(steps=20, run_dir=f"{sys.argv[1]}/d{n}", num_devices=n,
                            checkpoint_every=20, log_every=20, sample_every=-1, progress=False), log=lambda m: None)
        runs[n] = result.state
    devices = len(runs[8]["params"]["hidden"]["kernel"].sharding.device_set)
    diff = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
               for a, b in zip(jax.tree.leaves(runs[1]), jax.tree.leaves(runs[8])))
    scale = max(float(np.max(np.abs(np.asarray(a)))) for a in jax.tree.leaves(runs[1]["params"]))
    print(json.dumps({"devices": devices, "max_abs_diff": diff, "param_scale": scale}))
""")


def test_eight_fake_devices_match_one(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", EIGHT_DEVICES, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env(tmp_path, XLA_FLAGS="--xla_force_host_platform_device_count=8"),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["devices"] == 8  # the state really lives on all eight
    assert result["max_abs_diff"] < 1e-5 * max(result["param_scale"], 1.0)  # only summation order differs
