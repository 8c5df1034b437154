"""Training the conditional DCGAN: optimisers, init, the two-player step, and images for given labels.

result = loop.train(TASK, config, TrainConfig(steps=1500))         # TASK of mmjax.gan.dcgan.task
images = generate_images(config, result.state, key, labels)        # [B, 32, 32, 3] uint8 for scene labels
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
from mmjax.gan.dcgan.config import DCGANConfig
from mmjax.gan.dcgan.data import make_source, model_batch
from mmjax.gan.dcgan.model import build_players, condition_from_labels


@functools.cache
def spec(config: DCGANConfig) -> two_player.GANSpec:
    """The static half of the GAN for ``config``: the players' graphs and the loss choices."""
    generator, discriminator = two_player.player_graphs(build_players, config)
    return two_player.GANSpec(
        generator=generator,
        discriminator=discriminator,
        latent_dim=config.latent_dim,
        loss=config.loss,
        d_steps=config.d_steps,
        r1_weight=config.r1_weight,
        matching_aware=config.matching_aware,
    )


def make_optimizer(config: DCGANConfig, num_steps: int) -> dict[str, optax.GradientTransformation]:
    """Adam at a constant step size per player (SNGAN's recipe needs no schedule)."""
    del num_steps

    def adam(rate: float) -> optax.GradientTransformation:
        return optax.inject_hyperparams(optax.adam)(learning_rate=rate, b1=config.beta1, b2=config.beta2)

    return {"generator": adam(config.g_learning_rate), "discriminator": adam(config.d_learning_rate)}


init = two_player.make_init(build_players)


def train_step(state: dict, batch: dict, key: jax.Array, config: DCGANConfig, optimizer: dict) -> tuple[dict, dict]:
    """One D-then-G round on a raw Shapes batch (uint8 "image" and the label arrays)."""
    return two_player.train_step(spec(config), state, model_batch(batch), key, optimizer)


@functools.cache
def _jitted_generate(config: DCGANConfig) -> Callable:
    @jax.jit
    def run(generator, key, condition):
        images = two_player.generate(spec(config), generator, key, condition.shape[0], condition)
        return jnp.clip((images + 1.0) * 127.5, 0, 255).astype(jnp.uint8)

    return run


def generate_images(config: DCGANConfig, state: dict, key: jax.Array, labels: dict) -> np.ndarray:
    """uint8 [B, H, W, 3] images generated for batched scene ``labels`` (shape/colour/size/row/col [B, 2])."""
    generator = {"params": state["generator"]["params"], "state": state["generator"]["state"]}
    return np.asarray(_jitted_generate(config)(generator, key, condition_from_labels(labels)))


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
    fake = generate_images(config, state, key, batch)
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
