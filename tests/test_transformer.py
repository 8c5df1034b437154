"""Encoder, decoder and whole models: equivariance, padding, causality and the key/value cache."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from transformer_fixtures import CONFIG, DEEP, PAD, decoder_only, encoder_decoder, tokens

forward = nnx.jit(lambda model, *args: model(*args))
encode = nnx.jit(lambda model, source: model.encode(source))


def test_encoder_without_positions_is_permutation_equivariant():
    model = encoder_decoder(dataclasses.replace(CONFIG, position="none"))
    source = tokens(0, 2, 7, lengths=[7, 5])
    permutation = np.random.default_rng(0).permutation(7)
    memory, _ = encode(model, source)
    memory_of_permuted, _ = encode(model, source[:, permutation])
    np.testing.assert_allclose(memory_of_permuted, memory[:, permutation], atol=1e-5)
    # With position encodings, order matters (so the check above is not vacuous).
    positional = encoder_decoder()
    with_positions, _ = encode(positional, source)
    assert not np.allclose(encode(positional, source[:, permutation])[0], with_positions[:, permutation], atol=1e-3)


def test_padding_does_not_change_unpadded_outputs():
    model = encoder_decoder()
    source, target = tokens(1, 2, 6, lengths=[6, 4]), tokens(2, 2, 5)
    more_padding = jnp.concatenate([source, jnp.full((2, 4), PAD, jnp.int32)], axis=1)
    np.testing.assert_allclose(forward(model, more_padding, target), forward(model, source, target), atol=1e-5)
    memory, mask = encode(model, source)
    np.testing.assert_allclose(encode(model, more_padding)[0][:, :6], memory, atol=1e-5)
    # Whatever sits in the padded slots of the encoder's input cannot reach the real tokens.
    x = model.source_embedding(source)
    noisy = jnp.where(mask[:, 0, 0, :, None], x, 100.0)
    run_encoder = nnx.jit(lambda encoder, x, mask: encoder(x, mask))
    np.testing.assert_allclose(run_encoder(model.encoder, noisy, mask)[1, :4], memory[1, :4], atol=1e-4)


def test_decoder_is_causal_in_values_and_gradients():
    model = encoder_decoder()
    source, target = tokens(3, 2, 6), tokens(4, 2, 8)
    changed = target.at[:, 5:].set(tokens(5, 2, 3))
    logits, logits_changed = forward(model, source, target), forward(model, source, changed)
    np.testing.assert_allclose(logits[:, :5], logits_changed[:, :5], atol=1e-5)
    assert not np.allclose(logits[:, 5:], logits_changed[:, 5:], atol=1e-3)

    memory, mask = encode(model, source)
    y = model.target_embedding(target)

    probe = jnp.asarray(np.random.default_rng(0).normal(size=(2, 5, CONFIG.d_model)), jnp.float32)

    def early_outputs(y, decoder):  # a random projection, so no output direction is ignored
        return (decoder(y, memory, mask)[:, :5] * probe).sum()

    grad = nnx.jit(nnx.grad(early_outputs))(y, model.decoder)
    assert jnp.all(grad[:, 5:] == 0.0) and jnp.all(jnp.abs(grad[:, :5]).sum(-1) > 0)


def test_decoder_only_is_causal():
    model = decoder_only()
    sequence = tokens(6, 2, 8)
    changed = sequence.at[:, 6:].set(tokens(7, 2, 2))
    np.testing.assert_allclose(forward(model, sequence)[:, :6], forward(model, changed)[:, :6], atol=1e-5)


def cached_logits(model, start_cache, sequence):
    """Feed ``sequence`` one token at a time through ``decode_step``; logits [B, T, V]."""

    def step(cache, token_and_index):
        token, index = token_and_index
        logits, cache = model.decode_step(token, cache, index)
        return cache, logits

    steps = (sequence.T, jnp.arange(sequence.shape[1]))
    return jax.lax.scan(step, start_cache, steps)[1].transpose(1, 0, 2)


@nnx.jit
def encoder_decoder_both_ways(model, source, target):
    memory, mask = model.encode(source)
    full = model.decode(target, memory, mask)
    return full, cached_logits(model, model.init_cache(memory, mask, CONFIG.max_length), target)


@nnx.jit
def decoder_only_both_ways(model, sequence):
    return model(sequence), cached_logits(model, model.init_cache(sequence.shape[0], CONFIG.max_length), sequence)


def test_cached_incremental_decoding_equals_full_recomputation():
    source, target = tokens(8, 3, 6, lengths=[6, 3, 1]), tokens(9, 3, 9)
    full, cached = encoder_decoder_both_ways(encoder_decoder(DEEP), source, target)
    np.testing.assert_allclose(cached, full, atol=1e-5, rtol=1e-5)
    full, cached = decoder_only_both_ways(decoder_only(DEEP), tokens(10, 3, 9))
    np.testing.assert_allclose(cached, full, atol=1e-5, rtol=1e-5)


def test_dropout_uses_the_explicit_key_only():
    model = encoder_decoder(dataclasses.replace(CONFIG, dropout_rate=0.2))
    source, target = tokens(11, 2, 5), tokens(12, 2, 5)
    train = nnx.jit(lambda model, s, t, key: model(s, t, key))
    first, again = train(model, source, target, jax.random.key(0)), train(model, source, target, jax.random.key(0))
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, train(model, source, target, jax.random.key(1)))
    assert not np.allclose(first, forward(model, source, target))
    np.testing.assert_array_equal(forward(model, source, target), forward(model, source, target))


def test_bad_inputs_raise_clear_errors():
    model = encoder_decoder()
    with pytest.raises(ValueError, match=r"source must be integer token ids.*float32 \(2, 5\)"):
        model.encode(jnp.zeros((2, 5)))
    with pytest.raises(ValueError, match="divisible"):
        dataclasses.replace(CONFIG, num_heads=5)
    with pytest.raises(ValueError, match=r"max_length must be in 1..16.*got 17"):
        decoder_only().init_cache(2, 17)


def test_attention_maps_are_recorded_per_layer_and_respect_masks():
    from mmjax.nn import functional as F
    from mmjax.nn.attention_maps import attention_maps

    model = encoder_decoder(DEEP)
    graphdef, variables = F.split(model)
    source, target = tokens(13, 2, 6, lengths=[6, 3]), tokens(14, 2, 5)
    maps = jax.jit(lambda v: attention_maps(graphdef, v, lambda model: model(source, target)))(variables)
    assert sorted(maps) == sorted(
        [f"encoder/blocks/{i}/attention" for i in range(2)]
        + [f"decoder/blocks/{i}/{kind}" for i in range(2) for kind in ("self_attention", "cross_attention")]
    )
    cross, causal = maps["decoder/blocks/1/cross_attention"], maps["decoder/blocks/0/self_attention"]
    assert cross.shape == (2, CONFIG.num_heads, 5, 6)
    np.testing.assert_allclose(cross.sum(-1), 1.0, atol=1e-5)
    assert jnp.all(cross[1, :, :, 3:] == 0.0)  # padded source positions get no weight
    assert jnp.all(jnp.triu(causal, k=1) == 0.0)  # no weight on the future
    # The recorded weights are those of the model's own forward pass (eagerly, here).
    eager = attention_maps(graphdef, variables, lambda model: model(source, target))
    np.testing.assert_allclose(eager["decoder/blocks/1/cross_attention"], cross, atol=1e-5)
    # Recording happened in a copy: neither the model nor a model rebuilt from its graph records weights.
    for module in (model, F.merge(graphdef, variables)):
        layers = [layer for _, layer in nnx.iter_modules(module) if hasattr(layer, "record_weights")]
        assert len(layers) == 6 and not any(layer.record_weights for layer in layers)


def test_encoder_decoder_with_its_own_target_vocabulary():
    config = dataclasses.replace(CONFIG, target_vocab_size=5)
    model = encoder_decoder(config)
    source, target = tokens(15, 2, 6), jnp.asarray(np.random.default_rng(16).integers(0, 5, size=(2, 4)), jnp.int32)
    assert forward(model, source, target).shape == (2, 4, 5)  # predicts only ids of the target vocabulary
    assert model.source_embedding.embed.embedding.shape == (CONFIG.vocab_size, CONFIG.d_model)
    assert model.target_embedding.embed.embedding.shape == (5, CONFIG.d_model)
    with pytest.raises(ValueError, match="target_vocab_size"):
        decoder_only(config)
