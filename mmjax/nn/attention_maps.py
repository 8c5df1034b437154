"""Look inside a model: the attention weights every MultiHeadAttention layer used in one forward pass,
and a figure of them.

    maps = attention_maps(graphdef, variables, lambda model: model(source, target_in))
    maps["decoder/blocks/1/cross_attention"]  # [B, H, T, S]: row t is query t's weights over the keys

:func:`attention_maps` is a pure function of the model's variables (see :mod:`mmjax.nn.functional`): it
rebuilds the model, switches weight recording on in that copy only, runs ``forward`` and returns what
was recorded, so it runs eagerly or inside ``jax.jit`` (with ``graphdef`` and ``forward`` static).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import jax
import numpy as np
from flax import nnx

from mmjax.nn import functional as F
from mmjax.nn.attention import MultiHeadAttention


def attention_maps(
    graphdef: nnx.GraphDef, variables: F.Variables, forward: Callable[[nnx.Module], Any]
) -> dict[str, jax.Array]:
    """``{layer path: weights [B, H, T, S]}`` of every attention layer that ``forward(model)`` ran.

    Paths read like ``decoder/blocks/0/cross_attention``; a layer called several times reports its
    last call. ``variables`` are those of :func:`mmjax.nn.functional.split` (a train state works too).
    """
    model = F.merge(graphdef, variables)  # a fresh copy: recording never leaks into other calls
    layers = [(path, m) for path, m in nnx.iter_modules(model) if isinstance(m, MultiHeadAttention)]
    for _, layer in layers:
        layer.record_weights = True
    forward(model)
    return {"/".join(map(str, path)): layer.weights[...] for path, layer in layers if hasattr(layer, "weights")}


def plot_attention(
    weights,
    query_labels: Sequence,
    key_labels: Sequence,
    path: str | Path,
    *,
    query_axis: str,
    key_axis: str,
    title: str = "",
    pad_label: str = "<pad>",
) -> None:
    """One heat map per head of ``weights`` ``[H, T, S]`` (one example): queries down, keys across.

    ``query_axis`` / ``key_axis`` name what the rows and columns are (e.g. "decoder input" and "source
    symbol" for cross-attention, "caption word" on both axes for the encoder's self-attention). Rows and
    columns whose label is ``pad_label`` are left out.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    weights = np.asarray(weights)
    if weights.ndim != 3 or weights.shape[1:] != (len(query_labels), len(key_labels)):
        raise ValueError(f"weights must be [heads, {len(query_labels)} queries, {len(key_labels)} keys] for the "
                         f"labels given, got shape {weights.shape}")
    query_labels, key_labels = [str(q) for q in query_labels], [str(k) for k in key_labels]
    queries = [i for i, q in enumerate(query_labels) if q != pad_label] or list(range(len(query_labels)))
    keys = [i for i, k in enumerate(key_labels) if k != pad_label] or list(range(len(key_labels)))
    heads = weights.shape[0]
    fig, axes = plt.subplots(1, heads, figsize=(2.6 * heads, 2.9), squeeze=False)
    for head, ax in enumerate(axes[0]):
        ax.imshow(weights[head][np.ix_(queries, keys)], cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(keys)), [key_labels[i] for i in keys], rotation=90, fontsize=7)
        ax.set_yticks(range(len(queries)), [query_labels[i] for i in queries], fontsize=7)
        ax.set_title(f"head {head}", fontsize=9)
        ax.set_xlabel(f"key: {key_axis}", fontsize=8)
    axes[0][0].set_ylabel(f"query: {query_axis}", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
