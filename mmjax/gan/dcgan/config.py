"""Hyper-parameters of the conditional DCGAN on Shapes images."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class DCGANConfig:
    """Conditional DCGAN for 32x32 Shapes images, conditioned on the scene labels of both object slots."""

    image_size: int = 32  # output resolution (4 x 2^k)
    latent_dim: int = 64  # z ~ N(0, I)
    width: int = 16  # base channels; G uses 4w, 2w, w from 4x4 up, D uses w, 2w, 4w
    embed_dim: int = 64  # size of the condition embedding fed to G
    loss: str = "non_saturating"  # a key of mmjax.gan.losses.LOSSES
    batch_size: int = 32  # images per step
    g_learning_rate: float = 2e-4  # Adam step size of G
    d_learning_rate: float = 2e-4  # Adam step size of D
    beta1: float = 0.5  # Adam first-moment decay (SNGAN's setting for one D step per G step)
    beta2: float = 0.999  # Adam second-moment decay
    d_steps: int = 1  # discriminator updates per generator update
    r1_weight: float = 0.0  # R1 gamma (0 = off; spectral norm already constrains D)
    matching_aware: bool = False  # GAN-INT-CLS loss (needs loss "non_saturating")
    num_train_examples: int = 20_000  # examples of the Shapes train split used
    data_seed: int = 0  # seed of the Shapes world
