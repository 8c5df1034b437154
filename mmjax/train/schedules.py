"""Learning-rate schedules that span the run: the loop tells each task how many steps it will train.

A run of N steps applies N updates, k = 0 .. N-1. The schedule used everywhere in mmjax is a linear
warm-up over W updates followed by a cosine decay that reaches its end value exactly at the last update:

    eta(k) = peak * k / W                                                      for k < W
    eta(k) = end + (peak - end) * (1 + cos(pi * (k - W) / (N - 1 - W))) / 2   for W <= k <= N - 1

so changing ``mmjax train ... --steps N`` stretches the whole schedule instead of stopping it half-way.
Optimisers wrap their step size with ``optax.inject_hyperparams``, which stores the value of the last
update in the optimiser state (:func:`mmjax.train.state.learning_rate` reads it back).
"""

from __future__ import annotations

import optax


def warmup_cosine(peak: float, num_steps: int, warmup_steps: int = 0, end_value: float = 0.0) -> optax.Schedule:
    """eta(k) above: linear warm-up to ``peak`` over ``warmup_steps``, cosine down to ``end_value`` at k = N - 1."""
    if num_steps < 1:
        raise ValueError(f"a schedule needs num_steps >= 1, got {num_steps}")
    warmup_steps = min(warmup_steps, max(num_steps - 2, 0))
    start = 0.0 if warmup_steps else peak
    return optax.warmup_cosine_decay_schedule(
        start, peak, warmup_steps, max(num_steps - 1, warmup_steps + 1), end_value
    )


def constant_or_cosine(peak: float, num_steps: int, anneal: bool, end_value: float = 0.0) -> optax.ScalarOrSchedule:
    """``peak`` throughout, or (``anneal``) a cosine from ``peak`` to ``end_value`` over the run."""
    return warmup_cosine(peak, num_steps, 0, end_value) if anneal else peak


def adamw_warmup_cosine(peak: float, num_steps: int, weight_decay: float) -> optax.GradientTransformation:
    """AdamW whose step size warms up over a tenth of the run (at most 200 updates), then decays as a cosine
    to 0 at the last update; the current step size is kept in the optimiser state."""
    schedule = warmup_cosine(peak, num_steps, warmup_steps=min(200, num_steps // 10))
    return optax.inject_hyperparams(optax.adamw)(learning_rate=schedule, weight_decay=weight_decay)
