"""A trainable model's state in the loop, and the one helper that applies gradients to it.

Every model trains with the same pytree of plain arrays (checkpointable by orbax, donatable to jit):

    train_state = {"params": ..., "state": ..., "opt_state": ..., "step": int32 []}

``params`` and ``state`` are the model's variables as :func:`mmjax.nn.functional.split` returns them,
``opt_state`` is the Optax optimiser's state and ``step`` counts the updates applied. A model with
several players (a GAN's generator and discriminator) keeps one such train state per player.

One update, for any model (Optax applied directly):

    g_t = grad L(theta_t);   (u_t, s_{t+1}) = optimizer.update(g_t, s_t, theta_t);   theta_{t+1} = theta_t + u_t
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax

from mmjax.nn.functional import Variables


def new_train_state(variables: Variables, optimizer: optax.GradientTransformation) -> dict:
    """The train state before the first update: the variables, a fresh optimiser state, step 0."""
    return {**variables, "opt_state": optimizer.init(variables["params"]), "step": jnp.zeros((), jnp.int32)}


def apply_gradients(train_state: dict, grads, optimizer: optax.GradientTransformation, **changes) -> dict:
    """The train state after one optimiser step on ``grads``, with its step advanced by one.

    ``changes`` replaces other entries at the same time, e.g. ``state=new_model_state`` for the
    non-trainable variables the forward pass updated.
    """
    updates, opt_state = optimizer.update(grads, train_state["opt_state"], train_state["params"])
    return {
        **train_state,
        **changes,
        "params": optax.apply_updates(train_state["params"], updates),
        "opt_state": opt_state,
        "step": train_state["step"] + 1,
    }


def learning_rate(opt_state) -> jnp.ndarray | None:
    """The step size of the last update, for optimisers built with ``optax.inject_hyperparams``.

    Looks through ``optax.chain`` states; None when the optimiser does not expose its step size.
    """
    states = opt_state if isinstance(opt_state, tuple) and not hasattr(opt_state, "hyperparams") else (opt_state,)
    for state in states:
        hyperparams = getattr(state, "hyperparams", None)
        if hyperparams and "learning_rate" in hyperparams:
            return hyperparams["learning_rate"]
    return None


def gradient_step(train_state: dict, loss_fn: Callable, optimizer: optax.GradientTransformation) -> tuple[dict, dict]:
    """One update on ``loss_fn(params) -> (loss, metrics)``: the new train state and the metrics, with the
    gradient's norm ``grad_norm`` (and the step size ``learning_rate`` when the optimiser exposes it)."""
    grads, metrics = jax.grad(loss_fn, has_aux=True)(train_state["params"])
    train_state = apply_gradients(train_state, grads, optimizer)
    rate = learning_rate(train_state["opt_state"])
    extra = {} if rate is None else {"learning_rate": rate}
    return train_state, {**metrics, "grad_norm": optax.tree.norm(grads), **extra}
