"""A one-hidden-layer MLP: f(x) = W_2 gelu(W_1 x + b_1) + b_2."""

from __future__ import annotations

import jax
from flax import nnx

from mmjax.train.toy.config import ToyConfig


class MLP(nnx.Module):
    def __init__(self, config: ToyConfig, *, rngs: nnx.Rngs):
        self.hidden = nnx.Linear(config.input_dim, config.model.width, rngs=rngs)
        self.out = nnx.Linear(config.model.width, 1, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:  # [B, D] -> [B, 1]
        return self.out(jax.nn.gelu(self.hidden(x)))
