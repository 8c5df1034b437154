"""Fixed-size batches: run a compiled model on any number of rows with one compiled shape.

    for start, padded, count in padded_chunks(tokens, 128):     # tokens [N, T]
        images = generate(padded, jax.random.fold_in(key, start))[:count]

A jitted function compiles once per input shape, so N rows are cut into chunks of exactly ``size`` rows;
the last chunk, when short, is filled up by repeating its last real row, and the outputs of those filler
rows are thrown away (``[:count]``). Repeating a real row, rather than padding with zeros, keeps the filler
a valid input (real token ids, a real picture) that no model check can refuse.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def _pad(chunk: np.ndarray, size: int) -> np.ndarray:
    # [count, ...] -> [size, ...]: rows count .. size-1 repeat row count-1
    return np.concatenate([chunk, np.repeat(chunk[-1:], size - len(chunk), axis=0)])


def padded_chunks(rows, size: int) -> Iterator[tuple[int, np.ndarray | dict, int]]:
    """Yield ``(start, padded, count)`` for the chunks ``rows[start : start + size]`` of ``rows``.

    ``rows``: an array ``[N, ...]`` or a dict of arrays that all have N rows (cut together, row by row).
    ``padded`` has exactly ``size`` rows (a dict: each of its arrays does): the chunk's ``count`` real rows,
    then its last real row repeated. N = 0 raises: there is no row to repeat, and no output to return.
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"chunk size must be an integer, got {type(size).__name__}")
    if size < 1:
        raise ValueError(f"chunk size must be >= 1 (rows per compiled call), got {size}")
    arrays = rows if isinstance(rows, dict) else {None: rows}
    if not arrays:
        raise ValueError("rows is an empty dict: no arrays to cut into chunks")
    lengths = {len(v) for v in arrays.values()}
    if len(lengths) != 1:
        raise ValueError(f"the arrays of a dict of rows must have the same number of rows, got {sorted(lengths)}")
    (total,) = lengths
    if total == 0:
        raise ValueError("no rows to cut into chunks: pass at least one")
    return _chunks(rows, size, total)


def _chunks(rows, size: int, total: int):
    # A separate generator so that padded_chunks checks its arguments when called, not at the first chunk.
    for start in range(0, total, size):
        if isinstance(rows, dict):
            padded = {k: _pad(v[start : start + size], size) for k, v in rows.items()}
        else:
            padded = _pad(rows[start : start + size], size)
        yield start, padded, min(size, total - start)
