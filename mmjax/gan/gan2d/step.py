"""Training the 2-D mixture GAN: optimisers, init, the two-player step, mode-coverage evaluation, samples.

``train_steps`` and ``train_and_evaluate_seeds`` at the end train many seeds in compiled programs of
many steps for the PacGAN table; everything else is what ``mmjax train gan2d`` runs through the shared loop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
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
    return two_player.spec_for(build_players, config)


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


def train_steps(
    config: Gan2dConfig, optimizer: dict, points: jax.Array, state: dict, key: jax.Array, first_step, num_steps: int
) -> dict:
    """Steps ``first_step`` .. ``first_step + num_steps - 1`` of one run as one ``lax.scan``.

    Step t draws its batch (uniform indices into the fixed training set ``points`` [N, 2]) and its noise
    from ``fold_in(key, t)``, so a run cut into calls of any length takes the same steps.
    """
    num_real = config.batch_size * config.pack

    def body(state, step):
        key_batch, key_step = jax.random.split(jax.random.fold_in(key, step))
        indices = jax.random.randint(key_batch, (num_real,), 0, points.shape[0])  # [batch_size * pack]
        return train_step(state, {"x": points[indices]}, key_step, config, optimizer)[0], None

    return jax.lax.scan(body, state, first_step + jnp.arange(num_steps))[0]


def train_and_evaluate_seeds(
    config: Gan2dConfig,
    seeds: list[int],
    num_steps: int,
    *,
    eval_every: int | None = None,
    parallel_seeds: int | None = None,
    on_eval: Callable[[int, dict], None] | None = None,
) -> dict:
    """Train ``len(seeds)`` GANs for ``num_steps`` steps each and score each; metrics per seed [S].

    A loop of its own, not :mod:`mmjax.train.loop`, on purpose: the PacGAN table needs >= 10 independent
    trainings per cell, and they are cheap only as compiled programs with no Python between steps. The
    seeds' states are stacked [S, ...]; each call of one compiled program runs ``eval_every`` steps of
    every seed (``train_steps``, a ``lax.scan``), then the generators are scored (the learning curve
    ``curve`` and the ``on_eval(step, metrics)`` callback see every score). ``lax.map`` runs the seeds
    ``parallel_seeds`` at a time under ``vmap``: all at once on an accelerator, one after another on a
    CPU, where XLA's batched matmuls are slower than the same matmuls one seed at a time. The step, the
    optimisers and the schedule are the task's own, so both loops train the same GAN.

    Returns ``modes`` and ``high_quality`` [S] at the end, ``samples`` [S, 500, 2], and ``curve``:
    ``step`` [C] with ``modes`` and ``high_quality`` [C, S] after every ``eval_every`` steps.
    """
    if not seeds:
        raise ValueError("train_and_evaluate_seeds needs at least one seed")
    eval_every = eval_every or num_steps
    if num_steps < 1 or eval_every < 1 or num_steps % eval_every:
        raise ValueError(f"num_steps ({num_steps}) must be a positive multiple of eval_every ({eval_every})")
    if parallel_seeds is None:
        parallel_seeds = 1 if jax.default_backend() == "cpu" else len(seeds)
    points = jnp.asarray(data.make_source(config, "train").points)  # [num_train_examples, 2]
    optimizer = make_optimizer(config, num_steps)
    keys = jnp.stack([jax.random.split(jax.random.key(seed), 3) for seed in seeds])  # [S, 3]: init, train, eval
    key_init, key_train, key_eval = keys[:, 0], keys[:, 1], keys[:, 2]

    @functools.partial(jax.jit, donate_argnums=0)
    def run(states, first_step):
        def one_seed(seed_state_and_key):
            return train_steps(config, optimizer, points, *seed_state_and_key, first_step, eval_every)

        return jax.lax.map(one_seed, (states, key_train), batch_size=None if parallel_seeds == 1 else parallel_seeds)

    score = jax.jit(jax.vmap(lambda state, key: mode_coverage(config, state, key)))
    # one init per seed: the RBG keys of init draw other numbers under vmap, so seed s would depend on its batch
    states = jax.tree.map(lambda *leaves: jnp.stack(leaves), *[init(config, key, optimizer) for key in key_init])
    curve = {"step": [], "modes": [], "high_quality": []}
    for first_step in range(0, num_steps, eval_every):
        states = run(states, first_step)
        metrics = score(states, key_eval)  # the same noise at every evaluation, so the curve compares
        curve["step"].append(first_step + eval_every)
        curve["modes"].append(np.asarray(metrics["modes"]))
        curve["high_quality"].append(np.asarray(metrics["high_quality"]))
        if on_eval is not None:
            on_eval(first_step + eval_every, metrics)
    samples = jax.vmap(lambda state, key: generate(config, state, key, 500))(states, key_eval)
    return {
        "modes": metrics["modes"],
        "high_quality": metrics["high_quality"],
        "samples": samples,
        "curve": {name: np.asarray(values) for name, values in curve.items()},
    }
