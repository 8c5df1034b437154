"""Pictures from elsewhere (issue 23 item 1): the PIL rasteriser, grammar-constrained decoding, the caption
score, input normalisation and ``mmjax eval captioner --robustness``."""

import functools
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from hypothesis import given, settings
from hypothesis import strategies as st

from mmjax.captioner import model as M
from mmjax.captioner.config import CaptionerConfig, CaptionerModelConfig
from mmjax.captioner.step import caption_images
from mmjax.data import attributes as A
from mmjax.data.caption_grammar import DEAD, DONE, accepts, caption_automaton
from mmjax.data.captions import describe, parse_caption
from mmjax.data.render import render_image
from mmjax.data.scene import Scene, ShapeObject, sample_scene
from mmjax.data.tokenizer import Tokenizer
from mmjax.eval.robustness.normalise import normalise
from mmjax.eval.robustness.rasterise import CONDITIONS, Condition, rasterise
from mmjax.nn import functional as F
from mmjax.nn.decoding import DecodeOptions, decode

TINY = CaptionerConfig(
    model=CaptionerModelConfig(
        patch_size=8, d_model=32, num_heads=2, num_encoder_layers=1, num_decoder_layers=1, d_hidden=64
    )
)


# ---- the rasteriser -------------------------------------------------------------------------------------------
def _mask(picture: np.ndarray) -> np.ndarray:
    return picture.max(-1) > 100


@pytest.mark.parametrize("index", range(12))
def test_rasteriser_draws_the_scene_the_sdf_renderer_draws(index):
    """On black, the PIL picture covers the pixels the training renderer covers, in the object's colour."""
    scene = sample_scene(0, "test", index)
    pil, sdf = rasterise(scene), render_image(scene)
    overlap = (_mask(pil) & _mask(sdf)).sum() / (_mask(pil) | _mask(sdf)).sum()
    assert overlap > 0.8
    for obj in scene.objects:
        cy, cx = (
            int(round(f * 32 - 0.5 + j))
            for f, j in zip(((0.2, 0.5, 0.8)[obj.row], (0.2, 0.5, 0.8)[obj.col]), obj.jitter)
        )
        assert np.abs(pil[cy, cx].astype(int) - A.COLOUR_RGB[obj.colour]).max() <= 12, (obj, pil[cy, cx])


def test_sizes_and_backgrounds():
    small, large = (Scene((ShapeObject(1, 0, size, 1, 1),), A.NO_RELATION, 0) for size in (0, 1))
    assert 1.5 < _mask(rasterise(large)).sum() / _mask(rasterise(small)).sum() < 3.5
    white = rasterise(small, Condition("white", background=(255, 255, 255)))
    assert (white[0, 0] == 255).all() and np.abs(white[16, 16].astype(int) - A.COLOUR_RGB[0]).max() <= 3


def test_conditions_are_deterministic_and_change_the_picture():
    scene = sample_scene(0, "test", 3)
    black = rasterise(scene)
    for condition in CONDITIONS[1:]:
        picture = rasterise(scene, condition, seed=5)
        assert picture.shape == (32, 32, 3) and picture.dtype == np.uint8
        assert np.array_equal(picture, rasterise(scene, condition, seed=5))
        assert not np.array_equal(picture, black), condition.name


# ---- normalisation --------------------------------------------------------------------------------------------
def test_background_normalisation_is_the_identity_on_black_and_maps_a_grey_background_to_black():
    scenes = [sample_scene(0, "test", i) for i in (*range(8), 40, 253, 995)]  # 40, 253, 995 touch the border
    pictures = np.stack([render_image(s) for s in scenes])
    assert np.array_equal(normalise(pictures, "background"), pictures)
    assert np.array_equal(normalise(pictures, "denoise"), pictures)
    grey = np.stack([rasterise(s, Condition("grey", background=(128, 128, 128))) for s in scenes])
    black = np.stack([rasterise(s) for s in scenes])
    normalised = normalise(grey, "background")
    assert (normalised[:, 0, 0] == 0).all() and np.abs(normalised.astype(int) - black).mean() < 4
    noisy = np.stack([rasterise(s, Condition("noise", noise=20.0), seed=i) for i, s in enumerate(scenes)])
    denoised = normalise(noisy, "denoise")
    background = black.max(-1) == 0
    assert (denoised.max(-1)[background] == 0).mean() > 0.95 and (noisy.max(-1)[background] == 0).mean() < 0.6


# ---- the grammar and constrained decoding ----------------------------------------------------------------------
def test_the_automaton_accepts_every_still_caption_and_nothing_else():
    rng = np.random.default_rng(0)
    for i in range(200):
        assert accepts(describe(sample_scene(0, "train", i), rng))
    for text in ("a small red circle", "there is a tiny magenta magenta", "a small red circle in the top moving left"):
        assert not accepts(text)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_every_path_through_the_automaton_parses(seed):
    automaton, tokenizer, rng = caption_automaton(), Tokenizer.default(), np.random.default_rng(seed)
    state, words = automaton.next_state[automaton.start, tokenizer.bos_id], []
    while state != DONE:
        token = rng.choice(np.flatnonzero(automaton.next_state[state] != DEAD))
        state = automaton.next_state[state, token]
        words += [] if token == tokenizer.eos_id else [tokenizer.vocabulary[token]]
    parse_caption(" ".join(words))


@functools.cache
def _random_decoder(method):
    """Decode a "model" of random logits (biased towards <eos> and <pad>), drawn from each row's seed."""
    tokenizer = Tokenizer.default()
    bias = jnp.zeros(tokenizer.vocab_size).at[jnp.array([tokenizer.eos_id, tokenizer.pad_id])].set(5.0)

    def step_fn(tokens, seeds, index):
        def row(seed):
            return jax.random.normal(jax.random.fold_in(jax.random.key(seed), index), (tokenizer.vocab_size,))

        return 3.0 * jax.vmap(row)(seeds) + bias, seeds

    options = DecodeOptions(method, max_length=22, beam_size=3, constraint=caption_automaton())
    return jax.jit(
        lambda seeds: decode(step_fn, seeds, jnp.full(seeds.shape, 1, jnp.int32), options, jax.random.key(0))
    )


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**31 - 8), st.sampled_from(["greedy", "beam", "sample"]))
def test_constrained_decoding_of_random_logits_always_parses(seed, method):
    """Any model at all: whatever the logits, the grammar lets only captions out."""
    ids = _random_decoder(method)(jnp.arange(seed, seed + 6, dtype=jnp.uint32))
    for row in np.asarray(ids):
        parse_caption(Tokenizer.default().decode(row))


@pytest.mark.slow  # ~20 s on a busy 2-core machine: two captioner compiles
@pytest.mark.parametrize("method", ["greedy", "beam"])
def test_an_untrained_captioner_decoded_with_the_grammar_always_parses(method):
    variables = F.split(M.make_model(TINY, rngs=nnx.Rngs(1)))[1]
    images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3)).astype(np.uint8)
    free = caption_images(TINY, variables, images, method)
    assert not all(accepts(c) for c in free)  # untrained: free decoding says nonsense
    for caption in caption_images(TINY, variables, images, method, constraint=caption_automaton()):
        parse_caption(caption)


# ---- the score and the CLI (shipped models) --------------------------------------------------------------------
@pytest.mark.slow  # loads and compiles the shipped captioner (~15 s busy)
def test_the_score_separates_test_pictures_from_noise_grey_and_all_ones():
    import mmjax
    from mmjax.pretrained.model import SCORE_THRESHOLD

    model = mmjax.load_pretrained("shapes")
    test = np.stack([render_image(sample_scene(0, "test", i)) for i in range(16)])
    rng = np.random.default_rng(0)
    other = np.concatenate(
        [
            rng.integers(0, 256, (6, 32, 32, 3)).astype(np.uint8),
            np.full((5, 32, 32, 3), 128, np.uint8) + np.arange(5, dtype=np.uint8)[:, None, None, None] * 20,
            np.full((5, 32, 32, 3), 255, np.uint8),
        ]
    )
    captions, scores = model.generate_texts(np.concatenate([test, other]), return_score=True)
    assert all(accepts(c) for c in captions)
    assert min(scores[:16]) > SCORE_THRESHOLD > max(scores[16:])
    caption, score = model.generate_text(test[0], return_score=True)
    assert (caption, score) == (captions[0], pytest.approx(scores[0], abs=1e-5))


@pytest.mark.slow  # the shipped captioner over 15 conditions (~20 s busy)
def test_robustness_cli_runs_at_a_tiny_size_and_writes_its_json(tmp_path):
    from mmjax.cli import main

    out = tmp_path / "robustness.json"
    args = ["eval", "captioner", "--robustness", "--num-samples", "2", "--normalise", "none,background"]
    assert main([*args, "--decoding", "constrained", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    table = report["results"]["constrained decoding, normalise=none"]
    assert set(table) == {"test split (SDF)", *(c.name for c in CONDITIONS)}
    cell = table["black"]["two objects"]
    assert cell["n"] == 2 and cell["unparseable"] == 0.0 and 0.0 <= cell["accuracy"] <= 1.0
    assert main(["eval", "captioner", "--robustness", "--normalise", "sharpen"]) == 2


def test_the_table_scores_an_oracle_at_one_and_a_constant_or_unparseable_caption_below_it():
    from mmjax.eval.robustness.table import (
        GROUPS,
        IN_DISTRIBUTION,
        format_robustness,
        robustness_scenes,
        robustness_table,
    )

    conditions, count = CONDITIONS[:2], 3
    scenes = robustness_scenes(count, seed=1)
    assert [len(scenes[g]) for g in GROUPS] == [count, count]
    assert [len(s.objects) for s in scenes[GROUPS[0]]] == [1] * count and {
        len(s.objects) for s in scenes[GROUPS[1]]
    } == {2}
    rng = np.random.default_rng(0)
    truth = [describe(s, rng) for g in GROUPS for s in scenes[g]]  # one condition's pictures, in the table's order

    def oracle(images):  # knows the scenes behind the pictures: every condition repeats them
        assert len(images) == len(truth) * (1 + len(conditions))
        return truth * (1 + len(conditions))

    rows = robustness_table(oracle, count, 1, ("none",), conditions)["none"]
    assert list(rows) == [IN_DISTRIBUTION, *(c.name for c in conditions)]
    for row in rows.values():
        assert row == {g: {"accuracy": 1.0, "unparseable": 0.0, "n": count} for g in GROUPS}
    constant = robustness_table(lambda images: [truth[0]] * len(images), count, 1, ("none",), conditions)["none"]
    for row in constant.values():
        assert row[GROUPS[0]]["accuracy"] < 1.0 and row[GROUPS[1]]["accuracy"] == 0.0
        assert row[GROUPS[0]]["unparseable"] == row[GROUPS[1]]["unparseable"] == 0.0
    garbage = robustness_table(lambda images: ["red red red"] * len(images), count, 1, ("none",), conditions)
    assert all(cell["unparseable"] == 1.0 for row in garbage["none"].values() for cell in row.values())
    text = format_robustness({"free, none": rows})
    assert "== free, none ==" in text and all(name in text for name in rows)
