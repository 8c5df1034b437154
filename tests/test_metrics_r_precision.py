"""R-precision on hand-made embeddings, and the shipped contrastive encoder on real renders."""

import numpy as np
import pytest

from mmjax.metrics.r_precision import r_precision


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
    from mmjax.data.shapes import example
    from mmjax.metrics.contrastive.train import DEFAULT_CHECKPOINT, load_encoder
    from mmjax.metrics.r_precision import r_precision_of_images

    if not DEFAULT_CHECKPOINT.exists():
        pytest.fail(f"missing {DEFAULT_CHECKPOINT}: run python -m mmjax.metrics.contrastive.train")
    encoder, _ = load_encoder()
    items = [example(0, "test", i, modalities=("image", "caption")) for i in range(200)]
    images, tokens, captions = (np.stack([x["image"] for x in items]), np.stack([x["tokens"] for x in items]), [x["caption"] for x in items])
    real = r_precision_of_images(encoder, images, tokens, captions)
    shuffled = r_precision_of_images(encoder, images[::-1].copy(), tokens, captions)
    assert real > 0.8 and shuffled < 0.1
