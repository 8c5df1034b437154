"""Every registered task honours the loop's contract: a stopped run resumes bit-exactly, and ``evaluate``
returns exactly the metrics the task declares.

Each task trains a tiny version of itself (``TINY``: config overrides that compile and run in seconds).
"""

import math
import shutil

import jax
import numpy as np
import pytest

from mmjax.train import loop, registry
from mmjax.train.config import TrainConfig, apply_overrides

TINY = {
    "audio2image": {
        "latent_dim": 4,
        "width": 2,
        "audio_dim": 8,
        "audio_layers": 1,
        "audio_heads": 2,
        "audio_hidden": 8,
        "contrastive_dim": 4,
        "batch_size": 4,
        "num_train_examples": 16,
        "num_eval_examples": 4,
    },
    "toy": {"num_train_examples": 40, "batch_size": 8},
    "gan2d": {
        "g_width": 8,
        "g_depth": 1,
        "d_width": 8,
        "d_depth": 1,
        "d_pieces": 2,
        "batch_size": 8,
        "num_train_examples": 64,
    },
    "dcgan": {"image_size": 16, "width": 2, "latent_dim": 4, "embed_dim": 4, "batch_size": 2, "num_train_examples": 8},
    "judge": {"widths": (4, 8), "feature_dim": 8, "num_train_examples": 32, "num_eval_examples": 16, "batch_size": 8},
    "contrastive": {
        "image_widths": (4, 8),
        "text_width": 8,
        "num_heads": 2,
        "embed_dim": 8,
        "num_train_examples": 32,
        "num_eval_examples": 150,
        "batch_size": 8,
    },
    "seq2seq": {
        "model.d_model": 16,
        "model.num_heads": 2,
        "model.num_layers": 1,
        "model.d_hidden": 32,
        "num_symbols": 4,
        "min_length": 2,
        "max_length": 4,
        "num_train_examples": 64,
        "num_test_examples": 8,
        "batch_size": 8,
        "warmup_steps": 1,
    },
    "captioner": {
        "model.patch_size": 8,
        "model.d_model": 16,
        "model.num_heads": 2,
        "model.num_encoder_layers": 1,
        "model.num_decoder_layers": 1,
        "model.d_hidden": 32,
        "num_train_examples": 16,
        "num_eval_examples": 4,
        "batch_size": 4,
    },
    "text2image": {
        "image_size": 16,
        "latent_dim": 4,
        "width": 2,
        "text_dim": 8,
        "text_layers": 1,
        "text_heads": 2,
        "text_hidden": 8,
        "contrastive_dim": 4,
        "batch_size": 4,
        "num_train_examples": 16,
        "num_eval_examples": 4,
    },
    "text2video": {
        "image_size": 16,
        "num_frames": 4,
        "latent_dim": 4,
        "width": 2,
        "text_dim": 8,
        "text_layers": 1,
        "text_heads": 2,
        "text_hidden": 8,
        "motion_hidden": 8,
        "clip_hidden": 8,
        "contrastive_dim": 4,
        "batch_size": 4,
        "num_train_examples": 16,
        "num_eval_examples": 4,
        "frames_from": "",  # the shipped text-to-image GAN has other sizes
    },
}


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


def test_every_registered_task_has_a_tiny_config():
    assert sorted(TINY) == registry.available_tasks()


@pytest.mark.parametrize("name", registry.available_tasks())
def test_two_steps_stop_resume_two_more_equals_four_uninterrupted(name, tmp_path):
    task = registry.get_task(name)
    config = apply_overrides(task.default_config(), TINY.get(name, {}))
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
