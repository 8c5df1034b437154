"""``mmjax eval dcgan --checkpoint RUN_DIR`` on a run written by the shared training loop."""

import json

import jax
import numpy as np
import pytest

from mmjax.eval.adapters.dcgan import condition_labels
from mmjax.eval.generators import load_generator
from mmjax.eval.prompts import prompt_batch
from mmjax.gan.dcgan.config import DCGANConfig
from mmjax.gan.dcgan.task import TASK as DCGAN
from mmjax.train.config import TrainConfig
from mmjax.train.loop import train

TINY = DCGANConfig(latent_dim=8, width=4, embed_dim=8, batch_size=4, num_train_examples=8)


def test_trained_run_loads_as_an_image_generator(tmp_path):
    run = tmp_path / "dcgan"
    train(
        DCGAN,
        TINY,
        TrainConfig(steps=2, run_dir=str(run), progress=False, eval_every=-1, sample_every=-1, async_checkpoints=False),
        log=lambda m: None,
    )
    kind, generate = load_generator("dcgan", str(run))
    assert kind == "image" and generate.step == 2
    prompts = prompt_batch("test", 0, 5)
    images = generate(prompts, jax.random.key(0))
    assert images.shape == (5, 32, 32, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, generate(prompts, jax.random.key(0)))  # reproducible per key
    assert not np.array_equal(images, generate(prompts, jax.random.key(1)))

    from mmjax.cli import main

    out = tmp_path / "report.json"
    args = ["eval", "dcgan", "--checkpoint", str(run), "--splits", "test", "--num-samples", "16", "--out", str(out)]
    assert main(args) == 0
    report = json.loads(out.read_text())
    assert report["checkpoint_step"] == 2 and report["num_samples"] == 16 and report["seed"] == 0
    assert 0.0 <= report["results"]["dcgan"]["test"]["coherence_all_correct"] <= 1.0


def test_free_line_of_two_object_prompts_is_redrawn_and_stated_labels_kept():
    prompts = prompt_batch("test", 0, 200)
    two = prompts["num_objects"] == 2
    draws = [condition_labels(prompts, jax.random.key(k)) for k in range(4)]
    for labels in draws:
        for key in ("shape", "colour", "size"):
            np.testing.assert_array_equal(labels[key], prompts[key])
        # a lone object's cell is stated by its caption and kept
        np.testing.assert_array_equal(labels["row"][~two], prompts["row"][~two])
        np.testing.assert_array_equal(labels["col"][~two], prompts["col"][~two])
    lines = np.stack(
        [np.where(d["col"][two, 0] == d["col"][two, 1], d["col"][two, 0], d["row"][two, 0]) for d in draws]
    )
    assert len(np.unique(lines)) == 3  # every column/row is used, not just the one of the data


def test_eval_dcgan_needs_a_checkpoint_and_rejects_other_runs(tmp_path):
    with pytest.raises(ValueError, match="pass --checkpoint"):
        load_generator("dcgan")
    with pytest.raises(FileNotFoundError, match="no checkpoints"):
        load_generator("dcgan", str(tmp_path))
    from mmjax.train.toy.task import TASK as TOY

    toy_run = tmp_path / "toy"
    train(
        TOY,
        None,
        TrainConfig(steps=1, run_dir=str(toy_run), progress=False, async_checkpoints=False),
        log=lambda m: None,
    )
    with pytest.raises(ValueError, match="holds a 'toy' run, not a 'dcgan' run"):
        load_generator("dcgan", str(toy_run))
