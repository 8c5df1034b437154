"""Every registered task honours the loop's contract: a stopped run resumes bit-exactly, and ``evaluate``
returns exactly the metrics the task declares.

Each task trains the tiny version of itself it declares (``Task.tiny``: config overrides that compile and run
in seconds).
"""

import math
import shutil

import jax
import numpy as np
import pytest

from mmjax.train import loop, registry
from mmjax.train.config import TrainConfig, apply_overrides


def settings(run_dir, steps: int) -> TrainConfig:
    return TrainConfig(
        steps=steps,
        run_dir=str(run_dir),
        checkpoint_every=2,
        log_every=1,
        eval_every=-1,
        sample_every=-1,
        progress=False,
    )


def test_every_registered_task_declares_a_tiny_config():
    assert all(registry.get_task(name).tiny for name in registry.available_tasks())


@pytest.mark.parametrize("name", registry.available_tasks())
def test_two_steps_stop_resume_two_more_equals_four_uninterrupted(name, tmp_path):
    task = registry.get_task(name)
    config = apply_overrides(task.default_config(), task.tiny)
    uninterrupted = loop.train(task, config, settings(tmp_path / "a", 4), log=lambda message: None)
    # The same 4-step run, killed after its step-2 checkpoint: later checkpoints never got written.
    loop.train(task, config, settings(tmp_path / "b", 4), log=lambda message: None)
    shutil.rmtree(tmp_path / "b" / "checkpoints" / "4")
    resumed = loop.train(task, config, settings(tmp_path / "b", 4), log=lambda message: None)
    assert resumed.resumed_from == 2 and resumed.step == 4
    for a, b in zip(jax.tree.leaves(uninterrupted.state), jax.tree.leaves(resumed.state), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    if task.evaluate is not None:
        metrics = task.evaluate(resumed.state, config)
        assert sorted(metrics) == sorted(task.eval_keys)
        assert all(isinstance(float(v), float) and math.isfinite(float(v)) for v in metrics.values()), metrics
