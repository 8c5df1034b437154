"""Training the conditional DCGAN: optimisers, init, the two-player step (the round of :mod:`mmjax.gan.rounds`),
and images for given labels.

result = loop.train(TASK, config, TrainConfig(steps=1500))         # TASK of mmjax.gan.dcgan.task
images = generate(config, result.state, condition_from_labels(labels), key)   # [B, 32, 32, 3] uint8
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import numpy as np

from mmjax.gan import rounds, sampler, two_player
from mmjax.gan.dcgan.config import DCGANConfig
from mmjax.gan.dcgan.data import make_source, model_batch
from mmjax.gan.dcgan.model import build_players, condition_from_labels


@functools.cache
def spec(config: DCGANConfig) -> two_player.GANSpec:
    """The static half of the GAN for ``config``: the players' graphs and the loss choices."""
    return two_player.spec_for(build_players, config)


make_optimizer = rounds.make_optimizer  # Adam at a constant step size per player (SNGAN's recipe needs no schedule)
init = two_player.make_init(build_players)


def train_step(state: dict, batch: dict, key: jax.Array, config: DCGANConfig, optimizer: dict) -> tuple[dict, dict]:
    """One D-then-G round on a raw Shapes batch (uint8 "image" and the label arrays)."""
    return two_player.train_step(spec(config), state, model_batch(batch), key, optimizer)


def generate(config: DCGANConfig, variables: dict, condition, key: jax.Array, chunk: int | None = None) -> np.ndarray:
    """uint8 images ``[N, H, W, 3]`` for condition ids ``[N, 8]`` (:func:`condition_from_labels` of batched scene
    labels), one latent per row from ``key`` (:func:`mmjax.gan.sampler.generate`)."""
    return sampler.generate(build_players, config, variables, np.asarray(condition), key, chunk)


def save_sample_grid(
    config: DCGANConfig, state: dict, key: jax.Array, path: str | Path, source=None, num: int = 32
) -> Path:
    """A figure: real test images (top rows) beside images generated from the same labels (bottom rows)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mmjax.data.loader import collate

    source = make_source(config, "test") if source is None else source
    batch = collate([source[i] for i in range(min(num, len(source)))])
    fake = generate(config, state, condition_from_labels(batch), key)
    columns = 8
    rows = -(-len(fake) // columns)
    fig, axes = plt.subplots(2 * rows, columns, figsize=(columns, 2 * rows))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        group, index = divmod(i, rows * columns)
        if index < len(fake):
            ax.imshow(batch["image"][index] if group == 0 else fake[index])
    fig.suptitle("top: real test images; bottom: generated from the same labels")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def sample(state: dict, config: DCGANConfig, key: jax.Array, out_dir) -> None:
    """The sample grid of the loop's sample hook: real test images beside generated ones."""
    save_sample_grid(config, state, key, Path(out_dir) / "dcgan_samples.png")
