"""``mmjax train --distributed``: two processes on localhost, found by JAX's own SLURM detection, train
exactly what one process with two devices trains.

The two runs split every global batch the same way (one half per device) and their gradient all-reduce
adds the same two numbers per element, in-process in one case and through gloo between processes in
the other; a sum of two floats does not depend on the order, so the results agree bit for bit.
Three JAX start-ups, all at once (the two ranks and the reference), a few seconds of CPU each.
"""

import dataclasses
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np

from mmjax.train import loop, restore
from mmjax.train.metrics_log import read_metrics
from mmjax.train.toy.task import TASK as TOY

REPO = Path(__file__).resolve().parents[1]
DEADLINE_S = 150  # a safety net for a hung rank; the three processes take seconds
# Variables through which an outer job (a real SLURM or MPI allocation, a forced device count) would
# leak into the children and change what JAX detects.
_OUTER = ("SLURM_", "OMPI_", "PMI_", "JAX_COORDINATOR", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID", "JAX_LOCAL_DEVICE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OUTER) and k != "XLA_FLAGS"}
    return {**env, "PYTHONPATH": str(REPO), "MMJAX_CACHE_DIR": str(tmp_path / "jax-cache"), **extra}


def slurm_env(tmp_path, rank: int, port: int) -> dict:
    """What ``srun --ntasks 2`` on one node gives each task, plus the coordinator port JAX should use."""
    return base_env(
        tmp_path,
        JAX_PLATFORMS="cpu",
        JAX_CPU_COLLECTIVES_IMPLEMENTATION="gloo",
        SLURM_JOB_ID="4242",
        SLURM_NTASKS="2",
        SLURM_PROCID=str(rank),
        SLURM_LOCALID=str(rank),
        SLURM_NODELIST="localhost",
        SLURM_STEP_NODELIST="localhost",
        SLURM_STEP_NUM_NODES="1",
        JAX_COORDINATOR_PORT=str(port),  # else JAX derives it from SLURM_JOB_ID, maybe a busy port
    )


def train_command(run_dir, *options) -> list[str]:
    return [
        *(sys.executable, "-m", "mmjax.cli", "train", "toy", "--run-dir", str(run_dir)),
        *("--steps", "20", "--checkpoint-every", "10", "--log-every", "5", "--eval-every", "10"),
        *("--no-progress", "--num_train_examples", "64", "--batch_size", "8"),
        *options,
    ]


def run_together(jobs: dict, tmp_path) -> dict:
    """Start every ``name -> (command, env)`` at once; kill them all if one fails or the deadline passes.

    Returns ``name -> (returncode, stdout, stderr)``; output goes to files, so no pipe fills and blocks.
    """
    processes, files = {}, []
    try:
        for name, (command, env) in jobs.items():
            out, err = open(tmp_path / f"{name}.out", "w"), open(tmp_path / f"{name}.err", "w")
            files += [out, err]
            processes[name] = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=out, stderr=err)
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            codes = [p.poll() for p in processes.values()]
            if all(c is not None for c in codes) or any(c not in (None, 0) for c in codes):
                break
            time.sleep(0.05)
    finally:
        for process in processes.values():
            if process.poll() is None:  # a rank waiting for a dead peer, or past the deadline
                process.kill()
            process.wait()
        for f in files:
            f.close()
    return {
        name: (p.returncode, (tmp_path / f"{name}.out").read_text(), (tmp_path / f"{name}.err").read_text())
        for name, p in processes.items()
    }


def records(run_dir) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(run_dir / "metrics.jsonl")]


def test_two_slurm_processes_train_bit_for_bit_like_one_process_with_two_devices(tmp_path):
    port = free_port()
    jobs = {
        f"rank{rank}": (
            train_command(tmp_path / "dist", "--distributed", "--sample-every", "0"),
            slurm_env(tmp_path, rank, port),
        )
        for rank in (0, 1)
    }
    jobs["single"] = (
        # --num-devices 2 is a ValueError if there were fewer; no samples: they do not change training
        train_command(tmp_path / "single", "--num-devices", "2", "--sample-every", "-1"),
        base_env(tmp_path, JAX_PLATFORMS="cpu", XLA_FLAGS="--xla_force_host_platform_device_count=2"),
    )
    done = run_together(jobs, tmp_path)
    for name, (code, out, err) in done.items():
        assert code == 0, f"{name} exited with {code}:\n{out[-3000:]}\n{err[-3000:]}"

    # JAX found the SLURM job: two processes with one CPU device each, two devices in all.
    for rank in (0, 1):
        assert f"jax.distributed: process {rank} of 2, 1 local of 2 devices (cpu)" in done[f"rank{rank}"][1]
    assert "step 20/20" in done["rank0"][1] and "step 20/20" not in done["rank1"][1]  # process 0 speaks

    dist, single = records(tmp_path / "dist"), records(tmp_path / "single")
    logged = [(5, "train"), (10, "train"), (10, "eval"), (15, "train"), (20, "train"), (20, "eval")]
    assert [(r["step"], r["split"]) for r in dist] == logged  # process 0 alone wrote the log: no record twice
    assert dist == single  # losses, gradient norms and test MSE, bit for bit

    _, _, dist_state, dist_step = restore.load_run(tmp_path / "dist")
    _, _, single_state, single_step = restore.load_run(tmp_path / "single")
    assert dist_step == single_step == 20
    for ours, theirs in zip(jax.tree.leaves(dist_state), jax.tree.leaves(single_state), strict=True):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))  # params and Adam moments
    assert (tmp_path / "dist" / "samples" / "step_0000020" / "fit.png").stat().st_size > 1000


def _recording_task(calls: list):
    def sample(state, config, key, out_dir):
        calls.append(out_dir)
        (out_dir / "fit.txt").write_text("a sample")

    return dataclasses.replace(TOY, sample=sample)


def test_process_0_keeps_the_sample_files(tmp_path):
    calls = []
    out_dir = tmp_path / "samples" / "step_0000001"
    loop.sample_files(_recording_task(calls), None, None, None, out_dir)
    assert calls == [out_dir] and (out_dir / "fit.txt").read_text() == "a sample"


def test_other_processes_sample_into_a_scratch_folder_that_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(jax, "process_index", lambda: 1)
    calls = []
    out_dir = tmp_path / "samples" / "step_0000001"
    loop.sample_files(_recording_task(calls), None, None, None, out_dir)
    assert len(calls) == 1  # the sampler ran (its jitted calls would span every process's devices) ...
    assert not out_dir.exists() and not calls[0].exists()  # ... and left no file behind
