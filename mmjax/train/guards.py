"""Stop a run the moment a loss or a parameter stops being a finite number, and say where.

Inside the jitted step we reduce every floating leaf of (metrics, new state) to one flag,

    ok[i] = all(isfinite(leaf_i)),

a vector of booleans as long as the tree has leaves: cheap next to the step itself. The host reads it
after each step and, if any flag is false, raises :class:`NonFiniteError` naming the step and the tree
paths of the offending leaves (``state['params']['hidden']['kernel']``). A NaN gradient shows up in
the parameters it was applied to, so this catches non-finite gradients too. Nothing from that step
is checkpointed: the last good checkpoint stays the latest.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


class NonFiniteError(FloatingPointError):
    """A loss, metric or parameter became NaN or infinite."""


def leaf_paths(tree) -> list[str]:
    """Every leaf's path in flattening order, readable as code: ``state['params']['out']['kernel']``."""

    def name(path):
        head = path[0] if path else None
        if isinstance(head, jax.tree_util.DictKey) and isinstance(head.key, str):
            return head.key + jax.tree_util.keystr(path[1:])
        return jax.tree_util.keystr(path)

    return [name(path) for path, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]


def finite_flags(tree) -> jax.Array:
    """ok[i] = all(isfinite(leaf_i)); integer leaves are always finite.  # [num_leaves] bool"""
    leaves = jax.tree_util.tree_leaves(tree)
    flags = [
        jnp.all(jnp.isfinite(leaf)) if jnp.issubdtype(jnp.result_type(leaf), jnp.inexact) else jnp.bool_(True)
        for leaf in leaves
    ]
    return jnp.stack(flags) if flags else jnp.ones((0,), bool)


def check_finite(flags, paths: list[str], step: int, last_good: int | None = None, run_dir: str | None = None) -> None:
    """Raise NonFiniteError if any flag is false, naming the step and the offending paths."""
    flags = np.asarray(flags)
    if flags.all():
        return
    bad = [path for path, ok in zip(paths, flags) if not ok]
    shown = ", ".join(bad[:8]) + (f" and {len(bad) - 8} more" if len(bad) > 8 else "")
    where = (
        f"the last good checkpoint is step {last_good} in {run_dir}"
        if last_good is not None
        else "no checkpoint was written yet"
    )
    raise NonFiniteError(
        f"non-finite values (NaN or inf) at step {step} in: {shown}. The run stopped and nothing from "
        f"this step was saved; {where}. Common causes: a learning rate too high, log(0) or division "
        "by zero in a loss, or bad input data."
    )
