"""Embedding images and captions with a trained encoder: jitted pure forward passes, batch by batch.

A trained encoder is plain data, :class:`TrainedEncoder` = (config, variables); each function runs one
tower through ``call(graph_of(ContrastiveEncoder(config)), variables, x, method=...)``.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mmjax.metrics.contrastive.config import ContrastiveConfig
from mmjax.metrics.contrastive.model import ContrastiveEncoder
from mmjax.nn import functional as F


@dataclasses.dataclass(frozen=True, eq=False)
class TrainedEncoder:
    """A trained contrastive encoder: its config and its variables ``{"params": ..., "state": ...}``."""

    config: ContrastiveConfig
    variables: dict


def graphdef(config: ContrastiveConfig) -> nnx.GraphDef:
    """The encoder's structure, without parameters (built abstractly, once per config)."""
    return F.module_graph(ContrastiveEncoder, config)


@functools.partial(jax.jit, static_argnums=(0, 1))
def _encode(graph: nnx.GraphDef, method: str, variables: dict, inputs: jax.Array) -> jax.Array:
    return F.call(graph, variables, inputs, method=method)[0]


def _embed(encoder: TrainedEncoder, method: str, inputs: np.ndarray, batch_size: int) -> np.ndarray:
    if not isinstance(encoder, TrainedEncoder):
        raise TypeError(f"expected a TrainedEncoder (from load_encoder), got {type(encoder).__name__}")
    graph = graphdef(encoder.config)
    variables = {"params": encoder.variables["params"], "state": encoder.variables["state"]}
    return np.concatenate(
        [
            np.asarray(_encode(graph, method, variables, jnp.asarray(inputs[i : i + batch_size])))
            for i in range(0, len(inputs), batch_size)
        ]
    )


def embed_images(encoder: TrainedEncoder, images, batch_size: int = 256) -> np.ndarray:
    """uint8 images ``[N, H, W, 3]`` -> unit embeddings ``[N, E]`` (numpy)."""
    images = np.asarray(images)
    if images.ndim != 4 or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 [N, H, W, 3], got {images.dtype} {images.shape}")
    return _embed(encoder, "encode_images", images.astype(np.float32) / 127.5 - 1.0, batch_size)


def embed_texts(encoder: TrainedEncoder, tokens, batch_size: int = 1024) -> np.ndarray:
    """Token ids ``[N, L]`` -> unit embeddings ``[N, E]`` (numpy)."""
    tokens = np.asarray(tokens, np.int32)
    if tokens.ndim != 2:
        raise ValueError(f"tokens must be [N, L] integer ids, got shape {tokens.shape}")
    return _embed(encoder, "encode_texts", tokens, batch_size)
