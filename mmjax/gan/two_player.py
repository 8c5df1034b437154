"""The two-player train step: k discriminator updates, then one generator update, as one pure function.

Section 3.1 of the source text in four steps, each a function below:
  1. initialise G and D                      -> ``make_init``
  2. for each batch, G generates G(z)        -> ``generate``
  3. D classifies real vs generated          -> ``discriminator_loss``
  4. adversarial update: D descends its loss (``discriminator_update``), then G descends its own with
     D fixed (``generator_update``); ``train_step`` runs one round of both.

The state is one train state per player (:mod:`mmjax.train.state`), plain arrays only, so it can be
donated to ``jax.jit`` and checkpointed:

    state = {"generator": {"params", "state", "opt_state", "step"}, "discriminator": {...}}

and the optimisers come as ``{"generator": optax transform, "discriminator": optax transform}``. The
players' graphs and the loss choices are static, in a :class:`GANSpec`.

PacGAN (Lin et al. 2018): with ``pack`` = m, D judges m samples at once, all real or all fake,
concatenated along features (vectors) or channels (images); a batch of N samples gives N / m decisions.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from mmjax.gan import losses
from mmjax.nn import functional as F
from mmjax.train.state import apply_gradients, new_train_state

PLAYERS = ("generator", "discriminator")


def pack(x: jax.Array, m: int) -> jax.Array:
    """PacGAN packing: [N, ..., C] -> [N / m, ..., m * C] (m consecutive samples become one D input)."""
    if x.shape[0] % m:
        raise ValueError(f"batch of {x.shape[0]} samples cannot be split into packs of {m}")
    grouped = x.reshape(x.shape[0] // m, m, *x.shape[1:])  # [N/m, m, ..., C]
    grouped = jnp.moveaxis(grouped, 1, -2)  # [N/m, ..., m, C]
    return grouped.reshape(*grouped.shape[:-2], m * x.shape[-1])


@dataclasses.dataclass(frozen=True)
class GANSpec:
    """Everything static about a GAN's training step: the players' graphs and the loss choices."""

    generator: nnx.GraphDef  # graph of G: (z [N, latent], condition) -> x
    discriminator: nnx.GraphDef  # graph of D: (packed x, condition) -> logits [N / pack]
    latent_dim: int  # z ~ N(0, I_latent)
    loss: str = "non_saturating"  # a key of mmjax.gan.losses.LOSSES
    d_steps: int = 1  # discriminator updates per generator update
    pack: int = 1  # PacGAN degree m (1 = no packing)
    gp_weight: float = 0.0  # lambda of the WGAN-GP gradient penalty
    r1_weight: float = 0.0  # gamma of the R1 penalty (the loss adds gamma / 2 * E||grad D(x)||^2)
    matching_aware: bool = False  # GAN-INT-CLS: real x with a shuffled condition also counts as fake

    def __post_init__(self):
        losses.get_losses(self.loss)
        if self.d_steps < 1 or self.pack < 1:
            raise ValueError(f"d_steps and pack must be >= 1, got {self.d_steps} and {self.pack}")
        if self.matching_aware and self.loss not in ("minimax", "non_saturating"):
            raise ValueError("matching_aware needs the cross-entropy losses 'minimax' or 'non_saturating'")


def player_graphs(build_players: Callable[[Any, jax.Array], tuple], config) -> tuple[nnx.GraphDef, nnx.GraphDef]:
    """The graphs of the (G, D) that ``build_players(config, key)`` makes, built abstractly (no FLOPs)."""
    key = jax.random.key(0)
    return F.graph_of(lambda: build_players(config, key)[0]), F.graph_of(lambda: build_players(config, key)[1])


def fast_init_key(key: jax.Array) -> jax.Array:
    """An RBG key derived from ``key``, for parameter initialisation only.

    Initialising dozens of arrays from threefry keys makes XLA CPU compile for tens of seconds (each draw
    is a large hash circuit); RBG keys compile ~8x faster. The result is still a pure function of ``key``.
    """
    return jax.random.wrap_key_data(jax.random.bits(key, (4,), jnp.uint32), impl="rbg")


def make_init(build_players: Callable[[Any, jax.Array], tuple]) -> Callable[[Any, jax.Array, dict], dict]:
    """``init(config, key, optimizers)`` for a GAN whose players ``build_players(config, key)`` creates.

    Building the players is compiled as one program per config: eager init would dispatch (and compile)
    op by op, which on CPU costs more than the whole program.
    """

    @functools.cache
    def compiled(config) -> Callable[[jax.Array], dict]:
        @jax.jit
        def variables(key):
            generator, discriminator = build_players(config, fast_init_key(key))
            return {"generator": F.split(generator)[1], "discriminator": F.split(discriminator)[1]}

        return variables

    def init(config, key: jax.Array, optimizers: dict) -> dict:
        """Step 1 of the GAN algorithm: fresh G and D, each with its optimiser's state and step 0."""
        variables = compiled(config)(key)
        return {player: new_train_state(variables[player], optimizers[player]) for player in PLAYERS}

    return init


def generate(spec: GANSpec, generator: dict, key: jax.Array, num: int, condition=None) -> jax.Array:
    """Step 2: x = G(z), z ~ N(0, I); ``generator`` holds G's variables (its train state will do)."""
    z = jax.random.normal(key, (num, spec.latent_dim))  # [N, latent]
    return F.call(spec.generator, generator, z, condition)[0]


def discriminator_loss(spec: GANSpec, d_params, state: dict, real, condition, key) -> tuple[jax.Array, dict]:
    """Step 3: D's loss on a real batch and fresh fakes G(z) (z drawn from ``key``); returns (loss, aux)."""
    key_z, key_gp = jax.random.split(key)
    fake = jax.lax.stop_gradient(generate(spec, state["generator"], key_z, real.shape[0], condition))
    d_vars = {"params": d_params, "state": state["discriminator"]["state"]}
    d_loss_fn, _ = losses.get_losses(spec.loss)
    num_packs = real.shape[0] // spec.pack
    # D classifies real and generated samples in one call (so one power iteration per update).
    inputs = jnp.concatenate([pack(real, spec.pack), pack(fake, spec.pack)])
    conditions = None if condition is None else jnp.concatenate([condition, condition])
    logits, new_vars = F.call(spec.discriminator, d_vars, inputs, conditions)
    real_logits, fake_logits = logits[:num_packs], logits[num_packs:]
    if spec.matching_aware:
        wrong = jnp.roll(condition, 1, axis=0)  # another example's condition: real image, wrong text
        wrong_logits, _ = F.call(spec.discriminator, d_vars, real, wrong)
        loss = losses.matching_aware_discriminator_loss(real_logits, wrong_logits, fake_logits)
    else:
        loss = d_loss_fn(real_logits, fake_logits)

    def critic(x):
        return F.call(spec.discriminator, d_vars, x, condition)[0]

    if spec.gp_weight:
        loss += spec.gp_weight * losses.gradient_penalty(critic, pack(real, spec.pack), pack(fake, spec.pack), key_gp)
    if spec.r1_weight:
        loss += 0.5 * spec.r1_weight * losses.r1_penalty(critic, pack(real, spec.pack))
    return loss, {"state": new_vars["state"], "real_logits": real_logits, "fake_logits": fake_logits}


def discriminator_update(spec: GANSpec, state: dict, real, condition, key, optimizer) -> tuple[dict, dict]:
    """Step 4a: one optimiser step of D on its loss (G fixed)."""
    d_state = state["discriminator"]
    loss_fn = functools.partial(discriminator_loss, spec, state=state, real=real, condition=condition, key=key)
    (loss, aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(d_state["params"])
    d_state = apply_gradients(d_state, grads, optimizer, state=aux["state"])
    metrics = {
        "d_loss": loss,
        "d_real": jnp.mean(jax.nn.sigmoid(aux["real_logits"])),
        "d_fake": jnp.mean(jax.nn.sigmoid(aux["fake_logits"])),
        "d_grad_norm": optax.tree.norm(grads),
    }
    return {**state, "discriminator": d_state}, metrics


def generator_update(spec: GANSpec, state: dict, num: int, condition, key, optimizer) -> tuple[dict, dict]:
    """Step 4b: one optimiser step of G on its loss against the current D."""
    g_state, d_state = state["generator"], state["discriminator"]
    _, g_loss_fn = losses.get_losses(spec.loss)

    def loss_fn(params):
        z = jax.random.normal(key, (num, spec.latent_dim))  # [N, latent]
        fake, new_vars = F.call(spec.generator, {"params": params, "state": g_state["state"]}, z, condition)
        # D is held fixed: its parameters are constants here and its state update is discarded.
        logits, _ = F.call(spec.discriminator, d_state, pack(fake, spec.pack), condition)
        return g_loss_fn(logits), new_vars["state"]

    (loss, new_model_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(g_state["params"])
    g_state = apply_gradients(g_state, grads, optimizer, state=new_model_state)
    return {**state, "generator": g_state}, {"g_loss": loss, "g_grad_norm": optax.tree.norm(grads)}


def train_step(spec: GANSpec, state: dict, batch: dict, key: jax.Array, optimizers: dict) -> tuple[dict, dict]:
    """One round of the game, pure: ``(state, batch, key) -> (state, metrics)``.

    ``batch`` = {"x": real [N, ...], "condition": optional}. Each of the ``d_steps`` D updates sees the same
    real batch with fresh fakes; then G takes one step against the updated D (Goodfellow et al. 2014, Alg. 1).
    """
    real = jnp.asarray(batch["x"])
    condition = batch.get("condition")
    if condition is not None:
        if spec.pack != 1:
            raise ValueError("PacGAN packing is only implemented for unconditional GANs (pack=1 with conditions)")
        condition = jnp.asarray(condition)
    keys = jax.random.split(key, spec.d_steps + 1)
    metrics = {}
    for d_key in keys[:-1]:  # step 4a: the discriminator's updates
        state, metrics = discriminator_update(spec, state, real, condition, d_key, optimizers["discriminator"])
    state, g_metrics = generator_update(spec, state, real.shape[0], condition, keys[-1], optimizers["generator"])
    metrics = {**metrics, **g_metrics}
    # one norm over both players' gradients (D's last update), so the loop's guard names a non-finite one
    metrics["grad_norm"] = jnp.sqrt(metrics["d_grad_norm"] ** 2 + metrics["g_grad_norm"] ** 2)
    return state, metrics
