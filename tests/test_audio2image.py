"""The audio-to-image GAN: shapes, the per-cell targets and losses against hand computations, any sound as a
clip, a short run through the loop, export -> load -> the same images, and ``mmjax eval audio2image``."""

import dataclasses
import json
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mmjax.audio.wav import write_wav
from mmjax.audio2image import export, step
from mmjax.audio2image.config import AudioToImageConfig
from mmjax.audio2image.data import clip_from, make_source, model_batch
from mmjax.audio2image.model import slot_weights
from mmjax.audio2image.task import TASK
from mmjax.cli import main
from mmjax.data import attributes as A
from mmjax.data.audio import NUM_SAMPLES, SAMPLE_RATE
from mmjax.data.cells import NUM_CELLS, cell_targets
from mmjax.data.shapes import example
from mmjax.eval.generators import load_generator
from mmjax.eval.prompts import prompt_batch
from mmjax.gan.cells import CELL_CLASSES, cell_loss, place_cells
from mmjax.gan.rounds import moving_average
from mmjax.nn import functional as F
from mmjax.pretrained.audio import load_audio_model
from mmjax.train import loop
from mmjax.train.config import TrainConfig
from mmjax.train.metrics_log import read_metrics
from mmjax.utils import artifacts

TINY = AudioToImageConfig(
    latent_dim=4,
    width=4,
    audio_dim=8,
    audio_layers=1,
    audio_heads=2,
    audio_hidden=16,
    listen="cells",
    contrastive_dim=8,
    batch_size=4,
    num_train_examples=16,
    num_eval_examples=4,
)
LABELS = ("shape", "colour", "size", "row", "col")


def clips(count: int, split: str = "train") -> np.ndarray:
    return np.stack([example(0, split, i, modalities=("audio",))["audio"] for i in range(count)])


def raw_batch(count: int = 4) -> dict:
    source = make_source(TINY)
    return {k: np.stack([source[i][k] for i in range(count)]) for k in ("image", "audio", *LABELS)}


def players(seed: int = 0) -> tuple:
    """((G's graph, variables), (D's graph, variables)) of TINY, built by the compiled init the loop uses
    (building eagerly would compile op by op)."""
    state = step.init(TINY, jax.random.key(seed), step.make_optimizer(TINY, 1))
    return tuple(
        (graph, {"params": state[player]["params"], "state": state[player]["state"]})
        for graph, player in zip(step.graphs(TINY), ("generator", "discriminator"))
    )


def test_players_draw_images_in_range_and_judge_them():
    (g_graph, g_vars), (d_graph, d_vars) = players()

    @jax.jit
    def play(z, audio):
        images = F.call(g_graph, g_vars, z, audio)[0]
        # every call starts from the same spectral-norm state, so the outputs can be compared
        judged = F.call(d_graph, d_vars, images, audio, method="heads")[0]
        game = F.call(d_graph, d_vars, images, images, audio, method="pairs")[0]
        wrong = F.call(d_graph, d_vars, images, jnp.roll(audio, 1, axis=0))[0]
        return images, judged, game, wrong

    images, out, game, wrong = play(jnp.zeros((3, TINY.latent_dim)), jnp.asarray(clips(3)))
    assert images.shape == (3, 32, 32, 3) and images.dtype == jnp.float32 and float(jnp.abs(images).max()) <= 1.0
    assert out["logits"].shape == (3,) and out["u"].shape == (3, TINY.contrastive_dim)
    np.testing.assert_allclose(jnp.linalg.norm(out["v"], axis=1), 1.0, rtol=1e-5)
    assert {k: v.shape for k, v in out["cells"].items()} == {
        name: (3, NUM_CELLS, classes) for name, classes in zip(("shape", "colour", "size"), CELL_CLASSES)
    }
    # the game's "wrong" pairs are the real images against the next example's clip: roll(a, 1)
    np.testing.assert_allclose(game["wrong"]["logits"], wrong, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(game["fake"]["logits"], game["real"]["logits"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(game["real"]["logits"], out["logits"], rtol=1e-5, atol=1e-5)


def test_the_clip_and_the_latent_both_change_the_image():
    graph, variables = players(1)[0]
    draw = jax.jit(lambda z, audio: F.call(graph, variables, z, audio)[0])
    z = jax.random.normal(jax.random.key(2), (2, TINY.latent_dim))
    audio = jnp.asarray(clips(2))
    a = draw(z, audio)
    assert float(jnp.abs(a - draw(z, audio[::-1])).max()) > 1e-4  # the sound reaches the pixels
    assert float(jnp.abs(a - draw(z[::-1], audio)).max()) > 1e-4  # so does the latent


@pytest.mark.parametrize(
    "audio, message",
    [
        (np.zeros((2, 4000), np.float32), "shape \\[2, 4608\\]"),
        (np.zeros((2, NUM_SAMPLES), np.int32), "float clips"),
        (np.zeros((3, NUM_SAMPLES), np.float32), "shape \\[2, 4608\\]"),
    ],
)
def test_bad_audio_for_the_players_is_a_clear_error(audio, message):
    graph, variables = players()[0]
    with pytest.raises(ValueError, match=message):
        F.call(graph, variables, jnp.zeros((2, TINY.latent_dim)), jnp.asarray(audio))


def test_each_cell_hears_its_own_slot_and_each_place_its_nearest_cell():
    # frame t (256 samples, centred on sample 128 t) lies inside slot k (samples 512 k .. 512 k + 511)
    # for t = 4k + 1 .. 4k + 3; the frames that straddle two slots are left out
    weights = slot_weights(37)
    expected = np.zeros((NUM_CELLS, 37), np.float32)
    for k in range(NUM_CELLS):
        expected[k, 4 * k + 1 : 4 * k + 4] = 1 / 3
    np.testing.assert_allclose(weights, expected)
    # at 32x32 the cells' centres sit at 6.4, 16 and 25.6 px: pixels 0-10, 11-20, 21-31 are nearest to each
    rows = np.repeat(np.arange(3), (11, 10, 11))
    np.testing.assert_array_equal(place_cells(32).argmax(1).reshape(32, 32), 3 * rows[:, None] + rows[None, :])
    np.testing.assert_array_equal(place_cells(8).argmax(1).reshape(8, 8)[:, 0], [0, 0, 0, 3, 3, 6, 6, 6])
    assert place_cells(8).sum() == 64  # one cell per place


def test_heard_cells_are_sums_of_one_row_per_attribute_so_an_unheard_pair_is_made_of_known_rows():
    from flax import nnx

    from mmjax.gan.cells import HeardCells

    heard = HeardCells(8, rngs=nnx.Rngs(0))

    def cell(shape, colour, size):  # near one-hot logits of one object in cell 0, the other cells empty
        ids = {"shape": shape, "colour": colour, "size": size}
        return {
            name: 50.0 * jax.nn.one_hot(jnp.full((1, NUM_CELLS), classes - 1).at[0, 0].set(ids[name]), classes)
            for name, classes in zip(("shape", "colour", "size"), CELL_CLASSES)
        }

    c = heard(cell(1, 2, 0))  # [1, 9, 8]
    rows = {name: heard.tables[name][...] for name in ("shape", "colour", "size")}
    np.testing.assert_allclose(c[0, 0], rows["shape"][1] + rows["colour"][2] + rows["size"][0], atol=1e-5)
    np.testing.assert_allclose(c[0, 4], rows["shape"][-1] + rows["colour"][-1] + rows["size"][-1], atol=1e-5)
    # additive: (shape 3, colour 4) = (3, 2) + (1, 4) - (1, 2), a pair from three others
    pair = heard(cell(3, 4, 1))[0, 0]
    made = heard(cell(3, 2, 1))[0, 0] + heard(cell(1, 4, 1))[0, 0] - heard(cell(1, 2, 1))[0, 0]
    np.testing.assert_allclose(pair, made, atol=1e-4)
    # with listen="heard" the clip reaches G's drawing through the ear's names alone: silence the ear and two
    # different clips draw one picture; with listen="cells" the slots themselves still reach it
    from mmjax.audio2image.model import build_players

    z, audio = jnp.zeros((2, TINY.latent_dim)), jnp.asarray(clips(2))
    for listen, same in (("heard", True), ("cells", False)):
        g = build_players(dataclasses.replace(TINY, listen=listen), jax.random.key(0))[0]
        g.hear.kernel[...] = jnp.zeros_like(g.hear.kernel[...])
        g.hear.bias[...] = jnp.zeros_like(g.hear.bias[...])
        images = g(z, audio)
        assert bool(jnp.allclose(images[0], images[1], atol=1e-6)) == same, listen


def test_bad_config_is_a_clear_error():
    with pytest.raises(ValueError, match="listen"):
        dataclasses.replace(TINY, listen="both")
    with pytest.raises(ValueError, match="divisible"):
        dataclasses.replace(TINY, audio_dim=10, audio_heads=4)
    with pytest.raises(ValueError, match=">= 0"):
        dataclasses.replace(TINY, cell_weight=-1.0)
    with pytest.raises(ValueError, match="ema_decay"):
        dataclasses.replace(TINY, ema_decay=1.0)


def test_cell_targets_lay_the_objects_out_on_the_grid():
    labels = {  # two scenes: a large blue cross at (2, 0) with a small red circle at (0, 1); a lone green square
        "shape": np.array([[3, 0], [1, A.ABSENT]]),
        "colour": np.array([[2, 0], [1, A.ABSENT]]),
        "size": np.array([[1, 0], [0, A.ABSENT]]),
        "row": np.array([[2, 0], [1, A.ABSENT]]),
        "col": np.array([[0, 1], [2, A.ABSENT]]),
    }
    targets = {k: np.asarray(v) for k, v in cell_targets(labels).items()}
    empty = {"shape": len(A.SHAPES), "colour": len(A.COLOURS), "size": len(A.SIZES)}
    expected = {k: np.full((2, NUM_CELLS), n) for k, n in empty.items()}
    for name, values in (("shape", (3, 0, 1)), ("colour", (2, 0, 1)), ("size", (1, 0, 0))):
        expected[name][0, 6], expected[name][0, 1], expected[name][1, 5] = values  # cells 3 row + col
    for name in empty:
        np.testing.assert_array_equal(targets[name], expected[name])


def test_cell_loss_is_the_summed_cross_entropy_and_counts_object_cells_only():
    rng = np.random.default_rng(0)
    targets = {k: np.asarray(v) for k, v in cell_targets(raw_batch(3)).items()}
    logits = {k: rng.normal(size=(3, NUM_CELLS, n)).astype(np.float32) for k, n in zip(targets, CELL_CLASSES)}
    by_hand, right = 0.0, np.ones((3, NUM_CELLS), bool)
    for name in targets:
        log_p = logits[name] - np.log(np.exp(logits[name]).sum(-1, keepdims=True))
        by_hand += -np.take_along_axis(log_p, targets[name][..., None], -1).sum() / 3
        right &= logits[name].argmax(-1) == targets[name]
    occupied = targets["shape"] != len(A.SHAPES)
    loss, accuracy = cell_loss({k: jnp.asarray(v) for k, v in logits.items()}, targets)
    np.testing.assert_allclose(loss, by_hand, rtol=1e-5)
    np.testing.assert_allclose(accuracy, right[occupied].mean(), rtol=1e-6)


def test_model_batch_scales_pixels_and_keeps_labels_away_from_g():
    batch = model_batch(raw_batch())
    assert set(batch) == {"x", "audio", "cells"} and batch["audio"].shape == (4, NUM_SAMPLES)
    assert float(batch["x"].min()) >= -1.0 and float(batch["x"].max()) <= 1.0


def test_any_sound_becomes_a_shapes_clip(tmp_path):
    clip = next(c for c in clips(20) if np.abs(c[:1000]).max() > 0.1)  # a note sounds in its first 1000 samples
    np.testing.assert_array_equal(clip_from(clip), clip)
    # shorter: silence after it; longer: cut to the first 4608 samples
    np.testing.assert_array_equal(clip_from(clip[:1000]), np.concatenate([clip[:1000], np.zeros(NUM_SAMPLES - 1000)]))
    np.testing.assert_array_equal(clip_from(np.concatenate([clip, clip])), clip)
    # another rate is resampled to 8 kHz: a 16 kHz clip of the same sound gives back (nearly) the 8 kHz one
    doubled = np.interp(np.arange(2 * NUM_SAMPLES) / 2, np.arange(NUM_SAMPLES), clip).astype(np.float32)
    assert np.abs(clip_from(doubled, rate=2 * SAMPLE_RATE) - clip).max() < 0.05
    # a WAV file goes through read_wav (16-bit: within two quantisation steps)
    path = write_wav(tmp_path / "scene.wav", clip)
    np.testing.assert_allclose(clip_from(path), clip, atol=2 / 32767)
    np.testing.assert_allclose(clip_from(str(path)), clip, atol=2 / 32767)


@pytest.mark.parametrize(
    "audio, error, message",
    [
        ((np.ones(NUM_SAMPLES) * 1000).astype(np.int16), TypeError, "float array"),
        (np.zeros((NUM_SAMPLES, 2), np.float32) + 0.1, ValueError, "stereo"),
        (np.zeros(0, np.float32), ValueError, "no samples"),
        (np.zeros(NUM_SAMPLES, np.float32), ValueError, "silent"),
        (np.full(NUM_SAMPLES, np.nan, np.float32), ValueError, "NaN"),
        (np.full(NUM_SAMPLES, 2.0, np.float32), ValueError, "\\[-1, 1\\]"),
    ],
)
def test_bad_sounds_are_clear_errors(audio, error, message):
    with pytest.raises(error, match=message):
        clip_from(audio)


def test_bad_paths_and_rates_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no WAV file"):
        clip_from(tmp_path / "missing.wav")
    (tmp_path / "notes.txt").write_text("not a sound")
    with pytest.raises(ValueError, match="not an uncompressed integer-PCM WAV"):
        clip_from(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="rate"):
        clip_from(clips(1)[0], rate=0)


def test_the_moving_average_warms_up_then_decays_at_the_configured_rate():
    # theta_ema <- d theta_ema + (1 - d) theta with d = min(decay, (1 + t) / (10 + t)), t = G's updates so far
    g = {"step": jnp.asarray(1), "params": {"w": jnp.full(3, 2.0)}, "ema": {"w": jnp.zeros(3)}}
    d = min(TINY.ema_decay, 2 / 11)
    np.testing.assert_allclose(moving_average(g, TINY.ema_decay)["ema"]["w"], (1 - d) * 2.0, rtol=1e-6)
    late = moving_average({**g, "step": jnp.asarray(10**6)}, 0.9)
    np.testing.assert_allclose(late["ema"]["w"], 0.1 * 2.0, rtol=1e-5)


def shipped_folder(tmp_path, monkeypatch, state) -> str:
    """``MMJAX_ARTIFACTS`` pointing at a folder holding the judge and ``shapes-audio/audio2image.npz``."""
    folder = tmp_path / "artifacts"
    shutil.copytree(artifacts.artifacts_dir() / "judge", folder / "judge")
    TASK.export(state, TINY, folder / export.ARTIFACT)
    monkeypatch.setenv(artifacts.ENV_VAR, str(folder))
    return str(folder / export.ARTIFACT)


def test_a_short_run_evaluates_exports_and_draws_the_same_images_everywhere(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    settings = TrainConfig(
        steps=3, run_dir=str(run_dir), progress=False, sample_every=-1, async_checkpoints=False, log_every=1
    )
    result = loop.train(TASK, TINY, settings, log=lambda message: None)
    rows = read_metrics(run_dir / "metrics.jsonl")
    evals, trains = [r for r in rows if r.get("split") == "eval"], [r for r in rows if r.get("split") == "train"]
    assert evals and set(step.EVAL_KEYS) <= set(evals[-1])
    assert all(0.0 <= evals[-1][k] <= 1.0 for k in step.EVAL_KEYS)
    logged = {"d_loss", "g_loss", "cell_loss", "g_cell_loss", "slot_loss", "slot_accuracy", "nce", "g_nce"}
    assert (
        trains
        and logged <= set(trains[-1])
        and all(np.isfinite(v) for v in trains[-1].values() if isinstance(v, float))
    )
    # both players moved from the loop's initial state, and G's moving average trails G
    before = TASK.init_state(TINY, jax.random.split(jax.random.key(0))[0], 3)
    after = result.state
    for player in ("generator", "discriminator"):
        assert int(after[player]["step"]) == 3
        moved = jax.tree.map(
            lambda a, b: float(jnp.abs(a - b).max()), after[player]["params"], before[player]["params"]
        )
        assert max(jax.tree.leaves(moved)) > 0, player
    lag = jax.tree.map(
        lambda e, p: float(jnp.abs(e - p).max()), after["generator"]["ema"], after["generator"]["params"]
    )
    assert max(jax.tree.leaves(lag)) > 0

    # the run's state, its exported file and the shipped default draw the same images
    audio, key = clips(5, "test"), jax.random.key(3)
    images = step.generate(TINY, result.state, audio, key, step.EVAL_BATCH)
    assert images.dtype == np.uint8 and images.shape == (5, 32, 32, 3)
    shipped = shipped_folder(tmp_path, monkeypatch, result.state)
    config, g_vars = export.load()
    assert config == TINY
    np.testing.assert_array_equal(step.generate(config, g_vars, audio, key, step.EVAL_BATCH), images)
    model = load_audio_model()  # the shipped default: here the run's export
    one = np.asarray(model.generate_image_from_audio(audio[0], seed=7))
    assert one.shape == (32, 32, 3) and one.dtype == np.uint8
    np.testing.assert_array_equal(one, step.generate(TINY, result.state, audio[:1], jax.random.key(7))[0])
    from_wav = np.asarray(model.generate_image_from_audio(write_wav(tmp_path / "a.wav", audio[0]), seed=7))
    assert np.abs(from_wav.astype(int) - one).max() <= 2  # the same sound, 16-bit quantised

    # mmjax eval audio2image: the same images, scored against every label the clip states
    prompts = prompt_batch("test", 0, 5, audio=True)
    for checkpoint in (str(run_dir), shipped, None):
        kind, generate = load_generator("audio2image", checkpoint)
        assert kind == "audio_image" and generate.step == 3
        np.testing.assert_array_equal(generate(prompts, key), images)
    out = tmp_path / "report.json"
    assert main(["eval", "audio2image", "--splits", "test", "--num-samples", "16", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    scores = report["results"]["audio2image"]["test"]
    assert report["kind"] == "audio_image" and report["checkpoint"] == shipped
    assert 0.0 <= scores["coherence_all_correct"] <= 1.0 and "coherence_row" in scores
    assert "distinct_free_line" not in scores  # a clip states every cell: nothing is free


def test_missing_shipped_file_names_the_command_that_makes_it(tmp_path, monkeypatch):
    monkeypatch.setenv(artifacts.ENV_VAR, str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="mmjax train audio2image"):
        export.load()
    with pytest.raises(FileNotFoundError, match="shapes-audio/audio2image.npz"):
        load_generator("audio2image")
