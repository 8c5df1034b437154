"""Checks of command-line numbers the commands share, made before any work (and before JAX loads).

A seed becomes ``jax.random.key(seed)``, a 32-bit key: 2**32 overflowed deep inside JAX, and a negative seed
was a different key from what the user meant. Each check returns the value or raises a one-line ValueError
naming the option.
"""

from __future__ import annotations

import numbers

SEED_LIMIT = 2**32  # jax.random.key takes a uint32 seed


def check_seed(seed, option: str = "--seed") -> int:
    """``seed`` as an int in 0 .. 2**32 - 1."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"{option} must be a whole number, got {seed!r}")
    if not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"{option} must be in 0 .. 2**32 - 1 = {SEED_LIMIT - 1} (a 32-bit key), got {seed}")
    return int(seed)


def check_at_least(value, lowest: int, option: str) -> int:
    """``value`` as an int >= ``lowest``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lowest:
        raise ValueError(f"{option} must be a whole number >= {lowest}, got {value!r}")
    return int(value)
