"""One round of the game, for every GAN here: D's update(s), then G's update against the new D, then G's average.

A model describes its game once, as a :class:`Game`: what each player's update reads (a forward pass that
returns a dict of outputs) and the terms of its loss, each a weight and a function of those outputs,

    L_D = sum_i w_i f_i(D's outputs, batch)        L_G = sum_j w_j g_j(G's outputs, batch),

and :func:`train_step` plays it: ``d_steps`` updates of D (each on fresh fakes, its spectral-norm state
advancing once per update), one update of G with D held fixed, then G's moving average (``ema_decay``).
The state is one train state per player (:mod:`mmjax.train.state`), G's also holding ``ema`` when the game
keeps an average; the optimisers come as ``{"generator": ..., "discriminator": ...}``.

    d_loss, g_loss, d_grad_norm, g_grad_norm, grad_norm   the metrics every round reports,
                                                          beside what each term reports (``f_i``'s dict)

Each update's key is its own: ``split(key, d_steps + 1)``, D's updates first, G's last.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax

from mmjax.train import schedules
from mmjax.train.state import apply_gradients


@dataclasses.dataclass(frozen=True)
class Term:
    """One term of a player's loss: ``weight * fn(outputs, batch)[0]``; ``fn``'s metrics (a dict) are reported."""

    name: str  # what the term is, e.g. "adversarial", "nce" (for reading; the metrics name themselves)
    weight: float  # 0 switches the term off (it is still computed and reported)
    fn: Callable  # (outputs: dict, batch: dict) -> (scalar loss, dict of scalar metrics)


@dataclasses.dataclass(frozen=True)
class Game:
    """Everything static about a GAN's round: how each player's update reads the game, and its loss terms."""

    discriminator: Callable  # (D's variables, state, batch, key) -> (D's outputs: dict, D's new variables)
    generator: Callable  # (G's variables, state, batch, key) -> (outputs D gives G's pictures: dict, G's new
    #   model state or None to keep it); D is read from state["discriminator"] and held fixed
    d_terms: tuple[Term, ...]
    g_terms: tuple[Term, ...]
    d_steps: int = 1  # discriminator updates per generator update
    ema_decay: float | None = None  # G's moving average after each update (None: the state keeps none)
    frozen: tuple[str, ...] = ()  # G's top-level parameter groups that never move (their gradients zeroed)

    def __post_init__(self):
        if self.d_steps < 1:
            raise ValueError(f"d_steps must be >= 1, got {self.d_steps}")

    @classmethod
    def of(cls, config, discriminator: Callable, generator: Callable, d_terms, g_terms, **fields) -> Game:
        """A game whose forward passes take ``config`` first (bound here), as a model's step.py writes them; G's
        moving average at ``config.ema_decay`` unless ``fields`` say otherwise."""
        fields = {"ema_decay": getattr(config, "ema_decay", None), **fields}
        bound = functools.partial(discriminator, config), functools.partial(generator, config)
        return cls(*bound, d_terms, g_terms, **fields)


def loss(terms: tuple[Term, ...], outputs: dict, batch: dict) -> tuple[jax.Array, dict]:
    """sum_i w_i f_i(outputs, batch), and every term's metrics."""
    total, metrics = 0.0, {}
    for term in terms:
        value, reported = term.fn(outputs, batch)
        total = total + term.weight * value
        metrics.update(reported)
    return total, metrics


def discriminator_loss(game: Game, d_params, state: dict, batch: dict, key: jax.Array) -> tuple[jax.Array, tuple]:
    """L_D for D's parameters ``d_params``, and (D's new model state, the terms' metrics)."""
    d_vars = {"params": d_params, "state": state["discriminator"]["state"]}
    outputs, new_vars = game.discriminator(d_vars, state, batch, key)
    value, metrics = loss(game.d_terms, outputs, batch)
    return value, (new_vars["state"], metrics)


def generator_loss(game: Game, g_params, state: dict, batch: dict, key: jax.Array) -> tuple[jax.Array, tuple]:
    """L_G for G's parameters ``g_params`` against the current D, and (G's new model state, the terms' metrics)."""
    g_vars = {"params": g_params, "state": state["generator"]["state"]}
    outputs, new_state = game.generator(g_vars, state, batch, key)
    value, metrics = loss(game.g_terms, outputs, batch)
    return value, (new_state, metrics)


def discriminator_update(game: Game, state: dict, batch: dict, key: jax.Array, optimizer) -> tuple[dict, dict]:
    """One optimiser step of D on L_D (G fixed); D's spectral-norm state advances with it."""
    grad_fn = jax.value_and_grad(discriminator_loss, argnums=1, has_aux=True)
    (value, (new_state, metrics)), grads = grad_fn(game, state["discriminator"]["params"], state, batch, key)
    d = apply_gradients(state["discriminator"], grads, optimizer, state=new_state)
    return {**state, "discriminator": d}, {"d_loss": value, **metrics, "d_grad_norm": optax.tree.norm(grads)}


def generator_update(game: Game, state: dict, batch: dict, key: jax.Array, optimizer) -> tuple[dict, dict]:
    """One optimiser step of G on L_G against the current D, then one step of G's moving average."""
    grad_fn = jax.value_and_grad(generator_loss, argnums=1, has_aux=True)
    (value, (new_state, metrics)), grads = grad_fn(game, state["generator"]["params"], state, batch, key)
    # zero gradients: Adam leaves those parameters where they are (and XLA skips their update)
    grads = {**grads, **{name: jax.tree.map(jnp.zeros_like, grads[name]) for name in game.frozen}}
    changes = {} if new_state is None else {"state": new_state}
    g = apply_gradients(state["generator"], grads, optimizer, **changes)
    if game.ema_decay is not None:
        g = moving_average(g, game.ema_decay)
    return {**state, "generator": g}, {"g_loss": value, **metrics, "g_grad_norm": optax.tree.norm(grads)}


def moving_average(g_state: dict, ema_decay: float) -> dict:
    """G's train state with its moving average ``ema`` advanced by one step (after G's update).

    theta_ema <- d_t theta_ema + (1 - d_t) theta: the sampling weights average out the game's oscillation.
    d_t = min(d, (1 + t) / (10 + t)) forgets the random init within the first few hundred steps.
    """
    t = g_state["step"].astype(jnp.float32)
    decay = jnp.minimum(ema_decay, (1.0 + t) / (10.0 + t))
    return {
        **g_state,
        "ema": jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, g_state["ema"], g_state["params"]),
    }


def make_optimizer(config, num_steps: int) -> dict[str, optax.GradientTransformation]:
    """Adam per player (``g_learning_rate``, ``d_learning_rate``, ``beta1``, ``beta2`` of ``config``) at a constant
    step size, the SNGAN recipe, or with a config's ``cosine_decay`` falling as a cosine to 0 at the last update,
    so the last updates are small and G's moving average settles."""

    def adam(rate: float) -> optax.GradientTransformation:
        rate = schedules.constant_or_cosine(rate, num_steps, getattr(config, "cosine_decay", False))
        return optax.inject_hyperparams(optax.adam)(learning_rate=rate, b1=config.beta1, b2=config.beta2)

    return {"generator": adam(config.g_learning_rate), "discriminator": adam(config.d_learning_rate)}


def with_average(state: dict) -> dict:
    """Fresh players' state with G's moving average ``ema`` starting at G's parameters."""
    return {**state, "generator": {**state["generator"], "ema": state["generator"]["params"]}}


def task_step(game: Callable[[object], Game], model_batch: Callable[[dict], dict]) -> Callable:
    """The task's ``train_step(state, batch, key, config, optimizer)``: one round of ``game(config)`` on the
    model's view of a raw batch, ``model_batch(batch)`` (pixels in [-1, 1], token ids, ...)."""

    def step(state: dict, batch: dict, key: jax.Array, config, optimizer: dict) -> tuple[dict, dict]:
        return train_step(game(config), state, model_batch(batch), key, optimizer)

    step.__doc__ = f"One round of {game.__module__}.game(config) on a raw batch (:func:`mmjax.gan.rounds.task_step`)."
    return step


def train_step(game: Game, state: dict, batch: dict, key: jax.Array, optimizers: dict) -> tuple[dict, dict]:
    """One round, pure: ``d_steps`` D updates (the same real batch, fresh fakes each), then one G update."""
    keys = jax.random.split(key, game.d_steps + 1)
    metrics = {}
    for d_key in keys[:-1]:  # the discriminator's updates; the last one's metrics are reported
        state, metrics = discriminator_update(game, state, batch, d_key, optimizers["discriminator"])
    state, g_metrics = generator_update(game, state, batch, keys[-1], optimizers["generator"])
    metrics = {**metrics, **g_metrics}
    # one norm over both players' gradients (D's last update), so the loop's guard names a non-finite one
    metrics["grad_norm"] = jnp.sqrt(metrics["d_grad_norm"] ** 2 + metrics["g_grad_norm"] ** 2)
    return state, metrics
