"""The two-player train step: k discriminator updates, then one generator update, as one pure function.

Section 3.1 of the source text in four steps, each a function below:
  1. initialise G and D                      -> ``make_init``
  2. for each batch, G generates G(z)        -> ``generate``
  3. D classifies real vs generated          -> ``discriminator_outputs``
  4. adversarial update: D descends its loss, then G descends its own with D fixed (``generator_outputs``);
     ``train_step`` runs one round of both: :mod:`mmjax.gan.rounds`, the round every GAN here plays.

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
from flax import nnx

from mmjax.gan import losses, rounds, terms
from mmjax.nn import functional as F
from mmjax.train.state import new_train_state

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


def spec_for(build_players: Callable[[Any, jax.Array], tuple], config) -> GANSpec:
    """The :class:`GANSpec` of ``config``: the graphs of its players, and every GANSpec field the config names
    (``latent_dim``, ``loss``, ``d_steps``, ``pack``, ...; the others keep their defaults)."""
    generator, discriminator = player_graphs(build_players, config)
    names = [field.name for field in dataclasses.fields(GANSpec) if field.name not in ("generator", "discriminator")]
    fields = {name: getattr(config, name) for name in names if hasattr(config, name)}
    return GANSpec(generator=generator, discriminator=discriminator, **fields)


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


def discriminator_outputs(spec: GANSpec, d_vars: dict, state: dict, batch: dict, key: jax.Array) -> tuple[dict, dict]:
    """Step 3: D's logits for a real batch and fresh fakes G(z) (z drawn from ``key``), packed, in one call (so
    one power iteration per update); with ``matching_aware`` also for the real batch with shuffled conditions."""
    real, condition = batch["x"], batch.get("condition")
    key_z, key_gp = jax.random.split(key)
    fake = jax.lax.stop_gradient(generate(spec, state["generator"], key_z, real.shape[0], condition))
    num_packs = real.shape[0] // spec.pack
    inputs = jnp.concatenate([pack(real, spec.pack), pack(fake, spec.pack)])
    conditions = None if condition is None else jnp.concatenate([condition, condition])
    logits, new_vars = F.call(spec.discriminator, d_vars, inputs, conditions)
    out = {"real": {"logits": logits[:num_packs]}, "fake": {"logits": logits[num_packs:]}}
    if spec.matching_aware:
        wrong = jnp.roll(condition, 1, axis=0)  # another example's condition: real image, wrong text
        out["wrong"] = {"logits": F.call(spec.discriminator, d_vars, real, wrong)[0]}

    def critic(x):
        return F.call(spec.discriminator, d_vars, x, condition)[0]

    penalised = {"critic": critic, "real": pack(real, spec.pack), "fake": pack(fake, spec.pack), "key": key_gp}
    return {**out, "penalty": penalised}, new_vars


def generator_outputs(spec: GANSpec, g_vars: dict, state: dict, batch: dict, key: jax.Array) -> tuple[dict, dict]:
    """D's logits for G's samples (D held fixed: its state update is discarded), and G's new model state."""
    condition = batch.get("condition")
    z = jax.random.normal(key, (batch["x"].shape[0], spec.latent_dim))  # [N, latent]
    fake, new_vars = F.call(spec.generator, g_vars, z, condition)
    logits = F.call(spec.discriminator, state["discriminator"], pack(fake, spec.pack), condition)[0]
    return {"fake": {"logits": logits}}, new_vars["state"]


def _gradient_penalty(out: dict, batch: dict):
    p = out["penalty"]
    return losses.gradient_penalty(p["critic"], p["real"], p["fake"], p["key"]), {}


def _r1_penalty(out: dict, batch: dict):
    return losses.r1_penalty(out["penalty"]["critic"], out["penalty"]["real"]), {}


@functools.cache
def game(spec: GANSpec) -> rounds.Game:
    """Step 4's game: D's loss (``spec.loss``, matching-aware, plus gamma/2 R1 and lambda GP), G's of the family."""
    d_loss_fn, g_loss_fn = losses.get_losses(spec.loss)

    def adversarial_d(out, batch):
        if spec.matching_aware:
            return terms.adversarial_d(True)(out, batch)
        real, fake = out["real"]["logits"], out["fake"]["logits"]
        reported = {"d_real": jnp.mean(jax.nn.sigmoid(real)), "d_fake": jnp.mean(jax.nn.sigmoid(fake))}
        return d_loss_fn(real, fake), reported

    d_terms = (rounds.Term("adversarial", 1.0, adversarial_d),)
    if spec.gp_weight:
        d_terms += (rounds.Term("gradient penalty", spec.gp_weight, _gradient_penalty),)
    if spec.r1_weight:
        d_terms += (rounds.Term("R1", 0.5 * spec.r1_weight, _r1_penalty),)
    g_terms = (rounds.Term("adversarial", 1.0, lambda out, batch: (g_loss_fn(out["fake"]["logits"]), {})),)
    discriminator, generator = (functools.partial(f, spec) for f in (discriminator_outputs, generator_outputs))
    return rounds.Game(discriminator, generator, d_terms, g_terms, d_steps=spec.d_steps)


def train_step(spec: GANSpec, state: dict, batch: dict, key: jax.Array, optimizers: dict) -> tuple[dict, dict]:
    """One round of the game, pure: ``(state, batch, key) -> (state, metrics)`` (:func:`mmjax.gan.rounds.train_step`).

    ``batch`` = {"x": real [N, ...], "condition": optional}. Each of the ``d_steps`` D updates sees the same
    real batch with fresh fakes; then G takes one step against the updated D (Goodfellow et al. 2014, Alg. 1).
    """
    condition, batch = batch.get("condition"), {"x": jnp.asarray(batch["x"])}
    if condition is not None:
        if spec.pack != 1:
            raise ValueError("PacGAN packing is only implemented for unconditional GANs (pack=1 with conditions)")
        batch["condition"] = jnp.asarray(condition)
    return rounds.train_step(game(spec), state, batch, key, optimizers)
