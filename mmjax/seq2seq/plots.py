"""Attention maps as figures: one heat map per head, queries down, keys across."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_attention(
    weights, key_labels: Sequence, query_labels: Sequence, path: str | Path, title: str = "", pad_label=0
) -> None:
    """``weights`` ``[H, T, S]`` for one example; padding keys/queries (label == pad_label) are cut off."""
    weights = np.asarray(weights)
    key_labels, query_labels = [str(k) for k in key_labels], [str(q) for q in query_labels]
    keys = [i for i, k in enumerate(key_labels) if k != str(pad_label)] or list(range(len(key_labels)))
    queries = [i for i, q in enumerate(query_labels) if q != str(pad_label)] or list(range(len(query_labels)))
    heads = weights.shape[0]
    fig, axes = plt.subplots(1, heads, figsize=(2.6 * heads, 2.8), squeeze=False)
    for head, ax in enumerate(axes[0]):
        ax.imshow(weights[head][np.ix_(queries, keys)], cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(keys)), [key_labels[i] for i in keys], rotation=90, fontsize=7)
        ax.set_yticks(range(len(queries)), [query_labels[i] for i in queries], fontsize=7)
        ax.set_title(f"head {head}", fontsize=9)
    axes[0][0].set_ylabel("query (decoder input)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
