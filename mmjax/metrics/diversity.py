"""Diversity of samples generated for the same prompt.

Two complementary views:

* feature spread, ``mean_{i < j} |f_i - f_j|`` over the S samples of one prompt (judge features),
  averaged over prompts: 0 for a generator that ignores its noise;
* outcome variety, for an attribute the prompt leaves free (e.g. position when the prompt names only
  shape and colour): ``|distinct outcomes among S samples| / min(S, K)`` with ``K`` possible values,
  averaged over prompts: ``1 / min(S, K)`` for a collapsed generator, ~1 for one that covers every value.
"""

from __future__ import annotations

import numpy as np

from mmjax.metrics.precision_recall import pairwise_distances


def mean_pairwise_distance(features) -> float:
    """``mean_{i<j} |f_i - f_j|`` of features ``[S, D]``, or of ``[P, S, D]`` averaged over the P prompts."""
    x = np.asarray(features, np.float64)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1] < 2:
        raise ValueError(f"features must be [S, D] or [P, S, D] with S >= 2 samples per prompt, got shape {x.shape}")
    upper = np.triu_indices(x.shape[1], k=1)
    return float(np.mean([pairwise_distances(group, group)[upper].mean() for group in x]))


def distinct_outcome_fraction(outcomes, num_possible: int) -> float:
    """Mean over prompts of ``|unique(outcomes_p)| / min(S, num_possible)`` for integer outcomes ``[P, S]``."""
    x = np.asarray(outcomes)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[1] < 1 or not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"outcomes must be integers of shape [S] or [P, S], got {x.dtype} {x.shape}")
    if num_possible < 1:
        raise ValueError(f"num_possible must be >= 1, got {num_possible}")
    return float(np.mean([len(np.unique(row)) for row in x]) / min(x.shape[1], num_possible))
