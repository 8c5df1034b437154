"""The text-to-image GAN: shapes, bad input, its losses against references, the tuning loss, learning."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from mmjax.data.shapes import example
from mmjax.data.tokenizer import SPECIALS, Tokenizer
from mmjax.gan import sampler, terms
from mmjax.text2image import step
from mmjax.text2image.config import TextToImageConfig
from mmjax.text2image.data import make_source
from mmjax.text2image.model import build_players

TINY = TextToImageConfig(
    image_size=16,
    latent_dim=8,
    width=4,
    text_dim=16,
    text_layers=1,
    text_heads=2,
    text_hidden=16,
    contrastive_dim=8,
    batch_size=4,
    num_train_examples=64,
    num_eval_examples=8,
)


def captions(count: int, split: str = "train") -> np.ndarray:
    return np.stack([example(0, split, i, modalities=("caption",))["tokens"] for i in range(count)])


def test_generator_draws_images_in_range_and_discriminator_scores_them():
    generator, discriminator = build_players(TINY, jax.random.key(0))
    tokens = jnp.asarray(captions(3))
    images = generator(jnp.zeros((3, TINY.latent_dim)), tokens)
    assert images.shape == (3, 16, 16, 3) and float(jnp.abs(images).max()) <= 1.0
    out = discriminator.heads(images, tokens)
    assert out["logits"].shape == (3,) and out["words"].shape == (3, Tokenizer.default().vocab_size)
    np.testing.assert_allclose(jnp.linalg.norm(out["u"], axis=1), 1.0, rtol=1e-5)


def test_captions_change_the_image_and_padding_does_not():
    generator, _ = build_players(TINY, jax.random.key(1))
    z = jax.random.normal(jax.random.key(2), (2, TINY.latent_dim))
    tokens = jnp.asarray(captions(2))
    a, b = generator(z, tokens), generator(z, tokens[::-1])
    assert float(jnp.abs(a - b).max()) > 1e-4  # the caption reaches the pixels
    longest = int((tokens != 0).sum(1).max())
    np.testing.assert_allclose(generator(z, tokens[:, :longest]), a, atol=1e-5)  # pad tokens are masked out


@pytest.mark.parametrize(
    "tokens, message",
    [(np.zeros((2, 30), np.int32), "<= 24"), (np.zeros((2, 5), np.float32), "integer token ids"), (None, "got None")],
)
def test_bad_captions_are_a_clear_error(tokens, message):
    generator, _ = build_players(TINY, jax.random.key(0))
    with pytest.raises(ValueError, match=message):
        generator(jnp.zeros((2, TINY.latent_dim)), None if tokens is None else jnp.asarray(tokens))


def test_bad_config_is_a_clear_error():
    with pytest.raises(ValueError, match="divisible"):
        dataclasses.replace(TINY, text_dim=10, text_heads=4)
    with pytest.raises(ValueError, match="ema_decay"):
        dataclasses.replace(TINY, ema_decay=1.0)


def test_info_nce_matches_a_direct_softmax_cross_entropy():
    rng = np.random.default_rng(0)
    u = rng.normal(size=(5, 3)).astype(np.float32)
    v = rng.normal(size=(5, 3)).astype(np.float32)
    u, v = u / np.linalg.norm(u, axis=1, keepdims=True), v / np.linalg.norm(v, axis=1, keepdims=True)
    logits = u @ v.T / 0.2
    rows = -np.mean([logits[i, i] - np.log(np.exp(logits[i]).sum()) for i in range(5)])
    cols = -np.mean([logits[i, i] - np.log(np.exp(logits[:, i]).sum()) for i in range(5)])
    loss, accuracy = terms.info_nce(jnp.asarray(u), jnp.asarray(v), 0.2)
    np.testing.assert_allclose(loss, 0.5 * (rows + cols), rtol=1e-5)
    assert accuracy == np.mean(np.argmax(logits, axis=1) == np.arange(5))


def test_caption_words_are_the_words_the_caption_uses():
    tokenizer = Tokenizer.default()
    tokens = tokenizer.encode_batch(["a big red circle above a small red square"])
    words = np.asarray(terms.caption_words(jnp.asarray(tokens), tokenizer.vocab_size))[0]
    used = {tokenizer.vocabulary[i] for i in np.flatnonzero(words)}
    assert used == {"a", "big", "red", "circle", "above", "small", "square"}
    assert not words[: len(SPECIALS)].any()
    logits = jnp.asarray(np.random.default_rng(0).normal(size=(1, tokenizer.vocab_size)), jnp.float32)
    expected = np.sum(np.asarray(optax.sigmoid_binary_cross_entropy(logits, words[None])))
    np.testing.assert_allclose(terms.word_loss(logits, jnp.asarray(tokens)), expected, rtol=1e-5)


def one_train_step(config: TextToImageConfig) -> tuple[dict, dict, dict]:
    """(fresh state, state after one jitted train step on 4 training pairs, its metrics) for ``config``."""
    optimizers = step.make_optimizer(config, 10)
    state = step.init(config, jax.random.key(0), optimizers)
    source = make_source(config)
    keys = ("image", "tokens", "shape", "colour", "size", "row", "col")  # a Loader batch: pixels, ids, labels
    batch = {k: np.stack([source[i][k] for i in range(4)]) for k in keys}
    train = jax.jit(lambda s, b, k: step.train_step(s, b, k, config, optimizers))
    return state, *train(state, batch, jax.random.key(1))


def test_train_step_updates_both_players_and_the_moving_average():
    state, new, metrics = one_train_step(TINY)
    for player in ("generator", "discriminator"):
        assert int(new[player]["step"]) == 1
    moved = jax.tree.map(
        lambda a, b: float(jnp.abs(a - b).max()), new["generator"]["params"], state["generator"]["params"]
    )
    assert max(jax.tree.leaves(moved)) > 0
    # theta_ema = d_1 theta_ema + (1 - d_1) theta, from theta_ema = theta_0, d_1 = min(d, 2 / 11) after update 1
    d = min(TINY.ema_decay, 2 / 11)
    expected = jax.tree.map(lambda e, p: d * e + (1 - d) * p, state["generator"]["ema"], new["generator"]["params"])
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7), new["generator"]["ema"], expected)
    assert all(np.isfinite(float(v)) for v in metrics.values())
    assert "caption_nll" not in metrics  # tuning is off by default


def test_generate_is_deterministic_per_key_and_differs_across_keys():
    optimizers = step.make_optimizer(TINY, 10)
    state = step.init(TINY, jax.random.key(0), optimizers)
    tokens = captions(2)
    a = step.generate(TINY, state, tokens, jax.random.key(3))
    b = step.generate(TINY, state, tokens, jax.random.key(3))
    c = step.generate(TINY, state, tokens, jax.random.key(4))
    assert a.dtype == np.uint8 and a.shape == (2, 16, 16, 3)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c).max() > 0
    with pytest.raises(ValueError, match="integer caption ids"):
        step.generate(TINY, state, np.zeros((2, 5), np.float32), jax.random.key(0))


def test_sampling_variables_use_the_moving_average():
    optimizers = step.make_optimizer(TINY, 10)
    state = step.init(TINY, jax.random.key(0), optimizers)
    state["generator"]["ema"] = jax.tree.map(jnp.zeros_like, state["generator"]["ema"])
    assert sampler.sampling_variables(TINY, state)["params"] is state["generator"]["ema"]
    no_ema = dataclasses.replace(TINY, ema_decay=0.0)
    assert sampler.sampling_variables(no_ema, state)["params"] is state["generator"]["params"]


def test_tuning_starts_from_an_export_and_trains_g_through_the_frozen_captioner(tmp_path):
    """init_from an exported file, caption_weight > 0: the captioner's NLL reaches G and the captioner never moves."""
    from mmjax.captioner import export as captioner_export
    from mmjax.captioner import step as captioner_step
    from mmjax.captioner.config import CaptionerConfig, CaptionerModelConfig
    from mmjax.captioner.model import logits as captioner_logits
    from mmjax.text2image import export, tuning

    small = CaptionerModelConfig(patch_size=8, d_model=16, num_heads=2, num_encoder_layers=1, num_decoder_layers=1)
    reader = CaptionerConfig(model=dataclasses.replace(small, d_hidden=16), image_size=16, batch_size=4)
    reader_state = captioner_step.init(reader, jax.random.key(5), captioner_step.make_optimizer(reader, 10))
    captioner_export.export(reader_state, reader, tmp_path / "captioner.npz")
    base = step.init(TINY, jax.random.key(0), step.make_optimizer(TINY, 10))
    export.export(base, TINY, tmp_path / "t2i.npz")

    tuned_config = dataclasses.replace(
        TINY, init_from=str(tmp_path / "t2i.npz"), caption_weight=1.0, captioner_path=str(tmp_path / "captioner.npz")
    )
    optimizers = step.make_optimizer(tuned_config, 10)
    state = step.init(tuned_config, jax.random.key(9), optimizers)
    np.testing.assert_array_equal(  # G starts from the file's sampling weights, whatever the key
        jax.tree.leaves(state["generator"]["params"])[0], jax.tree.leaves(base["generator"]["ema"])[0]
    )
    # the loss by hand: -mean over real tokens of log softmax(captioner logits)[next token]
    tokens = jnp.asarray(captions(4))
    images = jax.random.uniform(jax.random.key(2), (4, 16, 16, 3), minval=-1.0, maxval=1.0)
    logits = captioner_logits(reader, state["captioner"], {"image": (images + 1) * 127.5, "tokens": tokens})
    log_p = jax.nn.log_softmax(logits, axis=-1)
    targets, real = tokens[:, 1:], tokens[:, 1:] != 0
    picked = jnp.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]
    expected = -jnp.sum(picked * real) / jnp.sum(real)
    loss = tuning.caption_loss(tuned_config.captioner_path, state["captioner"], images, tokens)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)

    source = make_source(tuned_config)
    keys = ("image", "tokens", "shape", "colour", "size", "row", "col")  # a Loader batch: pixels, ids, labels
    batch = {k: np.stack([source[i][k] for i in range(4)]) for k in keys}
    run = jax.jit(lambda s, b, k: step.train_step(s, b, k, tuned_config, optimizers))
    new, metrics = run(state, batch, jax.random.key(1))
    assert np.isfinite(float(metrics["caption_nll"]))
    jax.tree.map(np.testing.assert_array_equal, new["captioner"], state["captioner"])  # frozen
    with pytest.raises(ValueError, match="other"):
        step.init(dataclasses.replace(tuned_config, width=8), jax.random.key(0), optimizers)


def test_the_tuning_captioner_is_read_the_same_inside_and_outside_jit(tmp_path):
    from mmjax.captioner import export as captioner_export
    from mmjax.captioner import step as captioner_step
    from mmjax.captioner.config import CaptionerConfig, CaptionerModelConfig
    from mmjax.text2image import tuning

    config = CaptionerConfig(
        model=CaptionerModelConfig(
            patch_size=8, d_model=16, num_heads=2, num_encoder_layers=1, num_decoder_layers=1, d_hidden=32
        )
    )
    state = captioner_step.init(config, jax.random.key(0), captioner_step.make_optimizer(config, 1))
    path = str(tmp_path / "captioner.npz")
    captioner_export.export(state, config, path)
    inside = jax.jit(lambda: tuning.frozen_captioner(path))()  # the first read happens while tracing
    outside = tuning.frozen_captioner(path)  # served from the cache: concrete arrays, not leaked tracers
    jax.tree.map(np.testing.assert_array_equal, inside, outside)
