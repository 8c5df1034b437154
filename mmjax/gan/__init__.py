"""GANs from scratch: the parts every GAN here shares, and one package per model.

The shared core:

* ``losses.py``: the players' losses (minimax, non-saturating, hinge, least squares, Wasserstein) and
  penalties (WGAN-GP, R1, matching-aware), as pure functions of discriminator logits;
* ``spectral_norm.py``: spectrally normalised dense and convolution layers (power iteration);
* ``rounds.py``: the round every GAN plays (D's update(s), G's update, G's moving average), each player's
  loss summed from the terms its model declares; ``two_player.py`` declares the plain game of gan2d and dcgan;
* ``terms.py``: the conditional GANs' shared terms (matching-aware pairs, InfoNCE, the caption-word classifier);
* ``blocks.py``: the sub-pixel generator with FiLM modulation, the spectral-norm conv stack, the projection head;
* ``sampler.py``: drawing (one compiled program per shape, fixed-size chunks, one uint8 rule), judging what was
  drawn, sample sheets;
* ``export.py``: a trained GAN as mmjax ships it, and the players a run starts from (read outside ``jit``);
* ``configs.py``: the conditional GANs' config checks and the sizes of their tiny test versions.

The models, each a package of ``config.py``, ``data.py``, ``model.py``, ``step.py`` and ``task.py``:

* ``gan2d/``: an MLP GAN / PacGAN on 2-D Gaussian mixtures (``mmjax train gan2d``);
* ``dcgan/``: a conditional DCGAN on Shapes images (``mmjax train dcgan``);
* beside ``gan/``: ``text2image/``, ``text2video/`` and ``audio2image/``, the conditional GANs built on these
  parts (a model package imports another's ``model.py`` and ``config.py`` at most).
"""
