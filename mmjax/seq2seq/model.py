"""The encoder-decoder of the task, used functionally: a static graph plus the variables of a train state.

The modules themselves live in :mod:`mmjax.nn` (``EncoderDecoder``); this file fixes their shape from a
:class:`~mmjax.seq2seq.config.Seq2SeqConfig` and runs them as pure functions of ``variables``
(``{"params", "state"}``, see :mod:`mmjax.nn.functional`; a train state has both entries).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from flax import nnx

from mmjax.nn import functional as F
from mmjax.nn.decoding import DecodeOptions
from mmjax.nn.transformer import EncoderDecoder, generate
from mmjax.seq2seq.config import BOS_ID, EOS_ID, PAD_ID, Seq2SeqConfig


def make_model(config: Seq2SeqConfig, *, rngs: nnx.Rngs) -> EncoderDecoder:
    """The Transformer: source symbols -> memory -> target symbols, one shared vocabulary."""
    return EncoderDecoder(config.transformer(), rngs=rngs)


@functools.cache
def graphdef(config: Seq2SeqConfig) -> nnx.GraphDef:
    """The model's structure, without parameters (built abstractly, so it costs no FLOPs)."""
    return F.graph_of(lambda: make_model(config, rngs=nnx.Rngs(0)))


def logits(graphdef: nnx.GraphDef, variables: F.Variables, batch: dict, key: jax.Array | None = None) -> jax.Array:
    """Teacher forcing: predict target[t + 1] from the source and target[: t + 1]. ``[B, T - 1, V]``.

    Any ``EncoderDecoder`` graph (``graphdef(config)`` for this task); ``key`` drives dropout (None: none).
    """
    return F.call(graphdef, variables, batch["source"], batch["target"][:, :-1], key)[0]


def decode_options(config: Seq2SeqConfig, method: str = "greedy", **kwargs) -> DecodeOptions:
    """Decode the symbols and <eos> (``max_length + 1`` tokens) with ``method`` ("greedy", "sample", "beam")."""
    length = config.max_length + 1
    return DecodeOptions(method, max_length=length, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID, **kwargs)


def predict(
    config: Seq2SeqConfig,
    variables: F.Variables,
    source,
    options: DecodeOptions | None = None,
    key: jax.Array | None = None,
) -> jax.Array:
    """Generated targets (without <bos>) ``[B, max_length + 1]``, greedy unless ``options`` says otherwise."""
    options = decode_options(config) if options is None else options
    variables = {"params": variables["params"], "state": variables["state"]}  # not the optimiser's state
    return generate(graphdef(config), variables, jnp.asarray(source), options, key)
