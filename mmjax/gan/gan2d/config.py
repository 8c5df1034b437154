"""Hyper-parameters of the MLP GAN on the PacGAN 2-D benchmark."""

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
    learning_rate: float = 1e-3  # Adam step size of both players (the peak of the cosine schedule)
    end_learning_rate: float = 0.0  # the step size at the last update of the run (with cosine_decay)
    beta1: float = 0.5  # Adam first-moment decay
    cosine_decay: bool = True  # anneal the step size to end_learning_rate over the run: sharpens samples onto the modes
    d_steps: int = 1  # discriminator updates per generator update
    gp_weight: float = 0.0  # WGAN-GP lambda (used with loss="wasserstein")
    r1_weight: float = 0.0  # R1 gamma
    num_train_examples: int = 100_000  # the fixed training set size (PacGAN: 100,000)
    data_seed: int = 0  # which training set (the test split uses data_seed + 1)


# The PacGAN paper's nets and optimiser (its released code): G 4 x 400 ReLU + BN, D 3 x 200 maxout-5, Adam at a
# constant lr 1e-4 with beta1 0.8. ``dataclasses.replace(config, **PAPER_NETS)`` puts them into a config.
PAPER_NETS = dict(g_width=400, g_depth=4, d_width=200, d_depth=3, learning_rate=1e-4, beta1=0.8, cosine_decay=False)
