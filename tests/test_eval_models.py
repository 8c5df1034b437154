"""``mmjax eval text2image`` and ``mmjax eval captioner``: a run folder, an exported file, or the shipped one."""

import dataclasses
import json
import shutil

import jax
import numpy as np
import pytest

from mmjax.captioner.config import CaptionerConfig, CaptionerModelConfig
from mmjax.captioner.step import caption_images
from mmjax.captioner.task import TASK as CAPTIONER
from mmjax.cli import main
from mmjax.data.render import render_image
from mmjax.eval.generators import load_generator
from mmjax.eval.prompts import prompt_batch
from mmjax.gan.export import variables_of
from mmjax.metrics.captioning import caption_attribute_scores
from mmjax.text2image import step as t2i_step
from mmjax.text2image.config import TextToImageConfig
from mmjax.text2image.model import build_players
from mmjax.text2image.task import TASK as TEXT2IMAGE
from mmjax.train import loop
from mmjax.train.config import TrainConfig
from mmjax.utils import artifacts

TINY_T2I = TextToImageConfig(
    latent_dim=8,
    width=4,
    text_dim=16,
    text_layers=1,
    text_heads=2,
    text_hidden=16,
    contrastive_dim=8,
    batch_size=4,
    num_train_examples=16,
    num_eval_examples=4,
)
TINY_CAPTIONER = CaptionerConfig(
    model=CaptionerModelConfig(
        patch_size=8, d_model=16, num_heads=2, num_encoder_layers=1, num_decoder_layers=1, d_hidden=32
    ),
    num_train_examples=16,
    num_eval_examples=4,
    batch_size=4,
)
STEPS = 2


def tiny_run(task, config, run_dir):
    """A run folder of ``STEPS`` steps (no evaluation or samples) and the state it ends with."""
    settings = TrainConfig(
        steps=STEPS, run_dir=str(run_dir), progress=False, eval_every=-1, sample_every=-1, async_checkpoints=False
    )
    return loop.train(task, config, settings, log=lambda message: None).state


def shipped_folder(tmp_path, monkeypatch, task, state, config, name):
    """``MMJAX_ARTIFACTS`` pointing at a folder holding the judge and ``shapes/NAME.npz`` exported from ``state``."""
    folder = tmp_path / "artifacts"
    shutil.copytree(artifacts.artifacts_dir() / "judge", folder / "judge")
    task.export(state, config, folder / "shapes" / f"{name}.npz")
    monkeypatch.setenv(artifacts.ENV_VAR, str(folder))
    return folder / "shapes" / f"{name}.npz"


def eval_report(tmp_path, *args):
    out = tmp_path / "report.json"
    assert main(["eval", *args, "--splits", "test", "--num-samples", "16", "--out", str(out)]) == 0
    return json.loads(out.read_text())


def test_text2image_run_export_and_shipped_file_evaluate_alike(tmp_path, monkeypatch):
    run = tmp_path / "run"
    state = tiny_run(TEXT2IMAGE, TINY_T2I, run)
    report = eval_report(tmp_path, "text2image", "--checkpoint", str(run))
    scores = report["results"]["text2image"]["test"]
    assert report["kind"] == "image" and report["checkpoint_step"] == STEPS and report["checkpoint"] == str(run)
    assert 0.0 <= scores["coherence_all_correct"] <= 1.0 and 0.0 <= scores["coherence_colour"] <= 1.0
    assert np.isfinite(scores["shapes_fid"]) and scores["shapes_fid"] > 0.0

    # The same weights read from a run, an exported file and the shipped default draw the same images.
    shipped = shipped_folder(tmp_path, monkeypatch, TEXT2IMAGE, state, TINY_T2I, "text2image")
    prompts, key = prompt_batch("test", 0, 5), jax.random.key(3)
    kind, from_run = load_generator("text2image", str(run))
    images = from_run(prompts, key)
    assert kind == "image" and images.shape == (5, 32, 32, 3) and images.dtype == np.uint8
    tokens = np.asarray(prompts["tokens"])
    np.testing.assert_array_equal(
        images, t2i_step.generate(TINY_T2I, state, tokens, key, t2i_step.EVAL_BATCH)
    )  # the trained state
    for checkpoint in (str(shipped), None):
        _, generate = load_generator("text2image", checkpoint)
        assert generate.checkpoint == str(shipped) and generate.step == STEPS
        np.testing.assert_array_equal(generate(prompts, key), images)


def test_captioner_run_export_and_shipped_file_evaluate_alike(tmp_path, monkeypatch):
    run = tmp_path / "run"
    state = tiny_run(CAPTIONER, TINY_CAPTIONER, run)
    report = eval_report(tmp_path, "captioner", "--checkpoint", str(run))
    scores = report["results"]["captioner"]["test"]
    assert report["kind"] == "caption" and report["checkpoint_step"] == STEPS
    assert {"bleu_4", "cider_d", "exact_match"} <= set(scores)
    # the report reads back the captions of the split's first 16 images, in order
    prompts = prompt_batch("test", 0, 16)
    expected = caption_images(TINY_CAPTIONER, state, np.stack([render_image(s) for s in prompts["scenes"]]))
    facts = caption_attribute_scores(expected, prompts["scenes"])
    assert scores["exact_match"] == pytest.approx(facts["exact_match"]) and scores["f1"] == pytest.approx(facts["f1"])

    shipped = shipped_folder(tmp_path, monkeypatch, CAPTIONER, state, TINY_CAPTIONER, "captioner")
    batch = prompt_batch("test", 0, 70)  # more than one chunk of CHUNK = 64 images
    batch["image"] = np.stack([render_image(scene) for scene in batch["scenes"]])
    kind, from_run = load_generator("captioner", str(run))
    captions = from_run(batch, jax.random.key(0))
    assert kind == "caption" and len(captions) == 70 and all(isinstance(c, str) for c in captions)
    assert captions[:8] == caption_images(TINY_CAPTIONER, state, batch["image"][:8])  # padding changes nothing
    for checkpoint in (str(shipped), None):
        _, caption = load_generator("captioner", checkpoint)
        assert caption.checkpoint == str(shipped) and caption.step == STEPS
        assert caption(batch, jax.random.key(0)) == captions


def test_bad_checkpoints_give_clear_errors(tmp_path, monkeypatch, capsys):
    assert main(["eval", "captioner", "--checkpoint", str(tmp_path / "missing.npz"), "--num-samples", "16"]) == 2
    assert "neither a run folder nor an exported .npz" in capsys.readouterr().err
    monkeypatch.setenv(artifacts.ENV_VAR, str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="shipped artifact 'shapes/text2image.npz' not found"):
        load_generator("text2image")
    with pytest.raises(ValueError, match="pass --checkpoint RUN_DIR"):
        load_generator("dcgan")
    # a model of cifar10 classes cannot draw Shapes prompts
    cifar = dataclasses.replace(TINY_T2I, dataset="cifar10")
    zeros = jax.tree.map(lambda leaf: np.zeros(leaf.shape, leaf.dtype), variables_of(build_players, cifar))
    path = tmp_path / "cifar10.npz"
    state = {"generator": {**zeros["generator"], "step": np.int32(0)}, "discriminator": zeros["discriminator"]}
    TEXT2IMAGE.export(state, cifar, path)
    with pytest.raises(ValueError, match="draws cifar10 classes; mmjax eval scores Shapes prompts only"):
        load_generator("text2image", str(path))
