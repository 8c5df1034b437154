"""The encoder-decoder used functionally: a static graph definition plus a pure dict of parameters."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from flax import nnx

from mmjax.nn.decoding import DecodeOptions
from mmjax.nn.transformer import EncoderDecoder, generate
from mmjax.seq2seq.config import BOS_ID, EOS_ID, PAD_ID, Seq2SeqConfig


@functools.cache
def graphdef(config: Seq2SeqConfig) -> nnx.GraphDef:
    """The model's structure without parameters (built abstractly, so it costs no FLOPs)."""
    return nnx.graphdef(nnx.eval_shape(lambda: EncoderDecoder(config.transformer(), rngs=nnx.Rngs(0))))


def init_params(config: Seq2SeqConfig, key: jax.Array) -> dict:
    model = EncoderDecoder(config.transformer(), rngs=nnx.Rngs(params=key))
    return nnx.to_pure_dict(nnx.state(model, nnx.Param))


def model(config: Seq2SeqConfig, params: dict) -> EncoderDecoder:
    return nnx.merge(graphdef(config), params)


def logits(config: Seq2SeqConfig, params: dict, batch: dict, key: jax.Array | None = None) -> jax.Array:
    """Teacher forcing: predict target[t + 1] from source and target[: t + 1]. ``[B, T - 1, V]``."""
    return model(config, params)(batch["source"], batch["target"][:, :-1], key)


def decode_options(config: Seq2SeqConfig, method: str = "greedy", **kwargs) -> DecodeOptions:
    length = config.max_length + 1  # the symbols and <eos>
    return DecodeOptions(method, max_length=length, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID, **kwargs)


def predict(config: Seq2SeqConfig, params: dict, source, options: DecodeOptions | None = None, key=None):
    """Generated targets (without <bos>) ``[B, max_length + 1]``, greedy unless ``options`` says otherwise."""
    options = decode_options(config) if options is None else options
    return generate(graphdef(config), params, jnp.asarray(source), options, key)
