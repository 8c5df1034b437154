"""The two-player train step: k discriminator updates, then one generator update, as one pure function.

Section 3.1 of the source text in four steps, each a line below:
  1. initialise G and D                      -> ``init_state``
  2. for each batch, G generates G(z)        -> ``generator(z, condition)``
  3. D classifies real vs generated          -> ``discriminator(pack(x), condition)`` in ``d_loss``
  4. adversarial update: D descends its loss, then G descends its own (with D fixed).

State is a plain pytree of arrays (params and non-trainable state of both players, both optimiser
states, a step counter), so it can be donated to ``jax.jit`` and checkpointed. The modules' graph
definitions are static and closed over by ``make_train_step``.

PacGAN (Lin et al. 2018): with ``pack`` = m, D judges m samples at once, all real or all fake,
concatenated along features (vectors) or channels (images); a batch of N samples gives N / m decisions.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from mmjax.gan import losses

PyTree = Any


def _string_keys(tree: PyTree) -> PyTree:
    """nnx.List layers have integer keys; checkpoints want string keys, so "0" stands for 0 outside nnx."""
    if isinstance(tree, dict):
        return {str(k): _string_keys(v) for k, v in tree.items()}
    return tree


def _nnx_keys(tree: PyTree) -> PyTree:
    if isinstance(tree, dict):
        return {(int(k) if isinstance(k, str) and k.isdigit() else k): _nnx_keys(v) for k, v in tree.items()}
    return tree


def split_module(module: nnx.Module) -> tuple[nnx.GraphDef, dict]:
    """A module as (static graph, {"params": trainable arrays, "state": everything else, e.g. SN vectors})."""
    graphdef, params, rest = nnx.split(module, nnx.Param, ...)
    return graphdef, {"params": _string_keys(nnx.to_pure_dict(params)), "state": _string_keys(nnx.to_pure_dict(rest))}


def apply_module(graphdef: nnx.GraphDef, variables: dict, params: PyTree, *args, **kwargs) -> tuple[Any, dict]:
    """Call the module rebuilt from ``params`` and ``variables["state"]``; return (output, new state)."""
    model = nnx.merge(graphdef, _nnx_keys(params), _nnx_keys(variables["state"]))
    out = model(*args, **kwargs)
    return out, _string_keys(nnx.to_pure_dict(nnx.state(model, nnx.Not(nnx.Param))))


def pack(x: jax.Array, m: int) -> jax.Array:
    """PacGAN packing: [N, ..., C] -> [N / m, ..., m * C] (m consecutive samples become one D input)."""
    if x.shape[0] % m:
        raise ValueError(f"batch of {x.shape[0]} samples cannot be split into packs of {m}")
    grouped = x.reshape(x.shape[0] // m, m, *x.shape[1:])  # [N/m, m, ..., C]
    grouped = jnp.moveaxis(grouped, 1, -2)  # [N/m, ..., m, C]
    return grouped.reshape(*grouped.shape[:-2], m * x.shape[-1])


@dataclasses.dataclass(frozen=True)
class GANSpec:
    """Everything static about a GAN's training: the players' graphs, optimisers and loss choices."""

    generator: nnx.GraphDef  # graph of G: (z [N, latent], condition) -> x
    discriminator: nnx.GraphDef  # graph of D: (packed x, condition) -> logits [N / pack]
    g_optimizer: optax.GradientTransformation
    d_optimizer: optax.GradientTransformation
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


def fast_init_key(key: jax.Array) -> jax.Array:
    """An RBG key derived from ``key``, for parameter initialisation only.

    Initialising dozens of arrays from threefry keys makes XLA CPU compile for tens of seconds (each draw
    is a large hash circuit); RBG keys compile ~8x faster. The result is still a pure function of ``key``.
    """
    return jax.random.wrap_key_data(jax.random.bits(key, (4,), jnp.uint32), impl="rbg")


def init_state(spec: GANSpec, generator_vars: dict, discriminator_vars: dict) -> dict:
    """Step 1: the initial training state of both players (as returned by ``split_module``)."""
    return {
        "generator": generator_vars,
        "discriminator": discriminator_vars,
        "g_opt": spec.g_optimizer.init(generator_vars["params"]),
        "d_opt": spec.d_optimizer.init(discriminator_vars["params"]),
        "step": jnp.zeros((), jnp.int32),
    }


def make_init(
    build_modules: Callable[[Any, jax.Array], tuple[nnx.Module, nnx.Module]],
    build_spec: Callable[[Any], GANSpec],
) -> Callable[[Any, jax.Array], dict]:
    """``init(config, key)`` for a GAN whose players ``build_modules(config, key)`` creates.

    Initialisation is compiled as one program per config: eager init would dispatch (and compile) op
    by op, which on CPU costs more than the whole program.
    """

    @functools.lru_cache(maxsize=None)
    def compiled(config) -> Callable[[jax.Array], dict]:
        @jax.jit
        def run(key):
            generator, discriminator = build_modules(config, fast_init_key(key))
            return init_state(build_spec(config), split_module(generator)[1], split_module(discriminator)[1])

        return run

    def init(config, key: jax.Array) -> dict:
        """Step 1 of the GAN algorithm: fresh parameters of G and D and their optimiser states."""
        return compiled(config)(key)

    return init


def generate(spec: GANSpec, generator_vars: dict, key: jax.Array, num: int, condition=None) -> jax.Array:
    """Step 2: x = G(z), z ~ N(0, I)."""
    z = jax.random.normal(key, (num, spec.latent_dim))
    fake, _ = apply_module(spec.generator, generator_vars, generator_vars["params"], z, condition)
    return fake


def discriminator_loss(spec: GANSpec, d_params: PyTree, state: dict, real, condition, key) -> tuple[jax.Array, dict]:
    """Step 3: D's loss on a real batch and fresh fakes G(z) (z drawn from ``key``); returns (loss, aux)."""
    key_z, key_gp = jax.random.split(key)
    fake = jax.lax.stop_gradient(generate(spec, state["generator"], key_z, real.shape[0], condition))
    d_vars = state["discriminator"]
    d_loss_fn, _ = losses.get_losses(spec.loss)
    num_packs = real.shape[0] // spec.pack
    # D classifies real and generated samples in one call (so one power iteration per update).
    inputs = jnp.concatenate([pack(real, spec.pack), pack(fake, spec.pack)])
    conditions = None if condition is None else jnp.concatenate([condition, condition])
    logits, new_state = apply_module(spec.discriminator, d_vars, d_params, inputs, conditions)
    real_logits, fake_logits = logits[:num_packs], logits[num_packs:]
    if spec.matching_aware:
        wrong = jnp.roll(condition, 1, axis=0)  # another example's condition: real image, wrong text
        wrong_logits, _ = apply_module(spec.discriminator, d_vars, d_params, real, wrong)
        loss = losses.matching_aware_discriminator_loss(real_logits, wrong_logits, fake_logits)
    else:
        loss = d_loss_fn(real_logits, fake_logits)

    def critic(x):
        return apply_module(spec.discriminator, d_vars, d_params, x, condition)[0]

    if spec.gp_weight:
        loss += spec.gp_weight * losses.gradient_penalty(critic, pack(real, spec.pack), pack(fake, spec.pack), key_gp)
    if spec.r1_weight:
        loss += 0.5 * spec.r1_weight * losses.r1_penalty(critic, pack(real, spec.pack))
    return loss, {"state": new_state, "real_logits": real_logits, "fake_logits": fake_logits}


def discriminator_update(spec: GANSpec, state: dict, real, condition, key) -> tuple[dict, dict]:
    """Step 4a: one optimiser step of D on its loss (G fixed)."""
    d_vars = state["discriminator"]
    loss_fn = functools.partial(discriminator_loss, spec, state=state, real=real, condition=condition, key=key)
    (loss, aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(d_vars["params"])
    updates, d_opt = spec.d_optimizer.update(grads, state["d_opt"], d_vars["params"])
    params = optax.apply_updates(d_vars["params"], updates)
    state = {**state, "discriminator": {"params": params, "state": aux["state"]}, "d_opt": d_opt}
    metrics = {
        "d_loss": loss,
        "d_real": jnp.mean(jax.nn.sigmoid(aux["real_logits"])),
        "d_fake": jnp.mean(jax.nn.sigmoid(aux["fake_logits"])),
    }
    return state, metrics


def generator_update(spec: GANSpec, state: dict, num: int, condition, key) -> tuple[dict, dict]:
    """Step 4b: one optimiser step of G on its loss against the current D."""
    g_vars, d_vars = state["generator"], state["discriminator"]
    _, g_loss_fn = losses.get_losses(spec.loss)

    def loss_fn(params):
        z = jax.random.normal(key, (num, spec.latent_dim))
        fake, new_state = apply_module(spec.generator, g_vars, params, z, condition)
        # D is held fixed: its parameters are constants here and its state update is discarded.
        logits, _ = apply_module(spec.discriminator, d_vars, d_vars["params"], pack(fake, spec.pack), condition)
        return g_loss_fn(logits), new_state

    (loss, new_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(g_vars["params"])
    updates, g_opt = spec.g_optimizer.update(grads, state["g_opt"], g_vars["params"])
    params = optax.apply_updates(g_vars["params"], updates)
    return {**state, "generator": {"params": params, "state": new_state}, "g_opt": g_opt}, {"g_loss": loss}


def make_train_step(spec: GANSpec) -> Callable[[dict, dict, jax.Array], tuple[dict, dict]]:
    """A pure ``(state, batch, key) -> (state, metrics)``; batch = {"x": real [N, ...], "condition": optional}.

    Jit it with ``jax.jit(step, donate_argnums=0)``. Each of the ``d_steps`` D updates sees the same real
    batch with fresh fakes; then G takes one step against the updated D (Goodfellow et al. 2014, Alg. 1).
    """

    def train_step(state: dict, batch: dict, key: jax.Array) -> tuple[dict, dict]:
        real = jnp.asarray(batch["x"])
        condition = batch.get("condition")
        if condition is not None:
            if spec.pack != 1:
                raise ValueError("PacGAN packing is only implemented for unconditional GANs (pack=1 with conditions)")
            condition = jnp.asarray(condition)
        keys = jax.random.split(key, spec.d_steps + 1)
        metrics = {}
        for d_key in keys[:-1]:  # step 4a: the discriminator's updates
            state, metrics = discriminator_update(spec, state, real, condition, d_key)
        state, g_metrics = generator_update(spec, state, real.shape[0], condition, keys[-1])  # step 4b
        return {**state, "step": state["step"] + 1}, {**metrics, **g_metrics}

    return train_step
