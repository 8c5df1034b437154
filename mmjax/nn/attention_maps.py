"""Look inside a model: the attention weights every MultiHeadAttention layer used in one forward pass,
and a figure of them.

    maps = attention_maps(graphdef, variables, lambda model: model(source, target_in))
    maps["decoder/blocks/1/cross_attention"]  # [B, H, T, S]: row t is query t's weights over the keys

:func:`attention_maps` is a pure function of the model's variables (see :mod:`mmjax.nn.functional`): it
rebuilds the model, switches weight recording on in that copy only, runs ``forward`` and returns what
was recorded, so it runs eagerly or inside ``jax.jit`` (with ``graphdef`` and ``forward`` static).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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
    columns whose label is ``pad_label`` are left out. One colour bar, shared by the heads, reads the
    colour as an attention weight from 0 to 1 (each query's row sums to 1 over the keys shown).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    weights = np.asarray(weights)
    if weights.ndim != 3 or weights.shape[1:] != (len(query_labels), len(key_labels)):
        raise ValueError(
            f"weights must be [heads, {len(query_labels)} queries, {len(key_labels)} keys] for the "
            f"labels given, got shape {weights.shape}"
        )
    query_labels, key_labels = [str(q) for q in query_labels], [str(k) for k in key_labels]
    queries = [i for i, q in enumerate(query_labels) if q != pad_label] or list(range(len(query_labels)))
    keys = [i for i, k in enumerate(key_labels) if k != pad_label] or list(range(len(key_labels)))
    heads = weights.shape[0]
    # Room for the cells and for the tick labels (rotated key labels below, query labels left of the first head).
    label_inches = 0.075 * max(len(key_labels[i]) for i in keys)
    panel_width = max(1.6, 0.2 * len(keys))
    height = max(1.6, 0.2 * len(queries)) + label_inches + 0.9
    width = heads * (panel_width + 0.3) + 0.075 * max(len(query_labels[i]) for i in queries) + 1.3
    fig, axes = plt.subplots(1, heads, figsize=(width, height), squeeze=False, layout="constrained")
    for head, ax in enumerate(axes[0]):
        image = ax.imshow(weights[head][np.ix_(queries, keys)], cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(keys)), [key_labels[i] for i in keys], rotation=90, fontsize=7)
        ax.set_yticks(range(len(queries)), [query_labels[i] for i in queries] if head == 0 else [], fontsize=7)
        ax.set_title(f"head {head}", fontsize=9)
        ax.set_xlabel(f"key: {key_axis}", fontsize=8)
    axes[0][0].set_ylabel(f"query: {query_axis}", fontsize=8)
    bar = fig.colorbar(image, ax=axes[0].tolist(), shrink=0.9, pad=0.02)
    bar.set_label("attention weight (row sums to 1)", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=90, bbox_inches="tight")  # the whole figure, however long the tick labels
    plt.close(fig)
