"""GANs from scratch: the shared core, and one package per model.

The core every GAN here uses:

* ``losses.py``: the players' losses (minimax, non-saturating, hinge, least squares, Wasserstein) and
  penalties (WGAN-GP, R1, matching-aware), as pure functions of discriminator logits;
* ``spectral_norm.py``: spectrally normalised dense and convolution layers (power iteration);
* ``two_player.py``: the two-player train step (D's updates, then G's) on one train state per player.

The models, each a package of ``config.py``, ``data.py``, ``model.py``, ``step.py`` and ``task.py``:

* ``gan2d/``: an MLP GAN / PacGAN on 2-D Gaussian mixtures (``mmjax train gan2d``);
* ``dcgan/``: a conditional DCGAN on Shapes images (``mmjax train dcgan``).
"""
