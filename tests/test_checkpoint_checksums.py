"""Checkpoint checksums: flipped bytes are found on restore, the step is set aside, the run resumes from the one
before and ends bit-identical; and what a kill can cost (the bound in mmjax.train.checkpoint's docstring)."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmjax.cli import main
from mmjax.train import checksums, loop, restore
from mmjax.train.checkpoint import Checkpointer
from mmjax.train.config import TrainConfig
from mmjax.train.toy.config import ToyConfig, ToyModelConfig
from mmjax.train.toy.task import TASK as TOY

REPO = Path(__file__).resolve().parents[1]
STEPS = 8
# Wide enough that orbax stores the arrays as raw bytes, with no checksum of its own (at width 32 they sit
# in compressed, checked blocks and a flipped byte is already an error): the case the report hit.
CONFIG = ToyConfig(num_train_examples=40, batch_size=8, model=ToyModelConfig(width=512))


def settings_for(run_dir, **changes):
    base = dict(
        steps=STEPS, run_dir=str(run_dir), checkpoint_every=2, keep=3, progress=False, sample_every=-1, eval_every=-1
    )
    return TrainConfig(**{**base, **changes})


def leaves(state):
    return [np.asarray(x) for x in jax.tree.leaves(state)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("reference")
    return loop.train(TOY, CONFIG, settings_for(run_dir), log=lambda m: None), run_dir


def flip_a_byte_of_the_arrays(run_dir: Path, step: int) -> None:
    data = run_dir / "checkpoints" / str(step) / "state" / "ocdbt.process_0" / "d"
    largest = max(data.iterdir(), key=lambda p: p.stat().st_size)
    raw = bytearray(largest.read_bytes())
    raw[len(raw) // 2] ^= 0x10
    largest.write_bytes(bytes(raw))


def test_a_flipped_byte_is_found_set_aside_and_the_run_resumes_bit_identical(reference, tmp_path):
    result, source = reference
    shutil.copytree(source, tmp_path, dirs_exist_ok=True)
    flip_a_byte_of_the_arrays(tmp_path, STEPS)

    # Orbax alone restores it without a word: the damage the report found (changed Adam moments).
    abstract = loop.abstract_carry(TOY, CONFIG, restore.parallel.make_mesh(1))
    bare = Checkpointer(tmp_path / "checkpoints", read_only=True, log=lambda m: None)
    silent = bare.manager.restore(STEPS, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract)))
    changed = sum(int((a != b).sum()) for a, b in zip(leaves(silent["state"]["state"]), leaves(result.state)))
    bare.close()
    assert changed >= 1

    # mmjax eval / export refuse it, naming it
    with pytest.raises(ValueError, match=rf"checkpoint {tmp_path}/checkpoints/{STEPS} is damaged"):
        restore.load_run(tmp_path)

    messages = []
    resumed = loop.train(TOY, CONFIG, settings_for(tmp_path), log=messages.append)
    assert any(f"skipping damaged checkpoint step {STEPS}" in m and "sha256" in m for m in messages), messages
    assert resumed.resumed_from == STEPS - 2
    for ours, theirs in zip(leaves(resumed.state), leaves(result.state), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    kept = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert kept == ["4", "4.sha256.json", "6", "6.sha256.json", "8", "8.damaged", "8.sha256.json"], kept
    assert (tmp_path / "checkpoints" / "8.damaged" / "8.sha256.json").exists()  # the evidence stays together
    assert restore.load_run(tmp_path)[3] == STEPS  # the new step 8 is whole


def test_a_flipped_byte_in_the_run_identity_reads_as_damage_not_as_another_config(reference, tmp_path):
    shutil.copytree(reference[1], tmp_path, dirs_exist_ok=True)
    stored = tmp_path / "checkpoints" / str(STEPS) / "run" / "metadata"
    stored.write_text(stored.read_text().replace('"seed": 0', '"seed": 2'))  # 0x30 -> 0x32: one bit
    messages = []
    resumed = loop.train(TOY, CONFIG, settings_for(tmp_path), log=messages.append)
    assert resumed.resumed_from == STEPS - 2
    assert any("damaged checkpoint step 8" in m and "its run no longer matches" in m for m in messages), messages


@pytest.mark.parametrize("damage", ["run JSON cut short", "array metadata deleted"])
def test_a_reader_names_an_unreadable_step_in_one_line(reference, tmp_path, capsys, damage):
    shutil.copytree(reference[1], tmp_path, dirs_exist_ok=True)
    step = tmp_path / "checkpoints" / str(STEPS)
    if damage == "run JSON cut short":
        (step / "run" / "metadata").write_text('{"task": ')
    else:
        (step / "state" / "_METADATA").unlink()
    assert main(["export", str(tmp_path), "--out", str(tmp_path / "m.npz")]) == 2
    err = capsys.readouterr().err
    assert f"checkpoint {step} cannot be read" in err and "other steps: [4, 6] (--step)" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_step_without_checksum_is_restored_with_a_note_and_a_bad_checksum_file_counts_as_damage(reference, tmp_path):
    shutil.copytree(reference[1], tmp_path, dirs_exist_ok=True)
    checksums.path_of(tmp_path / "checkpoints", STEPS).unlink()  # as written by an mmjax without checksums
    messages = []
    assert restore.load_run(tmp_path)[3] == STEPS
    resumed = loop.train(TOY, CONFIG, settings_for(tmp_path, steps=STEPS + 1), log=messages.append)
    assert resumed.resumed_from == STEPS and any("has no checksum" in m for m in messages)

    checksums.path_of(tmp_path / "checkpoints", STEPS + 1).write_text("{not json")
    with pytest.raises(ValueError, match="is damaged"):
        restore.load_run(tmp_path)


def test_orphan_checksums_are_removed_at_start(reference, tmp_path):
    shutil.copytree(reference[1], tmp_path, dirs_exist_ok=True)
    checksums.write(tmp_path / "checkpoints", 10, "0" * 64)  # a save killed before it committed
    Checkpointer(tmp_path / "checkpoints", log=lambda m: None).close()
    assert not checksums.path_of(tmp_path / "checkpoints", 10).exists()
    assert checksums.path_of(tmp_path / "checkpoints", STEPS).exists()


@settings(max_examples=30, deadline=None)
@given(leaf=st.integers(0, 10), position=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 31))
def test_the_digest_sees_any_flipped_bit(leaf, position, bit):
    state = {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.ones(5, np.float32)}
    carry = {"state": state, "rng": np.arange(2, dtype=np.uint32)}
    loader, run = {"epoch": 0, "step": 3}, {"task": "toy", "seed": 0}
    before = checksums.digest(carry, loader, run)
    flat = jax.tree.leaves(carry)
    target = flat[leaf % len(flat)]
    target.view(np.uint32).flat[int(position * target.size)] ^= np.uint32(1 << bit)
    assert checksums.digest(carry, loader, run) != before
    assert checksums.digest(carry, {**loader, "step": 4}, run) != checksums.digest(carry, loader, run)


@pytest.mark.slow
def test_a_kill_loses_at_most_two_checkpoint_intervals(tmp_path):
    """Killed with its first save still in flight, a run restarts from 0; never more than 2 N steps back."""
    every, kill_at = 20, 39
    command = [sys.executable, "-m", "mmjax.cli", "train", "toy", "--steps", "60", "--run-dir", str(tmp_path / "run"),
               "--checkpoint-every", str(every), "--log-every", "1", "--sample-every", "-1", "--eval-every", "-1",
               "--no-progress", "--num_train_examples", "40", "--batch_size", "8"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "JAX_PLATFORMS": "cpu"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        if line.startswith(f"step {kill_at}/"):
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    restart = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert restart.returncode == 0, restart.stderr
    resumed = [line for line in restart.stdout.splitlines() if line.startswith("resuming toy")]
    resumed_from = int(resumed[0].split("checkpoint step ")[1].split()[0]) if resumed else 0
    assert resumed_from in (0, every) and kill_at - resumed_from <= 2 * every
