"""The shared loop in-process on the toy task: resume, partial/corrupt checkpoints, guards, logs."""

import dataclasses
import json
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mmjax.train import loop, restore
from mmjax.train.config import TrainConfig
from mmjax.train.guards import NonFiniteError
from mmjax.train.metrics_log import read_metrics
from mmjax.train.plot import plot_run
from mmjax.train.toy import step as toy_step
from mmjax.train.toy.config import ToyConfig, ToyModelConfig
from mmjax.train.toy.task import TASK as TOY

STEPS = 8
CONFIG = ToyConfig(num_train_examples=40, batch_size=8)  # 5 batches per epoch: resumes cross an epoch


def settings(run_dir, **changes) -> TrainConfig:
    base = dict(
        steps=STEPS,
        run_dir=str(run_dir),
        checkpoint_every=2,
        log_every=1,
        keep=3,
        progress=False,
        eval_every=4,
        sample_every=STEPS,
    )
    return TrainConfig(**{**base, **changes})


def leaves(state) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree.leaves(state)]


def assert_bit_identical(a, b):
    for x, y in zip(leaves(a), leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)


def steps_on_disk(run_dir) -> list[int]:
    """The step folders (each has a checksum file beside it, ``<step>.sha256.json``)."""
    names = [p.name for p in (run_dir / "checkpoints").iterdir()]
    assert sorted(n for n in names if not n.isdigit()) == sorted(f"{n}.sha256.json" for n in names if n.isdigit())
    return sorted(int(n) for n in names if n.isdigit())


def train_records(run_dir):
    """The log without wall-clock fields."""
    return [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(run_dir / "metrics.jsonl")]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted STEPS-step run."""
    run_dir = tmp_path_factory.mktemp("reference")
    messages = []
    result = loop.train(TOY, CONFIG, settings(run_dir), log=messages.append)
    return result, run_dir, messages


def test_uninterrupted_run_writes_everything(reference):
    result, run_dir, messages = reference
    assert result.step == STEPS and result.resumed_from is None
    assert int(result.state["step"]) == STEPS
    saved = json.loads((run_dir / "config.json").read_text())
    assert saved["task"] == "toy" and saved["config"]["batch_size"] == 8 and saved["train"]["steps"] == STEPS
    assert steps_on_disk(run_dir) == [4, 6, 8]  # keep=3
    assert (run_dir / "samples" / f"step_{STEPS:07d}" / "fit.png").stat().st_size > 0
    records = train_records(run_dir)
    assert [r["step"] for r in records if r["split"] == "train"] == list(range(1, STEPS + 1))
    assert [r["step"] for r in records if r["split"] == "eval"] == [4, 8]
    assert all(set(r) == {"step", "split", "loss", "grad_norm"} for r in records if r["split"] == "train")
    assert records[-2]["loss"] == pytest.approx(result.last_metrics["loss"])
    assert any("eval at step 8: test_mse=" in m for m in messages)
    # the loss went down: the loop really trains
    losses = [r["loss"] for r in records if r["split"] == "train"]
    assert np.mean(losses[-3:]) < np.mean(losses[:3])


def test_resume_ignores_half_written_checkpoint_and_is_exact(reference, tmp_path):
    result, _, _ = reference
    messages = []
    first = loop.train(TOY, CONFIG, settings(tmp_path, steps=5), log=messages.append)
    assert first.step == 5
    # A save killed half-way leaves orbax's temporary folder: junk that must never be loaded.
    partial = tmp_path / "checkpoints" / "6.orbax-checkpoint-tmp"
    (partial / "state").mkdir(parents=True)
    (partial / "state" / "garbage").write_bytes(b"\x00" * 10)
    resumed = loop.train(TOY, CONFIG, settings(tmp_path), log=messages.append)
    assert any("ignoring incomplete checkpoint 6.orbax-checkpoint-tmp" in m for m in messages)
    assert resumed.resumed_from == 5
    assert_bit_identical(resumed.state, result.state)
    train_only = lambda d: [r for r in train_records(d) if r["split"] == "train"]  # noqa: E731
    assert train_only(tmp_path) == train_only(reference[1])  # the log reads as if never stopped


def test_unreadable_checkpoint_is_skipped_for_an_older_one(reference, tmp_path):
    shutil.copytree(reference[1], tmp_path, dirs_exist_ok=True)
    for file in (tmp_path / "checkpoints" / "8" / "state").rglob("*"):
        if file.is_file():
            file.write_bytes(b"")  # a damaged disk
    messages = []
    resumed = loop.train(TOY, CONFIG, settings(tmp_path), log=messages.append)
    assert any("skipping unreadable checkpoint step 8" in m for m in messages)
    assert resumed.resumed_from == 6
    assert_bit_identical(resumed.state, reference[0].state)
    task, config, state, step = restore.load_run(tmp_path)  # what `mmjax eval` would load
    assert (task.name, config, step) == ("toy", CONFIG, STEPS)
    assert_bit_identical(state, reference[0].state)


def test_config_mismatch_is_a_clear_error(reference, tmp_path):
    shutil.copytree(reference[1], tmp_path, dirs_exist_ok=True)
    wider = dataclasses.replace(CONFIG, model=ToyModelConfig(width=16))
    with pytest.raises(ValueError, match=r"different configuration:\n  model.width: 32 \(saved\) -> 16 \(now\)"):
        loop.train(TOY, wider, settings(tmp_path, steps=10))
    with pytest.raises(ValueError, match=r"seed: 0 \(saved\) -> 1 \(now\)"):
        loop.train(TOY, CONFIG, settings(tmp_path, steps=10, seed=1))
    with pytest.raises(ValueError, match="already has checkpoints"):
        loop.train(TOY, CONFIG, settings(tmp_path, steps=10, resume=False))


def test_shape_mismatch_names_the_arrays(reference, tmp_path):
    """Same config, but the code changed the model: an error naming the arrays, not a shape traceback."""
    shutil.copytree(reference[1], tmp_path, dirs_exist_ok=True)

    def init_wider(config, key, optimizer):
        return TOY.init(dataclasses.replace(config, model=ToyModelConfig(width=16)), key, optimizer)

    changed = dataclasses.replace(TOY, init=init_wider)
    with pytest.raises(ValueError, match=r"does not fit this model:\n") as error:
        loop.train(changed, CONFIG, settings(tmp_path, steps=10))
    assert "state.params.hidden.bias: checkpoint has shape (32,) float32, model wants (16,) float32" in str(error.value)


def poisoned(bad_step: int, where: str):
    """The toy step, with a NaN injected at ``bad_step`` into the loss or into one gradient."""

    def train_step(state, batch, key, config, optimizer):
        state, metrics = toy_step.train_step(state, batch, key, config, optimizer)
        hit = state["step"] == bad_step
        if where == "loss":
            metrics["loss"] = jnp.where(hit, jnp.nan, metrics["loss"])
        else:
            kernel = state["params"]["out"]["kernel"]
            state["params"]["out"]["kernel"] = jnp.where(hit, kernel.at[0, 0].set(jnp.inf), kernel)
        return state, metrics

    return train_step


@pytest.mark.parametrize("where, path", [("params", "state['params']['out']['kernel']"), ("loss", "metrics['loss']")])
def test_non_finite_guard_stops_and_keeps_last_good_checkpoint(tmp_path, where, path):
    task = dataclasses.replace(TOY, train_step=poisoned(5, where))
    with pytest.raises(NonFiniteError) as error:
        loop.train(task, CONFIG, settings(tmp_path, checkpoint_every=2, eval_every=-1, sample_every=-1))
    message = str(error.value)
    assert message.startswith(f"non-finite values (NaN or inf) at step 5 in: {path}.")
    assert "last good checkpoint is step 4" in message
    assert steps_on_disk(tmp_path) == [2, 4]
    _, _, state, step = restore.load_run(tmp_path, task=task)
    assert step == 4 and all(np.isfinite(x).all() for x in leaves(state))
    assert max(r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")) == 4  # the bad step is not logged


def test_best_checkpoint_is_kept_beyond_the_last_n(tmp_path):
    """keep=1 keeps the latest; the best eval (lowest test_mse) survives too."""

    def evaluate_best_at_4(state, config):
        return {"test_mse": 0.0 if int(state["step"]) == 4 else 1.0}

    task = dataclasses.replace(TOY, evaluate=evaluate_best_at_4, sample=None)
    loop.train(task, CONFIG, settings(tmp_path, keep=1, eval_every=2))
    assert steps_on_disk(tmp_path) == [4, 8]


def test_plot_draws_every_metric(reference, tmp_path):
    out = plot_run(reference[1], tmp_path / "curves.png")
    assert out.stat().st_size > 1000
    with pytest.raises(FileNotFoundError, match="no metrics.jsonl"):
        plot_run(tmp_path)


def test_batch_that_does_not_split_over_devices_is_rejected(tmp_path):
    from mmjax.train import parallel

    with pytest.raises(ValueError, match="batch size 7 must be divisible by the number of devices \\(2\\)"):
        parallel.check_batch_size(7, type("FakeMesh", (), {"devices": np.zeros(2)})())


def test_sigterm_saves_and_stops_cleanly(tmp_path):
    """A scheduler's pre-emption signal: finish the step, checkpoint it, stop; the same call resumes."""
    import os
    import signal

    def evaluate_then_get_preempted(state, config):
        if int(state["step"]) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return {"test_mse": 1.0}

    task = dataclasses.replace(TOY, evaluate=evaluate_then_get_preempted, sample=None)
    messages = []
    result = loop.train(task, CONFIG, settings(tmp_path, eval_every=1, checkpoint_every=100), log=messages.append)
    assert result.stopped_early and result.step == 3
    assert any("SIGTERM: saved checkpoint step 3" in m for m in messages)
    assert restore.load_run(tmp_path, task=task)[3] == 3


def test_progress_bar_shows_rate_and_losses_and_can_be_off(tmp_path, capsys):
    loop.train(TOY, CONFIG, settings(tmp_path / "bar", steps=3, progress=True, eval_every=-1, sample_every=-1))
    err = capsys.readouterr().err
    assert "3/3" in err and "loss=" in err and ("step/s" in err or "s/step" in err)  # the rate, either way up
    loop.train(TOY, CONFIG, settings(tmp_path / "plain", steps=3, progress=False, eval_every=-1, sample_every=-1))
    captured = capsys.readouterr()
    assert "%|" not in captured.err and "step 3/3 grad_norm=" in captured.out


def test_only_numeric_batch_entries_reach_the_device():
    from mmjax.train import parallel

    batch = {
        "image": np.zeros((4, 2, 2, 3), np.uint8),
        "caption": np.array(["a", "b", "c", "d"]),
        "ok": np.ones(4, bool),
    }
    assert sorted(parallel.device_batch(batch)) == ["image", "ok"]
