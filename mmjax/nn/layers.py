"""The small layers around attention: layer normalisation, dropout, and the position-wise MLP."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from flax import nnx


@functools.partial(jax.custom_vjp, nondiff_argnums=(3,))
def layer_norm(x: jax.Array, scale: jax.Array, bias: jax.Array, eps: float = 1e-6) -> jax.Array:
    """LN(x) = (x - mean(x)) / sqrt(var(x) + eps) * gamma + beta, over the feature axis of each token."""
    return _layer_norm_forward(x, scale, bias, eps)[0]


def _layer_norm_forward(x, scale, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    r = jax.lax.rsqrt(jnp.square(x - mean).mean(axis=-1, keepdims=True) + eps)  # 1 / sigma per token
    x_hat = (x - mean) * r
    return x_hat * scale + bias, (x_hat, r, scale)


def _layer_norm_backward(eps, saved, dy):
    """With g = dy * gamma (per token, D features): dx = (1 / sigma) (g - mean(g) - x_hat mean(g x_hat)).

    Autodiff finds the same gradient, but on XLA CPU it fuses every layer's normalisation backward into one
    loop that recomputes the per-token means for each element; written out, each mean is computed once.
    """
    del eps
    x_hat, r, scale = saved
    g = dy * scale
    dx = r * (g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True))
    batch_axes = tuple(range(dy.ndim - 1))
    return dx, jnp.sum(dy * x_hat, axis=batch_axes), jnp.sum(dy, axis=batch_axes)


layer_norm.defvjp(_layer_norm_forward, _layer_norm_backward)


class LayerNorm(nnx.Module):
    """``layer_norm`` with a learned gain gamma (init 1) and shift beta (init 0)."""

    def __init__(self, features: int, eps: float = 1e-6):
        self.scale = nnx.Param(jnp.ones((features,)))
        self.bias = nnx.Param(jnp.zeros((features,)))
        self.eps = eps

    def __call__(self, x: jax.Array) -> jax.Array:
        return layer_norm(x, self.scale[...], self.bias[...], self.eps)


def dropout(x: jax.Array, rate: float, key: jax.Array | None) -> jax.Array:
    """Dropout(x) = x * m / (1 - p) with m ~ Bernoulli(1 - p); the identity when ``key`` is None.

    Passing the key explicitly (instead of hiding an RNG in the module) keeps every forward pass a pure
    function: the same key gives the same mask, and evaluation simply passes no key.
    """
    if key is None or rate == 0.0:
        return x
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0.0)


def split_key(key: jax.Array | None, num: int) -> list[jax.Array | None]:
    """``num`` independent keys from ``key``, or ``num`` Nones in deterministic mode."""
    return [None] * num if key is None else list(jax.random.split(key, num))


class MLP(nnx.Module):
    """FFN(x) = W_2 GELU(W_1 x + b_1) + b_2, applied to every position independently."""

    def __init__(self, d_model: int, d_hidden: int, *, rngs: nnx.Rngs):
        self.hidden = nnx.Linear(d_model, d_hidden, rngs=rngs)
        self.output = nnx.Linear(d_hidden, d_model, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.output(jax.nn.gelu(self.hidden(x)))


def conv_stack(widths: tuple[int, ...], image_size: int, *, rngs: nnx.Rngs) -> tuple[nnx.List, int]:
    """3x3 convolutions from RGB through ``widths`` channels, the first at stride 1 and each next at stride 2, and
    the length of their last map flattened (``side * side * widths[-1]``); run them with :func:`relu_stack`."""
    channels = (3, *widths)
    convs = nnx.List(
        [
            nnx.Conv(channels[i], channels[i + 1], (3, 3), strides=1 if i == 0 else 2, rngs=rngs)
            for i in range(len(widths))
        ]
    )
    side = image_size // 2 ** (len(widths) - 1)
    return convs, side * side * widths[-1]


def relu_stack(convs, x: jax.Array) -> jax.Array:
    """``x`` through every convolution of ``convs``, each followed by a ReLU, flattened: ``[B, side * side * C]``."""
    for conv in convs:
        x = jax.nn.relu(conv(x))  # [B, H / 2^i, W / 2^i, C_i]
    return x.reshape(x.shape[0], -1)
