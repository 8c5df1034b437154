"""Input validation shared by the metric functions: clear errors instead of deep numpy tracebacks."""

from __future__ import annotations

import numpy as np


def as_features(x, name: str, min_rows: int = 2) -> np.ndarray:
    """``x`` as a float64 array ``[N, D]`` with ``N >= min_rows`` and only finite values."""
    try:
        array = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a numeric array of shape [N, D], got {type(x).__name__}") from None
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape [N, D] (one feature row per sample), got shape {array.shape}")
    if array.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} samples, got {array.shape[0]}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def same_width(a: np.ndarray, b: np.ndarray, names: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{names} must have the same feature dimension, got {a.shape[1]} and {b.shape[1]}")
