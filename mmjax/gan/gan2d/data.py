"""The 2-D Gaussian-mixture benchmark of PacGAN (Lin et al. 2018, sec. 5.1, Table 1), after VEEGAN.

Definitions implemented here, as in the PacGAN paper and its released code (github.com/fjxmlzn/PacGAN,
``synthetic_data_experiments``), which follow VEEGAN (Srivastava et al. 2017):

* **2D-ring**: 8 equally likely isotropic Gaussians with means (cos(2 pi k / 8), sin(2 pi k / 8)),
  k = 0..7, standard deviation 0.01.
* **2D-grid**: 25 equally likely isotropic Gaussians with means {-4, -2, 0, 2, 4}^2, standard deviation 0.05.
* **Evaluation** on 2,500 generated samples: each sample is assigned to the mode nearest in standardised
  distance ||x - mu_k|| / sigma. It is a **high-quality sample** if that distance is below 3 (within three
  standard deviations of a mode). A **mode is captured** if at least one high-quality sample is assigned to
  it. Reported: the number of captured modes, and the percentage of high-quality samples.
* Training data: 100,000 samples drawn once from the mixture.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from mmjax.gan.gan2d.config import Gan2dConfig

NUM_EVAL_SAMPLES = 2500  # generated samples scored per trained generator (PacGAN, VEEGAN)
QUALITY_THRESHOLD = 3.0  # a high-quality sample is within this many standard deviations of a mode
NUM_TRAIN_EXAMPLES = 100_000  # size of the fixed training set (PacGAN code: num_sample)


@dataclasses.dataclass(frozen=True)
class Mixture:
    name: str
    means: np.ndarray  # [K, 2] mode centres
    std: float  # per-coordinate standard deviation of every mode

    @property
    def num_modes(self) -> int:
        return self.means.shape[0]


def ring(num_modes: int = 8, radius: float = 1.0, std: float = 0.01) -> Mixture:
    """The 2D-ring: ``num_modes`` Gaussians evenly spaced on a circle."""
    angles = 2 * math.pi * np.arange(num_modes) / num_modes
    return Mixture("ring", radius * np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32), std)


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> Mixture:
    """The 2D-grid: ``side`` x ``side`` Gaussians on a square lattice centred at the origin."""
    coords = spacing * (np.arange(side) - (side - 1) / 2)
    xs, ys = np.meshgrid(coords, coords, indexing="ij")
    return Mixture("grid", np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32), std)


MIXTURES = {"ring": ring, "grid": grid}


def get_mixture(name: str) -> Mixture:
    if name not in MIXTURES:
        raise ValueError(f"unknown mixture {name!r}; expected one of {', '.join(MIXTURES)}")
    return MIXTURES[name]()


def sample(mixture: Mixture, key: jax.Array, num_samples: int) -> jax.Array:
    """x = mu_k + sigma * eps, k ~ Uniform{0..K-1}, eps ~ N(0, I): [num_samples, 2]."""
    key_mode, key_noise = jax.random.split(key)
    modes = jax.random.randint(key_mode, (num_samples,), 0, mixture.num_modes)
    noise = jax.random.normal(key_noise, (num_samples, 2))
    return jnp.asarray(mixture.means)[modes] + mixture.std * noise


def mode_coverage(samples: jax.Array, means: jax.Array, std: float, threshold: float = QUALITY_THRESHOLD) -> dict:
    """Mode coverage of generated ``samples`` [N, 2] against a mixture with ``means`` [K, 2] and ``std``.

    Definition (PacGAN, Lin et al. 2018, sec. 5.1, after VEEGAN, Srivastava et al. 2017):
        d_i = min_k ||x_i - mu_k|| / sigma,   k_i = argmin_k ||x_i - mu_k||
        high quality(x_i)  <=>  d_i < threshold (= 3 standard deviations)
        mode k captured    <=>  some high-quality x_i has k_i = k
    Returns jnp scalars/arrays (usable under jit and vmap): ``modes`` (number captured),
    ``high_quality`` (fraction of high-quality samples, in [0, 1]) and ``counts`` [K] (high-quality samples per mode).
    """
    samples = jnp.asarray(samples)
    means = jnp.asarray(means)
    if samples.ndim != 2 or means.ndim != 2 or samples.shape[1] != means.shape[1]:
        raise ValueError(f"expected samples [N, D] and means [K, D], got {samples.shape} and {means.shape}")
    distances = jnp.linalg.norm(samples[:, None, :] - means[None, :, :], axis=-1) / std  # [N, K]
    nearest = jnp.argmin(distances, axis=1)  # [N]
    good = jnp.min(distances, axis=1) < threshold  # [N]
    counts = jnp.zeros(means.shape[0], jnp.int32).at[nearest].add(good.astype(jnp.int32))  # [K]
    return {"modes": jnp.sum(counts > 0), "high_quality": jnp.mean(good), "counts": counts}


class MixtureSource:
    """A random-access source of ``num_examples`` fixed points (PacGAN trains on a fixed sample set)."""

    def __init__(self, mixture: Mixture | str, num_examples: int = NUM_TRAIN_EXAMPLES, seed: int = 0):
        self.mixture = get_mixture(mixture) if isinstance(mixture, str) else mixture
        rng = np.random.default_rng(seed)
        modes = rng.integers(0, self.mixture.num_modes, num_examples)
        noise = rng.standard_normal((num_examples, 2)).astype(np.float32)
        self.points = (self.mixture.means[modes] + self.mixture.std * noise).astype(np.float32)  # [N, 2]
        self.modes = modes.astype(np.int32)

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        return {"x": self.points[index], "mode": self.modes[index]}


def make_source(config: Gan2dConfig, split: str = "train") -> MixtureSource:
    """The fixed points of ``split``: the train split is set by ``data_seed``, the test split by ``data_seed + 1``."""
    if split not in ("train", "test"):
        raise ValueError(f"gan2d splits are 'train' and 'test', got {split!r}")
    seed = config.data_seed if split == "train" else config.data_seed + 1
    return MixtureSource(config.mixture, config.num_train_examples, seed)
