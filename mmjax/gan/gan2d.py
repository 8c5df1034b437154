"""The 2-D mixture GAN end to end: build, train with ``lax.scan``, evaluate mode coverage.

Training a seed is one ``lax.scan`` over steps, so ``jax.vmap`` over seeds trains many independent
GANs in one compiled program: this is what makes the >= 10-seed PacGAN table cheap on a CPU.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from mmjax.gan import mixtures
from mmjax.gan.config import Gan2dConfig
from mmjax.gan.mlp import MLPDiscriminator, MLPGenerator
from mmjax.gan.train_step import GANSpec, generate, make_init, make_train_step


def _modules(config: Gan2dConfig, key: jax.Array) -> tuple[nnx.Module, nnx.Module]:
    key_g, key_d = jax.random.split(key)
    generator = MLPGenerator(
        config.latent_dim, config.g_width, config.g_depth, rngs=nnx.Rngs(key_g), batch_norm=config.g_batch_norm
    )
    discriminator = MLPDiscriminator(
        2, config.d_width, config.d_depth, config.d_pieces, rngs=nnx.Rngs(key_d), pack=config.pack
    )
    return generator, discriminator


@functools.lru_cache(maxsize=None)
def build_spec(config: Gan2dConfig) -> GANSpec:
    """The static half of the GAN (graphs, optimisers, losses) for ``config``."""
    # Only the graphs are needed: build abstract modules (shapes, no arrays) instead of initialising.
    generator, discriminator = nnx.eval_shape(lambda: _modules(config, jax.random.key(0)))
    learning_rate = config.learning_rate
    if config.cosine_decay:
        learning_rate = optax.cosine_decay_schedule(config.learning_rate, config.num_steps)
    adam = optax.adam(learning_rate, b1=config.beta1)
    return GANSpec(
        generator=nnx.graphdef(generator), discriminator=nnx.graphdef(discriminator), g_optimizer=adam,
        d_optimizer=adam, latent_dim=config.latent_dim, loss=config.loss, d_steps=config.d_steps,
        pack=config.pack, gp_weight=config.gp_weight, r1_weight=config.r1_weight,
    )


init = make_init(_modules, build_spec)


def training_points(config: Gan2dConfig) -> jax.Array:
    """The fixed training set: [num_train_samples, 2]."""
    source = mixtures.MixtureSource(config.mixture, config.num_train_samples, config.data_seed)
    return jnp.asarray(source.points)


def train(config: Gan2dConfig, key: jax.Array, points: jax.Array) -> dict:
    """Train one GAN from ``key`` for ``config.num_steps`` steps on minibatches of ``points``; pure and vmappable."""
    num_steps = config.num_steps
    train_step = make_train_step(build_spec(config))
    key_init, key_train = jax.random.split(key)
    num_real = config.batch_size * config.pack

    def body(state, step_key):
        key_batch, key_step = jax.random.split(step_key)
        indices = jax.random.randint(key_batch, (num_real,), 0, points.shape[0])
        state, metrics = train_step(state, {"x": points[indices]}, key_step)
        return state, metrics

    state, metrics = jax.lax.scan(body, init(config, key_init), jax.random.split(key_train, num_steps))
    return state


def sample(config: Gan2dConfig, state: dict, key: jax.Array, num: int = mixtures.NUM_EVAL_SAMPLES) -> jax.Array:
    """[num, 2] samples of the trained generator."""
    return generate(build_spec(config), state["generator"], key, num)


def evaluate(config: Gan2dConfig, state: dict, key: jax.Array) -> dict:
    """The PacGAN metrics on 2,500 samples: captured modes and fraction of high-quality samples."""
    mixture = mixtures.get_mixture(config.mixture)
    coverage = mixtures.mode_coverage(sample(config, state, key), mixture.means, mixture.std)
    return {"modes": coverage["modes"], "high_quality": coverage["high_quality"]}


def train_and_evaluate_seeds(config: Gan2dConfig, seeds: list[int]) -> dict:
    """Train ``len(seeds)`` GANs in parallel (vmap over seeds of a scanned loop); metrics per seed [S]."""
    points = training_points(config)

    @jax.jit
    def run(key):
        key_train, key_eval = jax.random.split(key)
        state = train(config, key_train, points)
        return evaluate(config, state, key_eval), sample(config, state, key_eval, 500)

    keys = jnp.stack([jax.random.key(seed) for seed in seeds])
    metrics, samples = jax.vmap(run)(keys)
    return {"modes": metrics["modes"], "high_quality": metrics["high_quality"], "samples": samples}
