"""Hyper-parameters of the audio-to-image GAN: a frozen dataclass, one comment per field."""

from __future__ import annotations

import dataclasses

from mmjax.audio.features import num_frames
from mmjax.data.audio import NUM_SAMPLES
from mmjax.gan.configs import check_conditional_gan, check_divisible

LISTEN = ("cells", "heard", "attention", "pooled")


@dataclasses.dataclass(frozen=True)
class AudioToImageConfig:
    """A sound-conditioned GAN for 32x32 Shapes images; each player hears the clip with its own encoder.

    The clip is the scene's sonification (``mmjax.data.audio``): 4608 samples at 8 kHz, read by both players
    as its log-mel spectrogram (``mmjax.audio.mel``, default settings: 37 frames of 40 bands).
    """

    image_size: int = 32  # output resolution (4 x 2^k)
    latent_dim: int = 16  # z ~ N(0, I): all the sound leaves free is each object's sub-cell jitter
    width: int = 16  # base channels; G uses 4w, 2w, w from 4x4 up, D uses w, 2w, 4w
    audio_dim: int = 64  # width of the audio encoders' frame states and of the pooled clip vector
    audio_layers: int = 2  # self-attention blocks of each player's audio encoder
    audio_heads: int = 4  # attention heads of the audio encoders (audio_dim must be divisible by it)
    audio_hidden: int = 128  # hidden width of the audio encoders' MLPs
    listen: str = "cells"  # how G's maps hear the clip: "cells" (each place its own cell's slot), "heard" (each
    # place its cell's vector made from what G's ear names in the slot, colour and shape through separate tables),
    # "attention" (one learned query per place of the 4x4 and 8x8 maps attends to the frames) or "pooled"
    contrastive_dim: int = 64  # width of D's image/audio matching space
    contrastive_weight: float = 1.0  # lambda: the image-audio InfoNCE in both players' losses (0 = off)
    temperature: float = 0.1  # InfoNCE temperature tau: logits are cos(u, v) / tau
    cell_weight: float = 1.0  # mu: D's per-cell attribute classifier (AC-GAN on the scene labels; 0 = off)
    slot_weight: float = 1.0  # nu: G's ear names what each slot of the clip holds (labels' cross-entropy; 0 = off)
    matching_aware: bool = True  # GAN-INT-CLS: a real image with another example's clip counts as fake
    ema_decay: float = 0.999  # G's sampling weights: theta_ema <- d theta_ema + (1 - d) theta (0 = no EMA)
    batch_size: int = 32  # (image, clip) pairs per step
    g_learning_rate: float = 1e-3  # Adam step size of G
    d_learning_rate: float = 2e-3  # Adam step size of D (why this value: the model card's notes)
    cosine_decay: bool = False  # both step sizes fall as a cosine to 0 over the run (False: constant)
    beta1: float = 0.0  # Adam first-moment decay: none, as SNGAN / BigGAN use at higher step sizes
    beta2: float = 0.999  # Adam second-moment decay
    num_train_examples: int = 50_000  # (image, clip) pairs of the Shapes train split, rendered on demand
    num_eval_examples: int = 256  # clips of test and of test_heldout that the loop's evaluation draws
    data_seed: int = 0  # which Shapes world (independent of the run's seed)

    def __post_init__(self):
        check_divisible(self, "audio_dim", "audio_heads")
        if self.audio_dim % 2:
            raise ValueError(f"audio_dim must be even (sinusoidal position codes), got {self.audio_dim}")
        if self.listen not in LISTEN:
            raise ValueError(f"listen must be one of {LISTEN}, got {self.listen!r}")
        check_conditional_gan(self, ("contrastive_weight", "cell_weight", "slot_weight"))

    @property
    def num_frames(self) -> int:
        """Spectrogram frames of one clip: 37 for 4608 samples (frames of 256 samples, 128 apart, centred)."""
        return num_frames(NUM_SAMPLES)
