"""The captioner: shapes and dtypes, a causal decoder, decoding through mmjax.nn, and a short run that learns."""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from mmjax.captioner import model as M
from mmjax.captioner import step
from mmjax.captioner.config import CaptionerConfig, CaptionerModelConfig
from mmjax.captioner.task import TASK
from mmjax.data.tokenizer import MAX_TOKENS, Tokenizer
from mmjax.nn import functional as F
from mmjax.train import loop
from mmjax.train.config import TrainConfig
from mmjax.train.metrics_log import read_metrics

SMALL = CaptionerConfig(
    model=CaptionerModelConfig(
        patch_size=8, d_model=32, num_heads=2, num_encoder_layers=1, num_decoder_layers=1, d_hidden=64
    ),
    num_train_examples=256,
    num_eval_examples=8,
    batch_size=16,
)


def variables(config=SMALL, seed=0):
    return F.split(M.make_model(config, rngs=nnx.Rngs(seed)))[1]


def batch(config=SMALL, count=3):
    source = step.make_source(config, "train")
    examples = [source[i] for i in range(count)]
    return {key: np.stack([e[key] for e in examples]) for key in ("image", "tokens")}


def test_source_gives_uint8_images_and_framed_tokens():
    b = batch()
    assert b["image"].shape == (3, 32, 32, 3) and b["image"].dtype == np.uint8
    assert b["tokens"].shape == (3, MAX_TOKENS) and b["tokens"].dtype == np.int32
    assert np.all(b["tokens"][:, 0] == Tokenizer.default().bos_id)


def test_logits_and_decoded_shapes():
    v, b = variables(), batch()
    logits = M.logits(SMALL, v, b)
    assert logits.shape == (3, MAX_TOKENS - 1, Tokenizer.default().vocab_size) and logits.dtype == jnp.float32
    for method in ("greedy", "beam"):
        ids = M.predict(SMALL, v, b["image"], M.decode_options(SMALL, method))
        assert ids.shape == (3, MAX_TOKENS - 2) and jnp.issubdtype(ids.dtype, jnp.integer)
    captions = step.caption_images(SMALL, v, b["image"])
    assert len(captions) == 3 and all(isinstance(c, str) for c in captions)


def test_decoder_is_causal_and_reads_the_image():
    v, b = variables(), batch()
    t = 5
    changed = np.array(b["tokens"])
    changed[:, t + 1 :] = (changed[:, t + 1 :] + 7) % Tokenizer.default().vocab_size
    before, after = M.logits(SMALL, v, b), M.logits(SMALL, v, {**b, "tokens": changed})
    # Logits at positions 0..t see tokens 0..t only: later tokens must not change them, and do change later ones.
    np.testing.assert_allclose(before[:, : t + 1], after[:, : t + 1], atol=1e-5)
    assert not np.allclose(before[:, t + 1 :], after[:, t + 1 :], atol=1e-3)
    # Cross-attention: another image changes the very first prediction.
    other = M.logits(SMALL, v, {**b, "image": b["image"][::-1]})
    assert not np.allclose(before[0, 0], other[0, 0], atol=1e-4)


def test_greedy_decoding_with_cache_matches_teacher_forced_argmax():
    v, b = variables(), batch()
    ids = np.asarray(M.predict(SMALL, v, b["image"]))  # [B, T - 1], without <bos>
    bos = np.full((3, 1), Tokenizer.default().bos_id, np.int32)
    forced = np.asarray(M.logits(SMALL, v, {"image": b["image"], "tokens": np.concatenate([bos, ids], 1)}))
    # Up to and including the first <eos>, every decoded token is the argmax of the full (uncached) pass.
    for row, logits in zip(ids, forced):
        eos_id = Tokenizer.default().eos_id
        eos = list(row).index(eos_id) if eos_id in row else len(row) - 1
        np.testing.assert_array_equal(row[: eos + 1], logits.argmax(-1)[: eos + 1])


def test_bad_images_are_refused():
    with pytest.raises(ValueError, match="images must be"):
        M.logits(SMALL, variables(), {"image": np.zeros((2, 16, 16, 3), np.uint8), "tokens": batch()["tokens"][:2]})
    with pytest.raises(ValueError, match="divisible"):
        dataclasses.replace(SMALL, image_size=30)


def test_a_short_run_lowers_the_loss_and_evaluates_its_keys(tmp_path):
    config = dataclasses.replace(SMALL, learning_rate=3e-3)
    settings = TrainConfig(
        steps=60, run_dir=str(tmp_path), log_every=10, eval_every=60, sample_every=-1, progress=False
    )
    result = loop.train(TASK, config, settings, log=lambda message: None)
    losses = [r["loss"] for r in read_metrics(tmp_path / "metrics.jsonl") if "loss" in r]
    assert losses[-1] < 0.5 * losses[0], losses
    metrics = step.evaluate(result.state, config)
    assert set(metrics) == set(TASK.eval_keys)
    assert all(0.0 <= value <= 1.0 for value in metrics.values())


def test_train_step_loss_is_the_teacher_forced_cross_entropy_of_real_tokens():
    b, key = batch(count=4), jax.random.key(3)
    optimizer = step.make_optimizer(SMALL, 10)
    state = step.init(SMALL, jax.random.key(0), optimizer)
    logits = M.logits(SMALL, state, b)  # [B, T - 1, V]
    labels = b["tokens"][:, 1:]
    real = labels != Tokenizer.default().pad_id
    log_p = np.take_along_axis(np.asarray(jax.nn.log_softmax(logits)), labels[..., None], -1)[..., 0]
    expected = -np.sum(log_p * real) / np.sum(real)
    train_step = jax.jit(functools.partial(step.train_step, config=SMALL, optimizer=optimizer))
    _, metrics = train_step(state, b, key)
    np.testing.assert_allclose(metrics["loss"], expected, rtol=1e-5)
