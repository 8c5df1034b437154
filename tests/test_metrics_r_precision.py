"""R-precision on hand-made embeddings; the contrastive encoder's loss and export; the shipped one on real renders."""

import jax
import numpy as np
import pytest

from mmjax.data.loader import collate
from mmjax.data.shapes import example
from mmjax.metrics.contrastive import (
    ContrastiveConfig,
    TrainedEncoder,
    embed_images,
    embed_texts,
    load_encoder,
    read_metadata,
)
from mmjax.metrics.contrastive.data import pairs
from mmjax.metrics.contrastive.export import export
from mmjax.metrics.contrastive.step import clip_loss
from mmjax.metrics.contrastive.task import TASK
from mmjax.metrics.r_precision import r_precision, r_precision_of_images


def random_unit(rng, n, dim=16):
    x = rng.normal(size=(n, dim))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_matching_embeddings_score_one_and_unrelated_ones_score_chance():
    rng = np.random.default_rng(0)
    texts = random_unit(rng, 300)
    facts = list(range(300))  # every caption means something different
    assert r_precision(texts, texts, facts) == 1.0
    chance = r_precision(random_unit(rng, 300), texts, facts)
    assert chance < 0.05  # 1/100 expected


def test_paraphrases_of_the_same_facts_are_never_negatives():
    rng = np.random.default_rng(1)
    texts = random_unit(rng, 200)
    images = texts.copy()
    images[1] = texts[0]  # image 1 looks exactly like caption 0 ...
    facts = list(range(200))
    facts[1] = facts[0]  # ... which states the same facts as caption 1: not a wrong caption
    texts[1] = texts[0]
    assert r_precision(images, texts, facts) == 1.0


def test_r_precision_needs_enough_distinct_negatives():
    with pytest.raises(ValueError, match="at least 99"):
        r_precision(np.eye(50), np.eye(50), list(range(50)))
    with pytest.raises(ValueError, match=r"\[N, E\]"):
        r_precision(np.eye(5), np.eye(4), list(range(5)))


def test_shipped_encoder_ranks_real_captions_far_above_chance():
    encoder, _ = load_encoder()
    stored = read_metadata()["extra"]["r_precision_real"]
    assert stored["test"] > 0.95 and stored["test_heldout"] > 0.8
    items = [example(0, "test", i, modalities=("image", "caption")) for i in range(200)]
    images, tokens, captions = (
        np.stack([x["image"] for x in items]),
        np.stack([x["tokens"] for x in items]),
        [x["caption"] for x in items],
    )
    real = r_precision_of_images(encoder, images, tokens, captions)
    shuffled = r_precision_of_images(encoder, images[::-1].copy(), tokens, captions)
    assert real > 0.8 and shuffled < 0.1


TINY = dict(
    image_widths=(4, 8),
    text_width=8,
    num_heads=1,
    embed_dim=8,
    num_train_examples=64,
    num_eval_examples=128,
    batch_size=8,
)


def test_clip_loss_matches_a_numpy_reference_on_the_embeddings():
    config = ContrastiveConfig(**TINY)
    state = TASK.init_state(config, jax.random.key(0), 4)
    batch = collate([pairs(config)[i] for i in range(8)])
    encoder = TrainedEncoder(config, {"params": state["params"], "state": state["state"]})
    u, v = embed_images(encoder, batch["image"]), embed_texts(encoder, batch["tokens"])
    scores = np.exp(float(state["params"]["log_temperature"])) * u @ v.T  # S_ij = exp(t) <u_i, v_j>

    def cross_entropy_of_the_diagonal(s):
        return np.mean(np.log(np.exp(s).sum(1)) - np.diag(s))

    expected = (cross_entropy_of_the_diagonal(scores) + cross_entropy_of_the_diagonal(scores.T)) / 2
    np.testing.assert_allclose(float(clip_loss(config, state, batch)), expected, rtol=1e-4)


def test_encoder_export_round_trips_and_evaluate_returns_its_keys(tmp_path):
    config = ContrastiveConfig(**TINY)
    state = TASK.init_state(config, jax.random.key(0), 4)
    assert set(TASK.check_eval_metrics(TASK.evaluate(state, config))) == set(TASK.eval_keys)
    export(state, config, tmp_path / "c.npz", report_examples=128)
    loaded, loaded_config = load_encoder(tmp_path / "c.npz")
    assert loaded_config == config
    assert set(read_metadata(tmp_path / "c.npz")["extra"]["r_precision_real"]) == {"test", "test_heldout"}
    tokens = np.random.default_rng(0).integers(1, config.vocab_size, (5, config.max_tokens))
    trained = TrainedEncoder(config, {"params": state["params"], "state": state["state"]})
    np.testing.assert_array_equal(embed_texts(loaded, tokens), embed_texts(trained, tokens))
