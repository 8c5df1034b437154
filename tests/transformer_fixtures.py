"""Small models and inputs shared by the Transformer tests (one shape everywhere, so XLA compiles once)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mmjax.nn.transformer import DecoderOnly, EncoderDecoder, TransformerConfig

# One layer keeps compilation cheap; DEEP (two layers) is used where layers interact, e.g. per-layer caches.
CONFIG = TransformerConfig(vocab_size=11, d_model=32, num_heads=4, num_layers=1, d_hidden=64, max_length=16)
DEEP = dataclasses.replace(CONFIG, num_layers=2)
PAD, BOS, EOS = 0, 1, 2


def tokens(seed: int, batch: int, length: int, lengths=None) -> jax.Array:
    """Random non-special token ids [B, L]; rows padded with PAD after ``lengths[b]`` tokens."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(3, CONFIG.vocab_size, size=(batch, length))
    if lengths is not None:
        ids = np.where(np.arange(length)[None, :] < np.asarray(lengths)[:, None], ids, PAD)
    return jnp.asarray(ids, jnp.int32)


def encoder_decoder(config: TransformerConfig = CONFIG, seed: int = 0) -> EncoderDecoder:
    return EncoderDecoder(config, rngs=nnx.Rngs(seed))


def decoder_only(config: TransformerConfig = CONFIG, seed: int = 0) -> DecoderOnly:
    return DecoderOnly(config, rngs=nnx.Rngs(seed))
