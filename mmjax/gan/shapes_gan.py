"""The conditional DCGAN on Shapes images end to end: build, data, a fixed-step training function, samples.

    state, history = train(DCGANConfig(), num_steps=1500)        # trains on the Shapes train split
    images = generate_images(DCGANConfig(), state, key, labels)    # [B, 32, 32, 3] uint8 for given scene labels
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from mmjax.data.loader import Loader
from mmjax.data.shapes import ShapesSource
from mmjax.gan.config import DCGANConfig
from mmjax.gan.dcgan import ConditionalGenerator, ProjectionDiscriminator, condition_from_labels
from mmjax.gan.train_step import GANSpec, generate, make_init, make_train_step


def _modules(config: DCGANConfig, key: jax.Array) -> tuple[nnx.Module, nnx.Module]:
    key_g, key_d = jax.random.split(key)
    generator = ConditionalGenerator(
        config.latent_dim, config.width, config.embed_dim, config.image_size, rngs=nnx.Rngs(key_g)
    )
    discriminator = ProjectionDiscriminator(config.width, config.image_size, rngs=nnx.Rngs(key_d))
    return generator, discriminator


@functools.lru_cache(maxsize=None)
def build_spec(config: DCGANConfig) -> GANSpec:
    # Only the graphs are needed: build abstract modules (shapes, no arrays) instead of initialising.
    generator, discriminator = nnx.eval_shape(lambda: _modules(config, jax.random.key(0)))
    return GANSpec(
        generator=nnx.graphdef(generator), discriminator=nnx.graphdef(discriminator),
        g_optimizer=optax.adam(config.g_learning_rate, b1=config.beta1, b2=config.beta2),
        d_optimizer=optax.adam(config.d_learning_rate, b1=config.beta1, b2=config.beta2),
        latent_dim=config.latent_dim, loss=config.loss, d_steps=config.d_steps, r1_weight=config.r1_weight,
        matching_aware=config.matching_aware,
    )


init = make_init(_modules, build_spec)


def make_source(config: DCGANConfig, split: str = "train") -> ShapesSource:
    """Images and labels of ``split`` (only the image modality is rendered)."""
    num = config.num_train_examples if split == "train" else None
    return ShapesSource(split, num, modalities=("image",), seed=config.data_seed, image_size=config.image_size)


def model_batch(batch: dict) -> dict:
    """A Loader batch (uint8 images, integer labels) -> {"x": images in [-1, 1], "condition": ids [B, 8]}."""
    images = jnp.asarray(batch["image"]).astype(jnp.float32) / 127.5 - 1.0  # [B, H, W, 3]
    return {"x": images, "condition": condition_from_labels(batch)}


def make_task_train_step(config: DCGANConfig) -> Callable:
    """(state, raw Loader batch, key) -> (state, metrics): the model's step after converting the batch."""
    step = make_train_step(build_spec(config))

    def train_step(state, batch, key):
        return step(state, model_batch(batch), key)

    return train_step


@functools.lru_cache(maxsize=None)
def _jitted_generate(config: DCGANConfig) -> Callable:
    spec = build_spec(config)

    @jax.jit
    def run(generator_vars, key, condition):
        images = generate(spec, generator_vars, key, condition.shape[0], condition)
        return jnp.clip((images + 1.0) * 127.5, 0, 255).astype(jnp.uint8)

    return run


def generate_images(config: DCGANConfig, state: dict, key: jax.Array, labels: dict) -> np.ndarray:
    """uint8 [B, H, W, 3] images generated for batched scene ``labels`` (shape/colour/size/row/col [B, 2])."""
    return np.asarray(_jitted_generate(config)(state["generator"], key, condition_from_labels(labels)))


def train(
    config: DCGANConfig = DCGANConfig(), num_steps: int | None = None, seed: int = 0, log_every: int = 100,
    source=None, log: Callable[[str], None] | None = print,
) -> tuple[dict, list[dict]]:
    """Train the conditional DCGAN for a fixed number of steps; returns (state, logged metrics)."""
    num_steps = config.num_steps if num_steps is None else num_steps
    loader = Loader(make_source(config) if source is None else source, config.batch_size, seed=seed)
    step = jax.jit(make_task_train_step(config), donate_argnums=0)
    key_init, key_train = jax.random.split(jax.random.key(seed))
    state = init(config, key_init)
    history, start = [], time.perf_counter()
    for index in range(num_steps):
        state, metrics = step(state, next(loader), jax.random.fold_in(key_train, index))
        if (index + 1) % log_every == 0 or index + 1 == num_steps:
            record = {"step": index + 1, "seconds": time.perf_counter() - start}
            record.update({k: float(v) for k, v in metrics.items()})
            history.append(record)
            if log:
                log(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()))
    return state, history


def save_sample_grid(config: DCGANConfig, state: dict, key: jax.Array, path: str | Path, source=None, num: int = 32) -> Path:
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
