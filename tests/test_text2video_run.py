"""The text-to-video GAN through the loop: a tiny run that evaluates and samples, export and load, mmjax eval,
GIF/PNG files, and bad input."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image, ImageSequence
from text2video_fixtures import RUN, TINY, in_jit, variables, video_captions

from mmjax.data.shapes import example
from mmjax.gan import sampler
from mmjax.pretrained.video import CHUNK, VideoModel
from mmjax.text2image import step as image_step
from mmjax.text2video import export, step
from mmjax.text2video.task import TASK
from mmjax.train import loop
from mmjax.train.config import TrainConfig
from mmjax.train.metrics_log import read_metrics
from mmjax.utils import animation


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A 3-step run that evaluates and samples at its end, and its export."""
    folder = tmp_path_factory.mktemp("text2video")
    settings = TrainConfig(steps=3, run_dir=str(folder / "run"), progress=False, eval_every=3, sample_every=3)
    result = loop.train(TASK, RUN, settings, log=lambda message: None)
    export.export(result.state, RUN, folder / "video.npz")
    return result, folder


def test_train_frames_false_keeps_the_frame_generator_and_learns_the_rest(tiny_run):
    result, _ = tiny_run
    first = step.init(RUN, jax.random.split(jax.random.key(0))[0], step.make_optimizer(RUN, 10))["generator"]
    trained = result.state["generator"]["params"]
    jax.tree.map(np.testing.assert_array_equal, trained["frame"], first["params"]["frame"])
    for name in ("motion", "motion_text"):
        moved = jax.tree.map(lambda a, b: float(jnp.abs(a - b).max()), trained[name], first["params"][name])
        assert max(jax.tree.leaves(moved)) > 0


def test_a_few_steps_through_the_loop_log_finite_metrics_evaluate_and_sample(tiny_run):
    _, folder = tiny_run
    records = read_metrics(folder / "run" / "metrics.jsonl")
    facts = ("step", "split", "time")
    train = [{k: v for k, v in r.items() if k not in facts} for r in records if r["split"] == "train"]
    assert train and all(np.isfinite(v) for metrics in train for v in metrics.values())
    for name in ("d_clip_real", "d_clip_reversed", "g_clip_loss", "g_direction"):
        assert name in train[-1]
    assert "nce_accuracy" not in train[-1] and "d_real" not in train[-1]  # frames kept: D_frame not consulted
    (evaluated,) = [{k: v for k, v in r.items() if k not in facts} for r in records if r["split"] == "eval"]
    assert sorted(evaluated) == sorted(step.EVAL_KEYS)
    assert all(0.0 <= v <= 1.0 for v in evaluated.values())
    samples = folder / "run" / "samples" / "step_0000003"
    assert (samples / "text2video_samples.png").is_file() and (samples / "text2video_samples.gif").is_file()


def test_export_then_load_draws_the_same_clips_and_generate_video_writes_them(tiny_run, tmp_path):
    result, folder = tiny_run
    config, g_vars = export.load(folder / "video.npz")
    assert config == RUN
    text = example(0, "test", 0, modalities=("video",))["video_caption"]
    tokens = config.tokenizer().encode_batch([text])  # one shape for every call below: one compilation
    from_state = step.generate(RUN, result.state, tokens, jax.random.key(5))
    from_file = step.generate(config, g_vars, tokens, jax.random.key(5))
    assert from_file.dtype == np.uint8 and from_file.shape == (1, 4, 16, 16, 3)
    np.testing.assert_array_equal(from_state, from_file)
    model = VideoModel((config, g_vars))
    clip = model.generate_video(text, seed=5)  # drawn in a padded chunk: the chunk's key, as generate's chunk=8
    np.testing.assert_array_equal(clip, step.generate(config, g_vars, tokens, jax.random.key(5), CHUNK)[0])
    model.save_gif(clip, tmp_path / "c.gif"), model.save_strip(clip, tmp_path / "c.png")
    assert Image.open(tmp_path / "c.png").size == (4 * 64 + 3 * 2, 64)  # 4 frames enlarged 4x, 2-px gaps
    assert Image.open(tmp_path / "c.gif").n_frames == 4


def test_mmjax_eval_scores_the_run_and_its_export_alike(tiny_run, tmp_path):
    from mmjax.cli import main

    _, folder = tiny_run
    reports = []
    for checkpoint in (folder / "run", folder / "video.npz"):
        out = tmp_path / "report.json"
        args = ["eval", "text2video", "--checkpoint", str(checkpoint), "--splits", "test", "--num-samples", "16"]
        assert main([*args, "--out", str(out)]) == 0
        reports.append(json.loads(out.read_text()))
    scores = [report["results"]["text2video"]["test"] for report in reports]
    assert reports[0]["kind"] == "video" and reports[0]["checkpoint_step"] == reports[1]["checkpoint_step"] == 3
    assert scores[0] == scores[1]  # the run's moving average is what the file holds
    assert {"coherence_all_correct", "coherence_motion", "coherence_frame_shape"} <= set(scores[0])


def test_generate_video_refuses_bad_captions():
    state = step.init(TINY, jax.random.key(0), step.make_optimizer(TINY, 10))
    model = VideoModel((TINY, sampler.sampling_variables(TINY, state)))
    refusals = {
        "a small red dragon moving left": "does not know the words 'dragon'",
        "   ": "has no words",
        "a " * 30: "has 30 words; the model reads at most 22",
        "a small red circle in the left": "ends with how the scene moves",
    }
    for prompt, message in refusals.items():
        with pytest.raises(ValueError, match=message):
            model.generate_video(prompt)
    with pytest.raises(TypeError, match="one prompt string"):
        model.generate_video(["a small red circle in the left moving up"])


def test_bad_shapes_and_configs_are_clear_errors():
    players, tokens = variables(), jnp.asarray(video_captions(2))
    with pytest.raises(ValueError, match="content code"):
        in_jit(lambda g, d, *a: g(*a), players, jnp.zeros((2, 3)), tokens)
    with pytest.raises(ValueError, match="integer token ids"):
        in_jit(lambda g, d, *a: g(*a), players, jnp.zeros((2, TINY.latent_dim)), tokens.astype(jnp.float32))
    with pytest.raises(ValueError, match=r"clips must have shape \[batch, 4, 16, 16, 3\]"):
        in_jit(lambda g, d, *a: d.clips(*a), players, jnp.zeros((2, 3, 16, 16, 3)), tokens)
    with pytest.raises(ValueError, match="frames_judged"):
        dataclasses.replace(TINY, frames_judged=5)
    with pytest.raises(ValueError, match="num_frames"):
        dataclasses.replace(TINY, num_frames=1)
    with pytest.raises(ValueError, match="clip_weight"):
        dataclasses.replace(TINY, clip_weight=-1.0)
    with pytest.raises(ValueError, match="divisible"):
        dataclasses.replace(TINY, text_heads=3)
    with pytest.raises(ValueError, match="motion must be one of shift, cell, code"):
        dataclasses.replace(TINY, motion="warp")
    with pytest.raises(ValueError, match="motion_reader must be one of frame, words"):
        dataclasses.replace(TINY, motion_reader="both")


def test_a_file_of_another_model_is_refused(tmp_path):
    state = step.init(TINY, jax.random.key(0), step.make_optimizer(TINY, 10))
    export.export(state, TINY, tmp_path / "video.npz")
    stored = np.load(tmp_path / "video.npz")
    arrays = {k: stored[k] for k in stored.files}
    meta = json.loads(str(arrays["__config__"]))
    meta["config"]["width"] = 8
    arrays["__config__"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "other.npz", **arrays)
    with pytest.raises(ValueError, match="does not match the model"):
        export.load(tmp_path / "other.npz")


def test_gif_strip_and_tile_hold_the_frames(tmp_path):
    clip = example(0, "train", 3, modalities=("video",))["video"]  # [8, 32, 32, 3]
    gif = Image.open(animation.save_gif(clip, tmp_path / "clip.gif", fps=4, scale=2))
    frames = np.stack([np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(gif)])
    assert gif.info["duration"] == 250 and gif.info["loop"] == 0
    np.testing.assert_array_equal(frames, animation.enlarge(clip, 2))  # few colours: the palette is exact
    strip = np.asarray(Image.open(animation.save_strip(clip, tmp_path / "clip.png", scale=1, gap=1)))
    assert strip.shape == (32, 8 * 33 - 1, 3)
    np.testing.assert_array_equal(strip[:, 33:65], clip[1])
    grid = animation.tile(np.stack([clip, clip[::-1], clip]), columns=2, gap=1)  # [8, 65, 65, 3]
    assert grid.shape == (8, 65, 65, 3)
    np.testing.assert_array_equal(grid[2, :32, 33:], clip[5])  # clip 1 (reversed) at the top right
    np.testing.assert_array_equal(grid[2, 33:, 33:], 255)  # no fourth clip: the fill
    with pytest.raises(ValueError, match="uint8 frames"):
        animation.save_gif(clip.astype(np.float32), tmp_path / "x.gif")


def test_frames_from_a_text2image_file_starts_the_frame_players_from_it(tmp_path):
    from mmjax.text2image import export as image_export

    image_config = TINY.frame_config()
    image_state = image_step.init(image_config, jax.random.key(1), image_step.make_optimizer(image_config, 10))
    image_export.export(image_state, image_config, tmp_path / "t2i.npz")
    config = dataclasses.replace(TINY, frames_from=str(tmp_path / "t2i.npz"))
    state = step.init(config, jax.random.key(0), step.make_optimizer(config, 10))
    fresh = step.init(TINY, jax.random.key(0), step.make_optimizer(TINY, 10))
    g, d = state["generator"], state["discriminator"]
    jax.tree.map(np.testing.assert_array_equal, g["params"]["frame"], image_state["generator"]["ema"])
    jax.tree.map(np.testing.assert_array_equal, g["ema"]["frame"], image_state["generator"]["ema"])
    jax.tree.map(np.testing.assert_array_equal, d["params"]["frames"], image_state["discriminator"]["params"])
    # what the image GAN has no counterpart of starts fresh
    jax.tree.map(np.testing.assert_array_equal, g["params"]["motion"], fresh["generator"]["params"]["motion"])
    jax.tree.map(np.testing.assert_array_equal, d["params"]["clips"], fresh["discriminator"]["params"]["clips"])
    with pytest.raises(ValueError, match="width"):
        wider = dataclasses.replace(config, width=8)
        step.init(wider, jax.random.key(0), step.make_optimizer(wider, 10))


def test_frames_from_shipped_starts_the_frames_from_the_shipped_video_models_frame_generator(tmp_path, monkeypatch):
    """ "shipped" reads G's frame generator from the shipped text2video.npz (here a TINY one in its place);
    that file holds no discriminators, so D_frame starts fresh."""
    shipped_state = step.init(TINY, jax.random.key(3), step.make_optimizer(TINY, 10))
    export.export(shipped_state, TINY, tmp_path / "video.npz")
    monkeypatch.setattr(export, "load", lambda path=None: export.SHIPPED.load(tmp_path / "video.npz"))
    config = dataclasses.replace(TINY, frames_from="shipped")
    state = step.init(config, jax.random.key(0), step.make_optimizer(config, 10))
    fresh = step.init(TINY, jax.random.key(0), step.make_optimizer(TINY, 10))
    shipped_g = export.load()[1]
    jax.tree.map(np.testing.assert_array_equal, state["generator"]["params"]["frame"], shipped_g["params"]["frame"])
    jax.tree.map(
        np.testing.assert_array_equal, state["generator"]["params"]["motion"], fresh["generator"]["params"]["motion"]
    )
    jax.tree.map(np.testing.assert_array_equal, state["discriminator"], fresh["discriminator"])
    with pytest.raises(ValueError, match=r"other \['width'\] than this config"):
        step.warm_start(dataclasses.replace(config, width=2 * TINY.width))


def test_the_real_shipped_video_model_gives_the_default_config_its_frames():
    from mmjax.text2video.config import TextToVideoConfig

    warm = step.warm_start(TextToVideoConfig())
    assert set(warm["players"]) == {"generator"}  # no D_frame in the shipped file
    jax.tree.map(
        np.testing.assert_array_equal, warm["players"]["generator"]["params"], export.load()[1]["params"]["frame"]
    )


def test_the_eval_adapter_draws_judge_sized_clips_of_an_exported_file(tmp_path):
    from mmjax.eval.adapters import text2video as adapter

    state = step.init(TINY, jax.random.key(0), step.make_optimizer(TINY, 10))
    export.export(state, TINY, tmp_path / "video.npz")
    generate = adapter.load(str(tmp_path / "video.npz"))
    tokens = video_captions(3)
    clips = generate({"tokens": tokens}, jax.random.key(1))
    assert adapter.KIND == "video" and clips.dtype == np.uint8
    assert clips.shape == (3, TINY.num_frames, 32, 32, 3)  # TINY draws 16 x 16: resized for the judge
    drawn = step.generate(TINY, export.load(tmp_path / "video.npz")[1], tokens, jax.random.key(1), step.EVAL_BATCH)
    resized = sampler.judge_size(drawn.reshape(-1, *drawn.shape[2:])).reshape(clips.shape)
    np.testing.assert_array_equal(clips, resized)
