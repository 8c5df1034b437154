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
from mmjax.data import attributes as A
from mmjax.data.render import render_image
from mmjax.data.scene import Scene, ShapeObject
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
    label_smoothing=0.0,  # the loss below is plain cross-entropy (smoothing: mmjax.nn.losses.token_loss)
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


def one_object_image(colour: str, shape: str = "triangle") -> np.ndarray:
    obj = ShapeObject(A.SHAPES.index(shape), A.COLOURS.index(colour), size=1, row=1, col=0, jitter=(0.7, -0.4))
    return render_image(Scene((obj,), A.NO_RELATION, 0))  # [32, 32, 3] uint8


def test_brightness_is_blind_to_hue_and_patch_colour_to_coverage():
    image = one_object_image("red")
    x = image.astype(np.float32)[None] / 255.0
    value, colour = M.brightness_and_colour(jnp.asarray(x), 8)
    np.testing.assert_allclose(value[0, ..., 0], image.max(-1) / 255.0, atol=1e-6)
    rgb = np.array(A.COLOUR_RGB[A.COLOURS.index("red")], np.float32)
    for n, (r, c) in enumerate((r, c) for r in range(4) for c in range(4)):  # patches in row-major order
        patch = x[0, 8 * r : 8 * r + 8, 8 * c : 8 * c + 8]
        lit = patch.max(-1).sum()
        expected = rgb / rgb.max() if lit > 0.5 else patch.sum((0, 1)) / (lit + 1e-3)
        np.testing.assert_allclose(colour[0, n], expected, atol=2e-2 if lit > 0.5 else 1e-5)
    assert np.count_nonzero(np.asarray(colour).sum(-1)) < 16  # the object covers some patches, not all


@pytest.mark.parametrize("colour_enters", ["pixels", "before_encoder", "after_encoder"])
def test_only_after_encoder_reads_shape_without_its_colour(colour_enters):
    config = dataclasses.replace(SMALL, model=dataclasses.replace(SMALL.model, colour_enters=colour_enters))
    model = M.make_model(config, rngs=nnx.Rngs(0))
    # Blue and yellow share their brightest channel (240): the same triangle in either has the same brightness.
    images = jnp.asarray(np.stack([one_object_image("blue"), one_object_image("yellow")]))
    memory = model.encode(images)[0]  # [2, N, D]
    if colour_enters == "pixels":
        assert not np.allclose(memory[0], memory[1], atol=1e-3)
        return
    _, patch_colour = M.brightness_and_colour(images.astype(jnp.float32) / 255.0, config.model.patch_size)
    colour = model.colour_embedding(patch_colour)  # [2, N, D]
    blind = np.allclose(memory[0] - colour[0], memory[1] - colour[1], atol=1e-4)
    assert blind == (colour_enters == "after_encoder")


def test_word_dropout_replaces_only_words_and_only_by_unk():
    tokens, tokenizer = batch(count=16)["tokens"], Tokenizer.default()
    dropped = np.asarray(step.drop_words(jnp.asarray(tokens), 0.3, jax.random.key(0)))
    special = np.isin(tokens, [tokenizer.pad_id, tokenizer.bos_id, tokenizer.eos_id])
    np.testing.assert_array_equal(dropped[special], tokens[special])
    changed = dropped != tokens
    assert np.all(dropped[changed] == tokenizer.unk_id)
    assert 0.2 < changed.sum() / (~special).sum() < 0.4  # about 30% of the words, from one key
    np.testing.assert_array_equal(step.drop_words(jnp.asarray(tokens), 0.3, jax.random.key(0)), dropped)


def test_bad_images_are_refused():
    with pytest.raises(ValueError, match="images must be"):
        M.logits(SMALL, variables(), {"image": np.zeros((2, 16, 16, 3), np.uint8), "tokens": batch()["tokens"][:2]})
    with pytest.raises(ValueError, match="divisible"):
        dataclasses.replace(SMALL, image_size=30)
    with pytest.raises(ValueError, match="colour_enters must be one of pixels"):
        dataclasses.replace(SMALL, model=dataclasses.replace(SMALL.model, colour_enters="rgb"))
    with pytest.raises(ValueError, match="word_dropout"):
        dataclasses.replace(SMALL, word_dropout=1.0)


def test_a_short_run_lowers_the_loss_and_evaluates_its_keys(tmp_path):
    config = dataclasses.replace(SMALL, learning_rate=3e-3)
    settings = TrainConfig(
        steps=120, run_dir=str(tmp_path), log_every=20, eval_every=120, sample_every=-1, progress=False
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


def reference_beam_search(config, v, image, beam_size, length_penalty=0.6):
    """Beam search written out with full (uncached) teacher-forced passes: the K best prefixes by total
    log-probability; a finished prefix is only extended by <pad> at no cost; the end ranks the K by
    log p / ((5 + length) / 6) ** alpha."""
    tokenizer = Tokenizer.default()
    forced = jax.jit(lambda tokens: jax.nn.log_softmax(M.logits(config, v, {"image": image[None], "tokens": tokens})))
    beams = [([tokenizer.bos_id], 0.0, False)]  # (tokens with <bos>, log-probability, finished)
    for _ in range(MAX_TOKENS - 1):
        candidates = []
        for tokens, log_p, finished in beams:
            if finished:
                candidates.append((tokens + [tokenizer.pad_id], log_p, True))
                continue
            padded = np.array(tokens + [tokenizer.pad_id] * (MAX_TOKENS - len(tokens)), np.int32)[None]
            for token, token_log_p in enumerate(np.asarray(forced(padded)[0, len(tokens) - 1])):
                candidates.append((tokens + [token], log_p + float(token_log_p), token == tokenizer.eos_id))
        beams = sorted(candidates, key=lambda c: -c[1])[:beam_size]
        if all(finished for *_, finished in beams):
            break

    def score(beam):
        tokens, log_p, _ = beam
        length = sum(t != tokenizer.pad_id for t in tokens[1:])
        return log_p / ((5 + length) / 6) ** length_penalty

    return tokenizer.decode(np.array(max(beams, key=score)[0][1:]))


def test_beam_search_captions_match_a_plain_beam_search_and_beam_one_is_greedy():
    config = dataclasses.replace(SMALL, model=dataclasses.replace(SMALL.model, num_decoder_layers=2))
    v, images = variables(config, seed=1), batch(config, count=3)["image"]
    # A random decoder rarely ends a caption: raise its <eos> logit so that some hypotheses finish early and
    # the ranking of finished against unfinished ones is exercised (here the three end after 2, 3 and 0 words).
    head = v["params"]["head"]
    eos_bias = head["bias"].at[Tokenizer.default().eos_id].add(1.2)
    v = {**v, "params": {**v["params"], "head": {**head, "bias": eos_bias}}}
    beam = step.caption_images(config, v, images, method="beam", beam_size=4)
    assert beam == [reference_beam_search(config, v, image, beam_size=4) for image in images]
    assert len({len(caption.split()) for caption in beam}) > 1, beam  # finished at different lengths
    assert step.caption_images(config, v, images, method="beam", beam_size=1) == step.caption_images(config, v, images)
    with pytest.raises(ValueError, match="beam_size"):
        step.caption_images(config, v, images, method="beam", beam_size=0)
