"""Configurations of the two GANs: the 2-D mixture toy and the conditional DCGAN on Shapes images."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Gan2dConfig:
    """MLP GAN on the PacGAN 2-D benchmark. The paper's nets are larger (G: 4 x 400 ReLU + batch norm,
    D: 3 x 200 maxout-5) and train 400 epochs at lr 1e-4; these defaults are scaled to run in seconds on CPU."""

    mixture: str = "ring"  # "ring" (8 modes, std 0.01) or "grid" (25 modes, std 0.05)
    loss: str = "non_saturating"  # a key of mmjax.gan.losses.LOSSES (PacGAN uses the non-saturating loss)
    pack: int = 1  # PacGAN degree m: D judges m samples at once (1 = plain GAN, 2 = PacGAN2)
    latent_dim: int = 2  # z ~ N(0, I_2) as in VEEGAN/PacGAN
    g_width: int = 128  # generator hidden units per layer
    g_depth: int = 3  # generator hidden layers
    g_batch_norm: bool = True  # batch norm after each generator hidden layer (as in the PacGAN code)
    d_width: int = 64  # discriminator maxout units per layer
    d_depth: int = 2  # discriminator hidden layers
    d_pieces: int = 5  # linear pieces per maxout unit (PacGAN: 5)
    batch_size: int = 100  # discriminator decisions per step (packs); each pack holds `pack` samples
    learning_rate: float = 1e-3  # Adam step size of both players
    beta1: float = 0.5  # Adam first-moment decay
    cosine_decay: bool = True  # anneal the step size to 0 over num_steps: sharpens samples onto the modes
    d_steps: int = 1  # discriminator updates per generator update
    gp_weight: float = 0.0  # WGAN-GP lambda (used with loss="wasserstein")
    r1_weight: float = 0.0  # R1 gamma
    num_train_samples: int = 100_000  # the fixed training set size (PacGAN: 100,000)
    num_steps: int = 20_000  # training steps (also the length of the cosine schedule)
    data_seed: int = 0  # seed of the fixed training set


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
    beta1: float = 0.5  # Adam betas (SNGAN's setting for one D step per G step)
    beta2: float = 0.999
    d_steps: int = 1  # discriminator updates per generator update
    r1_weight: float = 0.0  # R1 gamma (0 = off; spectral norm already constrains D)
    matching_aware: bool = False  # GAN-INT-CLS loss (needs loss "non_saturating")
    num_train_examples: int = 20_000  # examples of the Shapes train split used
    data_seed: int = 0  # seed of the Shapes world
    num_steps: int = 1500  # steps of `mmjax.gan.shapes_gan.train`
