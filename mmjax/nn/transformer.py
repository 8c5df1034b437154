"""Whole models: the encoder-decoder (x -> y) and the decoder-only language model.

    memory = Encoder(E_src[x] * sqrt(D) + PE)                   # [B, S, D]
    logits = W_out Decoder(E_tgt[y_<t] * sqrt(D) + PE, memory)  # [B, T, V]

Embeddings are scaled by sqrt(D) so that tokens (initialised with variance 1/D) and the O(1) sinusoidal
position codes start on the same scale.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
from flax import nnx

from mmjax.nn import functional as F
from mmjax.nn.attention import padding_mask
from mmjax.nn.decoder import Decoder
from mmjax.nn.decoding import DecodeOptions, decode
from mmjax.nn.encoder import Encoder
from mmjax.nn.layers import dropout, split_key
from mmjax.nn.position import PositionEncoding


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    vocab_size: int  # token ids 0..vocab_size-1 (of the source and, by default, of the target)
    target_vocab_size: int | None = None  # encoder-decoder: the output vocabulary, when it is not the source's
    d_model: int = 64  # width D of every token's representation
    num_heads: int = 4  # attention heads; D must be divisible by it
    num_layers: int = 2  # blocks in the encoder and (separately) in the decoder
    d_hidden: int = 256  # hidden width of the position-wise MLP
    dropout_rate: float = 0.0  # dropout on embeddings and every residual branch (training only)
    max_length: int = 64  # longest sequence the position encoding covers
    position: str = "sinusoidal"  # "sinusoidal", "learned" or "none" (the latter makes it order-blind)
    pad_id: int = 0  # token id of padding, masked out of attention

    def __post_init__(self):
        if self.d_model % self.num_heads != 0:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by num_heads ({self.num_heads})")
        if self.target_vocab_size is not None and self.target_vocab_size < 1:
            raise ValueError(f"target_vocab_size must be None (the source's) or >= 1, got {self.target_vocab_size}")

    @property
    def output_vocab_size(self) -> int:
        """How many token ids the decoder reads and predicts."""
        return self.vocab_size if self.target_vocab_size is None else self.target_vocab_size


class TokenEmbedding(nnx.Module):
    """x_t = E[token_t] * sqrt(D) + PE[offset + t], for token ids 0..vocab_size-1."""

    def __init__(self, config: TransformerConfig, vocab_size: int, *, rngs: nnx.Rngs):
        self.embed = nnx.Embed(vocab_size, config.d_model, rngs=rngs)
        self.position = PositionEncoding(config.position, config.max_length, config.d_model, rngs=rngs)
        self.scale = math.sqrt(config.d_model)

    def __call__(self, tokens: jax.Array, offset: int | jax.Array = 0) -> jax.Array:
        return self.embed(tokens) * self.scale + self.position(tokens.shape[1], offset)  # [B, T, D]


def _check_cache_length(max_length: int, config: TransformerConfig) -> None:
    # Beyond the position table, dynamic_slice would silently clamp the position: refuse instead.
    if not 1 <= max_length <= config.max_length:
        raise ValueError(f"cache max_length must be in 1..{config.max_length} (the model max_length), got {max_length}")


def _check_tokens(tokens: jax.Array, name: str) -> None:
    if tokens.ndim != 2 or not jnp.issubdtype(tokens.dtype, jnp.integer):
        raise ValueError(f"{name} must be integer token ids [batch, length], got {tokens.dtype} {tuple(tokens.shape)}")


class EncoderDecoder(nnx.Module):
    """The sequence-to-sequence Transformer: encode the source once, decode the target causally.

    Source tokens are ids below ``vocab_size``; target tokens (read and predicted by the decoder) are
    ids below ``output_vocab_size``.
    """

    def __init__(self, config: TransformerConfig, *, rngs: nnx.Rngs):
        c = config
        self.config = config
        self.source_embedding = TokenEmbedding(c, c.vocab_size, rngs=rngs)
        self.target_embedding = TokenEmbedding(c, c.output_vocab_size, rngs=rngs)
        self.encoder = Encoder(c.num_layers, c.d_model, c.num_heads, c.d_hidden, c.dropout_rate, rngs=rngs)
        self.decoder = Decoder(
            c.num_layers, c.d_model, c.num_heads, c.d_hidden, c.dropout_rate, cross_attention=True, rngs=rngs
        )
        self.head = nnx.Linear(c.d_model, c.output_vocab_size, rngs=rngs)

    def encode(self, source: jax.Array, key: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
        """source ``[B, S]`` -> (memory ``[B, S, D]``, memory mask ``[B, 1, 1, S]``)."""
        _check_tokens(source, "source")
        key_embed, key_encoder = split_key(key, 2)
        mask = padding_mask(source, self.config.pad_id)
        x = dropout(self.source_embedding(source), self.config.dropout_rate, key_embed)
        return self.encoder(x, mask, key_encoder), mask

    def decode(self, target_in, memory, memory_mask, key=None) -> jax.Array:
        """Teacher forcing: logits ``[B, T, V]`` of token t+1 given target tokens 0..t and the memory."""
        _check_tokens(target_in, "target")
        key_embed, key_decoder = split_key(key, 2)
        y = dropout(self.target_embedding(target_in), self.config.dropout_rate, key_embed)
        return self.head(self.decoder(y, memory, memory_mask, key_decoder))

    def __call__(self, source: jax.Array, target_in: jax.Array, key: jax.Array | None = None) -> jax.Array:
        key_encode, key_decode = split_key(key, 2)
        memory, memory_mask = self.encode(source, key_encode)
        return self.decode(target_in, memory, memory_mask, key_decode)

    def init_cache(self, memory: jax.Array, memory_mask: jax.Array, max_length: int) -> dict:
        """Decoding state: per-layer self-attention caches, cross keys/values, and the memory mask."""
        _check_cache_length(max_length, self.config)
        layers = self.decoder.init_cache(memory.shape[0], max_length, memory)
        return {"layers": layers, "memory_mask": memory_mask}

    def decode_step(self, tokens: jax.Array, cache: dict, index: jax.Array) -> tuple[jax.Array, dict]:
        """tokens ``[B]`` at position ``index`` -> (next-token logits ``[B, V]``, cache)."""
        y = self.target_embedding(tokens[:, None], index)  # [B, 1, D]
        y, layers = self.decoder.decode_step(y, cache["layers"], index, cache["memory_mask"])
        return self.head(y[:, 0]), {**cache, "layers": layers}


class DecoderOnly(nnx.Module):
    """A causal language model: logits of token t+1 from tokens 0..t (no encoder, no cross-attention)."""

    def __init__(self, config: TransformerConfig, *, rngs: nnx.Rngs):
        c = config
        self.config = config
        if c.target_vocab_size is not None:
            raise ValueError("a decoder-only model has one vocabulary: leave target_vocab_size at None")
        self.embedding = TokenEmbedding(c, c.vocab_size, rngs=rngs)
        self.decoder = Decoder(
            c.num_layers, c.d_model, c.num_heads, c.d_hidden, c.dropout_rate, cross_attention=False, rngs=rngs
        )
        self.head = nnx.Linear(c.d_model, c.vocab_size, rngs=rngs)

    def __call__(self, tokens: jax.Array, key: jax.Array | None = None) -> jax.Array:
        _check_tokens(tokens, "tokens")
        key_embed, key_decoder = split_key(key, 2)
        x = dropout(self.embedding(tokens), self.config.dropout_rate, key_embed)
        return self.head(self.decoder(x, key=key_decoder))  # [B, T, V]

    def init_cache(self, batch: int, max_length: int) -> dict:
        _check_cache_length(max_length, self.config)
        return {"layers": self.decoder.init_cache(batch, max_length)}

    def decode_step(self, tokens: jax.Array, cache: dict, index: jax.Array) -> tuple[jax.Array, dict]:
        x = self.embedding(tokens[:, None], index)
        x, layers = self.decoder.decode_step(x, cache["layers"], index)
        return self.head(x[:, 0]), {"layers": layers}


def recomputing_step(logits_of_prefix):
    """A decoding step *without* a key/value cache, for comparison with a model's ``decode_step``.

    ``logits_of_prefix(prefix [B, L], cache) -> [B, L, V]`` runs the whole model over a prefix; the
    step's "cache" is ``{"prefix": [B, L] token ids, ...}`` plus whatever that function reads (the
    encoder's memory). Step t writes token t into the prefix and reruns the model over all of it;
    causal masking makes position t's logits exactly those of the cached step. Each step costs a full
    L-token pass instead of one token's, which is what the cache saves: O(L^2) token passes per
    sequence instead of O(L).
    """

    def step_fn(token: jax.Array, cache: dict, index: jax.Array) -> tuple[jax.Array, dict]:
        cache = {**cache, "prefix": cache["prefix"].at[:, index].set(token)}  # [B, L]
        logits = logits_of_prefix(cache["prefix"], cache)  # [B, L, V]
        return jax.lax.dynamic_index_in_dim(logits, index, axis=1, keepdims=False), cache

    return step_fn


@functools.partial(jax.jit, static_argnames=("graphdef", "options", "use_cache"))
def generate(
    graphdef, variables, source: jax.Array, options: DecodeOptions, key: jax.Array | None = None, use_cache=True
):
    """Encode ``source`` ``[B, S]`` and decode ``[B, options.max_length]`` tokens, in one compiled call.

    ``graphdef, variables = mmjax.nn.functional.split(model)`` for an ``EncoderDecoder`` (a train state
    holds the same ``params`` and ``state``): the structure is static, the arrays are traced, so new
    parameters reuse the compiled program. ``use_cache=False`` decodes with :func:`recomputing_step`
    (the same tokens, more work), to measure what the key/value cache is worth.
    """
    model = F.merge(graphdef, variables)
    memory, memory_mask = model.encode(source)
    start = jnp.full((source.shape[0],), options.bos_id, jnp.int32)
    if use_cache:
        return decode(model.decode_step, model.init_cache(memory, memory_mask, options.max_length), start, options, key)
    prefix = jnp.full((source.shape[0], options.max_length), options.pad_id, jnp.int32)
    cache = {"prefix": prefix, "memory": memory, "memory_mask": memory_mask}
    step_fn = recomputing_step(lambda prefix, c: model.decode(prefix, c["memory"], c["memory_mask"]))
    return decode(step_fn, cache, start, options, key)


@functools.partial(jax.jit, static_argnames=("graphdef", "options", "use_cache"))
def generate_lm(graphdef, variables, start: jax.Array, options: DecodeOptions, key=None, use_cache=True):
    """Continue each start token ``[B]`` of a ``DecoderOnly`` language model for ``options.max_length`` tokens.

    ``use_cache=False`` reruns the model over the whole prefix at every step (:func:`recomputing_step`).
    """
    model = F.merge(graphdef, variables)
    batch = start.shape[0]
    if use_cache:
        return decode(model.decode_step, model.init_cache(batch, options.max_length), start, options, key)
    prefix = jnp.full((batch, options.max_length), options.pad_id, jnp.int32)
    return decode(recomputing_step(lambda prefix, _: model(prefix)), {"prefix": prefix}, start, options, key)
