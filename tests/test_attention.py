"""Attention, masks, position encodings, layer norm and patch embedding against independent references."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from jax.test_util import check_grads

from mmjax.nn import attention as A
from mmjax.nn.layers import LayerNorm, dropout, layer_norm
from mmjax.nn.patch_embed import PatchEmbedding, patchify
from mmjax.nn.position import PositionEncoding, sinusoidal_encoding


@pytest.fixture
def x64():
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)


def normal(seed, shape, dtype=jnp.float32):
    """Test inputs from a seeded numpy generator (cheaper than compiling a JAX PRNG for every shape)."""
    return jnp.asarray(np.random.default_rng(seed).normal(size=shape), dtype)


def qkv(seed=0, batch=2, t=5, s=7, heads=3, d_k=8, d_v=6, dtype=jnp.float32):
    q = normal(seed, (batch, t, heads, d_k), dtype)
    k = normal(seed + 1, (batch, s, heads, d_k), dtype)
    v = normal(seed + 2, (batch, s, heads, d_v), dtype)
    return q, k, v


attention = jax.jit(A.scaled_dot_product_attention)


def random_padding(seed, batch, length):
    lengths = np.random.default_rng(seed).integers(1, length + 1, size=batch)
    return jnp.arange(length)[None, :] < lengths[:, None]  # [B, S]


def test_attention_matches_jax_reference_without_mask():
    q, k, v = qkv(d_v=8)
    expected = jax.jit(jax.nn.dot_product_attention)(q, k, v)
    np.testing.assert_allclose(attention(q, k, v), expected, atol=1e-5, rtol=1e-5)


def test_attention_matches_jax_reference_with_padding_and_causal_mask():
    q, k, v = qkv(t=6, s=6, d_v=8)
    valid = random_padding(3, 2, 6)
    mask = A.combine_masks(A.causal_mask(6), valid[:, None, None, :])
    expected = jax.jit(lambda q, k, v, m: jax.nn.dot_product_attention(q, k, v, mask=m))(q, k, v, mask)
    np.testing.assert_allclose(attention(q, k, v, mask), expected, atol=1e-5, rtol=1e-5)
    causal_only = jax.jit(lambda q, k, v: jax.nn.dot_product_attention(q, k, v, is_causal=True))(q, k, v)
    np.testing.assert_allclose(attention(q, k, v, A.causal_mask(6)), causal_only, atol=1e-5, rtol=1e-5)


def test_attention_weights_are_a_distribution_that_ignores_masked_keys():
    q, k, _ = qkv()
    valid = random_padding(1, 2, 7)
    weights = jax.jit(A.attention_weights)(q, k, valid[:, None, None, :])
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
    assert jnp.all(jnp.where(valid[:, None, None, :], 0.0, weights) == 0.0)


def test_causal_mask_with_offset_is_a_slice_of_the_full_mask():
    full = A.causal_mask(8)
    np.testing.assert_array_equal(A.causal_mask(3, 8, offset=4), full[:, :, 4:7, :])
    assert A.causal_mask(4).sum() == 10  # lower triangle of a 4 x 4


def test_attention_gradients_match_finite_differences(x64):
    q, k, v = qkv(batch=1, t=3, s=4, heads=2, d_k=4, d_v=3, dtype=jnp.float64)
    mask = A.causal_mask(3, 4, offset=1)
    check_grads(jax.jit(lambda q, k, v: A.scaled_dot_product_attention(q, k, v, mask)), (q, k, v), order=1)


def test_shape_errors_name_the_shapes():
    q, k, v = qkv()
    with pytest.raises(ValueError, match=r"head dims.*query \(2, 5, 3, 8\).*key \(2, 7, 3, 4\)"):
        A.scaled_dot_product_attention(q, k[..., :4], v)
    with pytest.raises(ValueError, match=r"mask of shape \(2, 1, 1, 5\).*\(2, 3, 5, 7\)"):
        A.scaled_dot_product_attention(q, k, v, jnp.ones((2, 1, 1, 5), bool))
    with pytest.raises(TypeError, match="boolean"):
        A.scaled_dot_product_attention(q, k, v, jnp.ones((2, 1, 1, 7)))
    with pytest.raises(ValueError, match="4-D"):
        A.scaled_dot_product_attention(q[0], k[0], v[0])
    with pytest.raises(ValueError, match="divisible"):
        A.MultiHeadAttention(10, 3, rngs=nnx.Rngs(0))


def copy_into_flax(ours: A.MultiHeadAttention, theirs: nnx.MultiHeadAttention, heads: int) -> None:
    """Our [D_in, H * Dh] kernels are flax's [D_in, H, Dh] (and [H, Dh, D_out] for the output)."""
    for name in ("query", "key", "value"):
        linear, general = getattr(ours, name), getattr(theirs, name)
        general.kernel[...] = linear.kernel[...].reshape(general.kernel.shape)
        general.bias[...] = linear.bias[...].reshape(general.bias.shape)
    theirs.out.kernel[...] = ours.out.kernel[...].reshape(theirs.out.kernel.shape)
    theirs.out.bias[...] = ours.out.bias[...]


@pytest.mark.parametrize("cross", [False, True])
def test_multi_head_attention_matches_flax_with_copied_weights(cross):
    d_model, heads, d_context = 16, 4, (12 if cross else 16)
    ours = A.MultiHeadAttention(d_model, heads, d_context=d_context, rngs=nnx.Rngs(0))
    theirs = nnx.MultiHeadAttention(
        num_heads=heads,
        in_features=d_model,
        in_kv_features=d_context,
        qkv_features=d_model,
        decode=False,
        rngs=nnx.Rngs(1),
    )
    copy_into_flax(ours, theirs, heads)
    x = normal(2, (3, 5, d_model))
    context = normal(3, (3, 6, d_context)) if cross else x
    mask = random_padding(5, 3, context.shape[1])[:, None, None, :]
    expected = nnx.jit(lambda m, x, c, mask: m(x, c, c, mask=mask, deterministic=True))(theirs, x, context, mask)
    np.testing.assert_allclose(nnx.jit(lambda m, *a: m(*a))(ours, x, context, mask), expected, atol=1e-5, rtol=1e-5)


def test_causal_self_attention_ignores_the_future_in_values_and_gradients():
    layer = A.MultiHeadAttention(16, 4, rngs=nnx.Rngs(0))
    x = normal(0, (2, 6, 16))
    changed = x.at[:, 4:].set(normal(1, (2, 2, 16)))
    forward = nnx.jit(lambda layer, x: layer(x, mask=A.causal_mask(6)))
    out, out_changed = forward(layer, x), forward(layer, changed)
    np.testing.assert_allclose(out[:, :4], out_changed[:, :4], atol=1e-6)
    assert not np.allclose(out[:, 4:], out_changed[:, 4:])  # the test can fail: the future does matter later
    grad = nnx.jit(nnx.grad(lambda x, layer: forward(layer, x)[:, :4].sum()))(x, layer)
    assert jnp.all(grad[:, 4:] == 0.0) and jnp.any(grad[:, :4] != 0.0)


def test_cached_self_attention_equals_full_causal_attention():
    layer = A.MultiHeadAttention(16, 4, rngs=nnx.Rngs(0))
    x = normal(0, (2, 6, 16))
    full = layer(x, mask=A.causal_mask(6))
    cache = layer.init_cache(2, 8)
    outputs = []
    step = nnx.jit(lambda layer, x, cache, t: layer.decode_step(x, cache, t))
    for t in range(6):
        out, cache = step(layer, x[:, t : t + 1], cache, t)
        outputs.append(out)
    np.testing.assert_allclose(jnp.concatenate(outputs, 1), full, atol=1e-5, rtol=1e-5)


def test_layer_norm_matches_flax():
    x = 3.0 * normal(0, (4, 5, 16)) + 1.0
    ours, theirs = LayerNorm(16), nnx.LayerNorm(16, epsilon=1e-6, rngs=nnx.Rngs(0))
    ours.scale[...] = theirs.scale[...] = normal(1, (16,))
    ours.bias[...] = theirs.bias[...] = normal(2, (16,))
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-5, rtol=1e-5)


def test_layer_norm_gradient_is_the_autodiff_gradient_of_jax_nn_standardize():
    """The hand-written backward pass against autodiff through jax.nn.standardize, and numerical differences."""
    x, scale, bias, dy = 3.0 * normal(0, (4, 5, 16)) + 1.0, normal(1, (16,)), normal(2, (16,)), normal(3, (4, 5, 16))

    def reference(x, scale, bias):
        return jnp.sum((jax.nn.standardize(x, axis=-1, epsilon=1e-6) * scale + bias) * dy)

    ours = jax.grad(lambda x, s, b: jnp.sum(layer_norm(x, s, b) * dy), (0, 1, 2))(x, scale, bias)
    for mine, theirs in zip(ours, jax.grad(reference, (0, 1, 2))(x, scale, bias)):
        np.testing.assert_allclose(mine, theirs, atol=2e-5, rtol=2e-5)
    check_grads(lambda x, s, b: layer_norm(x, s, b), (x, scale, bias), order=1, modes=["rev"], atol=1e-2, rtol=1e-2)


def test_dropout_is_identity_without_key_and_unbiased_with_one():
    x = jnp.ones((200, 100))
    assert dropout(x, 0.3, None) is x
    dropped = dropout(x, 0.3, jax.random.key(0))
    np.testing.assert_allclose(dropped.mean(), 1.0, atol=0.02)
    np.testing.assert_allclose((dropped == 0).mean(), 0.3, atol=0.02)
    np.testing.assert_array_equal(dropped, dropout(x, 0.3, jax.random.key(0)))


def test_sinusoidal_encoding_closed_form_and_relative_rotation():
    table = np.asarray(sinusoidal_encoding(50, 16))
    positions = np.arange(50)
    np.testing.assert_allclose(table[:, 0], np.sin(positions), atol=1e-6)
    np.testing.assert_allclose(table[:, 1], np.cos(positions), atol=1e-6)
    np.testing.assert_allclose(table[:, 15], np.cos(positions / 10000 ** (14 / 16)), atol=1e-6)
    # PE[p + k] is PE[p] rotated, pair by pair, by an angle that depends only on k.
    k, omega = 7, 10000 ** (-np.arange(0, 16, 2) / 16)
    sin_p, cos_p = table[:-k, 0::2], table[:-k, 1::2]
    np.testing.assert_allclose(table[k:, 0::2], sin_p * np.cos(k * omega) + cos_p * np.sin(k * omega), atol=1e-5)
    with pytest.raises(ValueError, match="even"):
        sinusoidal_encoding(4, 5)


def test_position_encoding_offset_and_errors():
    encoding = PositionEncoding("learned", 10, 8, rngs=nnx.Rngs(0))
    np.testing.assert_array_equal(encoding(3, offset=4), encoding(10)[4:7])
    with pytest.raises(ValueError, match="max_length 10"):
        encoding(11)
    with pytest.raises(ValueError, match="sinusoidal, learned, none"):
        PositionEncoding("rotary", 10, 8, rngs=nnx.Rngs(0))


def test_patch_embedding_equals_a_strided_convolution():
    embed = PatchEmbedding(8, 4, 3, 16, position="none", rngs=nnx.Rngs(0))
    conv = nnx.Conv(3, 16, kernel_size=(4, 4), strides=(4, 4), padding="VALID", rngs=nnx.Rngs(1))
    conv.kernel[...] = embed.projection.kernel[...].reshape(4, 4, 3, 16)
    conv.bias[...] = embed.projection.bias[...]
    images = normal(0, (2, 8, 8, 3))
    apply = nnx.jit(lambda m, x: m(x))
    np.testing.assert_allclose(apply(embed, images), apply(conv, images).reshape(2, 4, 16), atol=1e-5, rtol=1e-5)
    assert patchify(images, 4).shape == (2, 4, 48)
    with pytest.raises(ValueError, match="not divisible"):
        patchify(images, 3)
