"""The two GAN tasks of the shared training loop: ``mmjax train gan2d`` and ``mmjax train dcgan``.

Both follow the contract of ``mmjax.train.task.Task``: ``init(config, key)`` returns a pytree of arrays,
``train_step(state, batch, key, config)`` is pure (the loop binds ``config``), ``make_source(config, split)``
gives a random-access source whose numeric entries the loader stacks into ``batch``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import numpy as np

from mmjax.gan import gan2d, mixtures, shapes_gan
from mmjax.gan.config import DCGANConfig, Gan2dConfig
from mmjax.gan.train_step import make_train_step

try:  # the contract of issue 5; before it is merged, the same fields in a namespace
    from mmjax.train.task import Task
except ImportError:  # pragma: no cover - depends on merge order
    from types import SimpleNamespace as Task


@functools.lru_cache(maxsize=None)
def _gan2d_step(config: Gan2dConfig):
    return make_train_step(gan2d.build_spec(config))


@functools.lru_cache(maxsize=None)
def _dcgan_step(config: DCGANConfig):
    return shapes_gan.make_task_train_step(config)


def gan2d_train_step(state: dict, batch: dict, key: jax.Array, config: Gan2dConfig) -> tuple[dict, dict]:
    """One D-then-G step on a batch of mixture points {"x": [batch_size * pack, 2]}."""
    return _gan2d_step(config)(state, {"x": batch["x"]}, key)


def dcgan_train_step(state: dict, batch: dict, key: jax.Array, config: DCGANConfig) -> tuple[dict, dict]:
    """One D-then-G step on a raw Shapes batch (uint8 "image" and the label arrays)."""
    return _dcgan_step(config)(state, batch, key)


def _gan2d_make_source(config: Gan2dConfig, split: str) -> mixtures.MixtureSource:
    seed = config.data_seed if split == "train" else config.data_seed + 1
    return mixtures.MixtureSource(config.mixture, config.num_train_samples, seed)


def _gan2d_evaluate(state: dict, config: Gan2dConfig) -> dict[str, float]:
    metrics = gan2d.evaluate(config, state, jax.random.key(1234))
    return {"modes": float(metrics["modes"]), "high_quality": float(metrics["high_quality"])}


def _gan2d_sample(state: dict, config: Gan2dConfig, key: jax.Array, out_dir) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mixture = mixtures.get_mixture(config.mixture)
    points = np.asarray(gan2d.sample(config, state, key))
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, label="generated")
    ax.scatter(mixture.means[:, 0], mixture.means[:, 1], s=12, c="red", label="modes")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    fig.savefig(Path(out_dir) / f"gan2d_{config.mixture}_samples.png", dpi=100)
    plt.close(fig)


def _dcgan_sample(state: dict, config: DCGANConfig, key: jax.Array, out_dir) -> None:
    shapes_gan.save_sample_grid(config, state, key, Path(out_dir) / "dcgan_samples.png")


TASKS = {
    "gan2d": Task(
        name="gan2d", config_cls=Gan2dConfig, init=gan2d.init, train_step=gan2d_train_step,
        make_source=_gan2d_make_source, batch_size=lambda c: c.batch_size * c.pack,
        evaluate=_gan2d_evaluate, sample=_gan2d_sample, best_metric="modes", best_mode="max",
        description="GAN / PacGAN on the 2-D ring or grid of Gaussians (PacGAN Table 1)",
    ),
    "dcgan": Task(
        name="dcgan", config_cls=DCGANConfig, init=shapes_gan.init, train_step=dcgan_train_step,
        make_source=shapes_gan.make_source, batch_size=lambda c: c.batch_size, sample=_dcgan_sample,
        description="conditional DCGAN (projection D, spectral norm) on 32x32 Shapes images",
    ),
}
