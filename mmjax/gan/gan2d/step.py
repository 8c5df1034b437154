"""Training the 2-D mixture GAN: optimisers, init, the two-player step, mode-coverage evaluation, samples.

``train_and_evaluate_seeds`` at the end trains many seeds at once in one compiled program for the
PacGAN table; everything else is what ``mmjax train gan2d`` runs through the shared loop.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

from mmjax.gan import two_player
from mmjax.gan.gan2d import data
from mmjax.gan.gan2d.config import Gan2dConfig
from mmjax.gan.gan2d.model import build_players
from mmjax.train import schedules
from mmjax.train.state import learning_rate


@functools.cache
def spec(config: Gan2dConfig) -> two_player.GANSpec:
    """The static half of the GAN for ``config``: the players' graphs and the loss choices."""
    generator, discriminator = two_player.player_graphs(build_players, config)
    return two_player.GANSpec(
        generator=generator,
        discriminator=discriminator,
        latent_dim=config.latent_dim,
        loss=config.loss,
        d_steps=config.d_steps,
        pack=config.pack,
        gp_weight=config.gp_weight,
        r1_weight=config.r1_weight,
    )


def make_optimizer(config: Gan2dConfig, num_steps: int) -> dict[str, optax.GradientTransformation]:
    """Adam for each player; with ``cosine_decay`` its step size falls from ``learning_rate`` to
    ``end_learning_rate`` over the run (D takes ``d_steps`` updates per step, so its schedule is longer)."""

    def adam(num_updates: int) -> optax.GradientTransformation:
        rate = schedules.constant_or_cosine(
            config.learning_rate, num_updates, config.cosine_decay, config.end_learning_rate
        )
        return optax.inject_hyperparams(optax.adam)(learning_rate=rate, b1=config.beta1)

    return {"generator": adam(num_steps), "discriminator": adam(num_steps * config.d_steps)}


init = two_player.make_init(build_players)


def train_step(state: dict, batch: dict, key: jax.Array, config: Gan2dConfig, optimizer: dict) -> tuple[dict, dict]:
    """One D-then-G round on a batch of mixture points {"x": [batch_size * pack, 2]}."""
    state, metrics = two_player.train_step(spec(config), state, {"x": batch["x"]}, key, optimizer)
    return state, {**metrics, "learning_rate": learning_rate(state["generator"]["opt_state"])}


def generate(config: Gan2dConfig, state: dict, key: jax.Array, num: int = data.NUM_EVAL_SAMPLES) -> jax.Array:
    """[num, 2] samples of the trained generator."""
    return two_player.generate(spec(config), state["generator"], key, num)


def mode_coverage(config: Gan2dConfig, state: dict, key: jax.Array) -> dict:
    """The PacGAN metrics on 2,500 samples: captured modes and fraction of high-quality samples."""
    mixture = data.get_mixture(config.mixture)
    coverage = data.mode_coverage(generate(config, state, key), mixture.means, mixture.std)
    return {"modes": coverage["modes"], "high_quality": coverage["high_quality"]}


_jitted_coverage = jax.jit(mode_coverage, static_argnums=0)
_jitted_generate = jax.jit(generate, static_argnums=(0, 3))


def evaluate(state: dict, config: Gan2dConfig) -> dict[str, float]:
    """Mode coverage of the current generator (samples drawn from a fixed key, so runs compare)."""
    metrics = _jitted_coverage(config, state, jax.random.key(1234))
    return {"modes": float(metrics["modes"]), "high_quality": float(metrics["high_quality"])}


def sample(state: dict, config: Gan2dConfig, key: jax.Array, out_dir) -> None:
    """A scatter plot of generated points over the mixture's modes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mixture = data.get_mixture(config.mixture)
    points = np.asarray(_jitted_generate(config, state, key, data.NUM_EVAL_SAMPLES))
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, label="generated")
    ax.scatter(mixture.means[:, 0], mixture.means[:, 1], s=12, c="red", label="modes")
    ax.set_aspect("equal")
    ax.set_title(f"gan2d {config.mixture}, step {int(state['generator']['step'])}", fontsize=8)
    ax.legend(loc="upper right", fontsize=7)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    fig.savefig(Path(out_dir) / f"gan2d_{config.mixture}_samples.png", dpi=100)
    plt.close(fig)


def train_and_evaluate_seeds(config: Gan2dConfig, seeds: list[int], num_steps: int) -> dict:
    """Train ``len(seeds)`` GANs for ``num_steps`` steps at once and score each; metrics per seed [S].

    A loop of its own, not :mod:`mmjax.train.loop`, on purpose: the PacGAN table needs >= 10 independent
    trainings per cell, and on a CPU they are cheap only as one compiled program, a ``lax.scan`` over steps
    (no Python between steps) ``vmap``-ped over seeds, with batches drawn inside the program (uniform
    indices into the fixed training set). The shared loop dispatches one step of one run at a time, with
    checkpoints and logs: the right tool for one long run, too slow for forty short ones. The step, the
    optimisers and the schedule are the task's own, so both loops train the same GAN.
    """
    points = jnp.asarray(data.make_source(config, "train").points)  # [num_train_examples, 2]
    optimizer = make_optimizer(config, num_steps)
    num_real = config.batch_size * config.pack

    def train_one(key):
        key_init, key_train = jax.random.split(key)

        def body(state, step_key):
            key_batch, key_step = jax.random.split(step_key)
            indices = jax.random.randint(key_batch, (num_real,), 0, points.shape[0])
            return train_step(state, {"x": points[indices]}, key_step, config, optimizer)[0], None

        state = init(config, key_init, optimizer)
        return jax.lax.scan(body, state, jax.random.split(key_train, num_steps))[0]

    @jax.jit
    def run(key):
        key_train, key_eval = jax.random.split(key)
        state = train_one(key_train)
        return mode_coverage(config, state, key_eval), generate(config, state, key_eval, 500)

    keys = jnp.stack([jax.random.key(seed) for seed in seeds])
    metrics, samples = jax.vmap(run)(keys)
    return {"modes": metrics["modes"], "high_quality": metrics["high_quality"], "samples": samples}
