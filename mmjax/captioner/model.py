"""The captioner: a patch-embedding image encoder and a Transformer decoder with cross-attention.

    x      = image / 255                                               # [B, H, W, 3] pixels in [0, 1]
    v      = max_c x_c                                                 # [B, H, W, 1] brightness (HSV "value")
    c_n    = sum_{p in patch n} x(p) / (sum_{p in patch n} v(p) + eps)  # [B, N, 3] the colour of patch n
    memory = Encoder(W_patch vec(2 v_n - 1) + PE_learned[n]) + W_c c_n  # [B, N, D],  N = (H / P)^2
    logits = W_out Decoder(E[y_<t] * sqrt(D) + PE, memory)             # [B, T, V]

Why split brightness from colour: a shape drawn in any colour has nearly the same brightness patches (the
brightest channel of every Shapes colour is 200 to 240; blue and yellow share 240, so their patches are equal),
so the encoder, which never sees colour, describes a red triangle as it describes the triangles of other colours
it was trained on; the colour is added to each patch's token afterwards. Fed RGB
patches instead (``colour_enters="pixels"``, a plain ViT), the encoder learns features of colour *and* shape
together, and colour x shape pairs held out of training come out as a shape seen with that colour.

It is :class:`mmjax.nn.transformer.EncoderDecoder` with the source embedding of tokens replaced by the
patch embedding of an image; every patch is real, so the memory needs no padding mask. Decoding (greedy,
sampling, beam search, with the key/value cache) is :func:`mmjax.nn.transformer.generate` unchanged: it
sees the model only through ``encode``, ``init_cache`` and ``decode_step``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from flax import nnx

from mmjax.captioner.config import CaptionerConfig
from mmjax.data.tokenizer import Tokenizer
from mmjax.nn import functional as F
from mmjax.nn.decoder import Decoder
from mmjax.nn.decoding import DecodeOptions
from mmjax.nn.encoder import Encoder
from mmjax.nn.layers import dropout, split_key
from mmjax.nn.patch_embed import PatchEmbedding, patchify
from mmjax.nn.transformer import TokenEmbedding, generate


def brightness_and_colour(x: jax.Array, patch_size: int, eps: float = 1e-3) -> tuple[jax.Array, jax.Array]:
    """Pixels ``x`` ``[B, H, W, 3]`` in [0, 1] -> (brightness ``v`` ``[B, H, W, 1]``, patch colours ``[B, N, 3]``).

    A Shapes pixel is ``alpha * rgb`` (coverage alpha of an object of colour rgb on black), so ``v = alpha max(rgb)``
    and a patch's colour ``sum x / sum v = rgb / max(rgb)`` whatever part of the patch the object covers:
    the colour says nothing about the shape, the brightness nothing about the colour. Empty patches get 0.
    """
    value = x.max(-1, keepdims=True)  # [B, H, W, 1]
    total = patchify(x, patch_size).reshape(x.shape[0], -1, patch_size * patch_size, 3).sum(2)  # [B, N, 3]
    return value, total / (patchify(value, patch_size).sum(-1, keepdims=True) + eps)


class ImageCaptioner(nnx.Module):
    """Images ``[B, H, W, 3]`` (uint8, or float in [0, 255]) -> logits of the caption's next word."""

    def __init__(self, config: CaptionerConfig, *, rngs: nnx.Rngs):
        m, words = config.model, config.decoder()
        self.image_size = config.image_size
        self.max_length = words.max_length
        self.dropout_rate = m.dropout_rate
        self.colour_enters = m.colour_enters
        channels = 3 if m.colour_enters == "pixels" else 1
        self.patch_embedding = PatchEmbedding(config.image_size, m.patch_size, channels, m.d_model, rngs=rngs)
        if m.colour_enters != "pixels":
            self.colour_embedding = nnx.Linear(3, m.d_model, rngs=rngs)
        self.encoder = Encoder(m.num_encoder_layers, m.d_model, m.num_heads, m.d_hidden, m.dropout_rate, rngs=rngs)
        self.target_embedding = TokenEmbedding(words, words.vocab_size, rngs=rngs)
        self.decoder = Decoder(
            m.num_decoder_layers, m.d_model, m.num_heads, m.d_hidden, m.dropout_rate, cross_attention=True, rngs=rngs
        )
        self.head = nnx.Linear(m.d_model, words.vocab_size, rngs=rngs)

    def encode(self, images: jax.Array, key: jax.Array | None = None) -> tuple[jax.Array, None]:
        """images ``[B, H, W, 3]`` -> (memory ``[B, N, D]``, no memory mask: every patch may be attended)."""
        size = self.image_size
        if images.ndim != 4 or images.shape[1:] != (size, size, 3):
            raise ValueError(f"images must be [batch, {size}, {size}, 3], got shape {tuple(images.shape)}")
        key_embed, key_encoder = split_key(key, 2)
        x = images.astype(jnp.float32) / 255.0  # [B, H, W, 3]
        if self.colour_enters == "pixels":
            tokens, colour = self.patch_embedding(2.0 * x - 1.0), 0.0  # [B, N, D]
        else:
            value, patch_colour = brightness_and_colour(x, self.patch_embedding.patch_size)
            tokens, colour = self.patch_embedding(2.0 * value - 1.0), self.colour_embedding(patch_colour)
        if self.colour_enters == "before_encoder":
            tokens = tokens + colour
        memory = self.encoder(dropout(tokens, self.dropout_rate, key_embed), None, key_encoder)  # [B, N, D]
        return (memory + colour if self.colour_enters == "after_encoder" else memory), None

    def decode(self, target_in, memory, memory_mask=None, key=None) -> jax.Array:
        """Teacher forcing: logits ``[B, T, V]`` of word t+1 given words 0..t and the image's memory."""
        key_embed, key_decoder = split_key(key, 2)
        y = dropout(self.target_embedding(target_in), self.dropout_rate, key_embed)  # [B, T, D]
        return self.head(self.decoder(y, memory, memory_mask, key_decoder))

    def __call__(self, images: jax.Array, target_in: jax.Array, key: jax.Array | None = None) -> jax.Array:
        key_encode, key_decode = split_key(key, 2)
        memory, memory_mask = self.encode(images, key_encode)
        return self.decode(target_in, memory, memory_mask, key_decode)

    def init_cache(self, memory: jax.Array, memory_mask: None, max_length: int) -> dict:
        """Decoding state: per-layer self-attention caches and the cross keys/values of the memory."""
        if not 1 <= max_length <= self.max_length:
            raise ValueError(f"cache max_length must be in 1..{self.max_length}, got {max_length}")
        return {"layers": self.decoder.init_cache(memory.shape[0], max_length, memory), "memory_mask": memory_mask}

    def decode_step(self, tokens: jax.Array, cache: dict, index: jax.Array) -> tuple[jax.Array, dict]:
        """tokens ``[B]`` at position ``index`` -> (next-word logits ``[B, V]``, cache)."""
        y = self.target_embedding(tokens[:, None], index)  # [B, 1, D]
        y, layers = self.decoder.decode_step(y, cache["layers"], index, cache["memory_mask"])
        return self.head(y[:, 0]), {**cache, "layers": layers}


def make_model(config: CaptionerConfig, *, rngs: nnx.Rngs) -> ImageCaptioner:
    return ImageCaptioner(config, rngs=rngs)


@functools.cache
def variables_of(config: CaptionerConfig) -> F.Variables:
    """The shapes of the captioner's variables for ``config`` (built abstractly: no FLOPs)."""
    return jax.eval_shape(lambda: F.split(make_model(config, rngs=nnx.Rngs(0)))[1])


@functools.cache
def graphdef(config: CaptionerConfig) -> nnx.GraphDef:
    """The model's structure, without parameters (built abstractly, so it costs no FLOPs). Cached, as
    seq2seq's is: building it takes about half a second, which every caption and every logits call paid."""
    return F.graph_of(lambda: make_model(config, rngs=nnx.Rngs(0)))


def logits(config: CaptionerConfig, variables: F.Variables, batch: dict, key: jax.Array | None = None) -> jax.Array:
    """Teacher forcing: predict tokens[t + 1] from the image and tokens[: t + 1]. ``[B, T - 1, V]``."""
    return F.call(graphdef(config), variables, batch["image"], batch["tokens"][:, :-1], key)[0]


def decode_options(config: CaptionerConfig, method: str = "greedy", **kwargs) -> DecodeOptions:
    """Decode with "greedy", "sample" or "beam" up to MAX_TOKENS - 2 tokens after <bos>: a caption that never
    says <eos> still fits, framed by <bos> and <eos>, in the MAX_TOKENS that text models read (the cycle)."""
    tokenizer = Tokenizer.default()
    length = config.decoder().max_length - 2
    ids = {"bos_id": tokenizer.bos_id, "eos_id": tokenizer.eos_id, "pad_id": tokenizer.pad_id}
    return DecodeOptions(method, max_length=length, **ids, **kwargs)


def predict(
    config: CaptionerConfig,
    variables: F.Variables,
    images,
    options: DecodeOptions | None = None,
    key: jax.Array | None = None,
) -> jax.Array:
    """Generated token ids (without <bos>) ``[B, MAX_TOKENS - 2]``, greedy unless ``options`` says otherwise."""
    options = decode_options(config) if options is None else options
    variables = {"params": variables["params"], "state": variables["state"]}  # not the optimiser's state
    return generate(graphdef(config), variables, jnp.asarray(images), options, key)


@functools.partial(jax.jit, static_argnames=("config",))
def caption_scores(config: CaptionerConfig, variables: F.Variables, images, ids: jax.Array) -> jax.Array:
    """Mean log-probability per token of each caption ``ids`` ``[B, L]`` (as :func:`predict` returns them, no
    <bos>, <pad> after <eos>) under the model, unconstrained, <eos> included: ``[B]``, at most 0.

    A confident caption of a Shapes picture scores near 0; a picture the model cannot read scores lower,
    whatever decoding (e.g. constrained to the grammar) made the words.
    """
    tokenizer = Tokenizer.default()
    variables = {"params": variables["params"], "state": variables["state"]}
    start = jnp.full((ids.shape[0], 1), tokenizer.bos_id, jnp.int32)
    tokens = jnp.concatenate([start, ids.astype(jnp.int32), jnp.full_like(start, tokenizer.pad_id)], axis=1)
    log_probs = jax.nn.log_softmax(logits(config, variables, {"image": jnp.asarray(images), "tokens": tokens}))
    picked = jnp.take_along_axis(log_probs, tokens[:, 1:, None], axis=-1)[..., 0]  # [B, L + 1]
    target = tokens[:, 1:]
    after_eos = jnp.cumsum(target == tokenizer.eos_id, axis=1) - (target == tokenizer.eos_id)  # 1 past the first eos
    counted = (after_eos == 0) & (target != tokenizer.pad_id)
    return jnp.sum(jnp.where(counted, picked, 0.0), axis=1) / jnp.maximum(counted.sum(1), 1)
