"""Hyper-parameters of the judge network and of its training data."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class JudgeConfig:
    image_size: int = 32  # side of the square RGB input, pixels
    widths: tuple[int, ...] = (24, 48, 64, 96)  # channels of the conv layers; all but the first halve H, W
    feature_dim: int = 128  # penultimate layer: the features Shapes-FID/KID/precision/recall use
    feature_scale: float = 1.0  # features are divided by this: their RMS on training frames, set by export
    num_train_examples: int = 24_000  # labelled training frames (each one a pure function of its index)
    video_fraction: float = 0.3  # share of training frames taken mid-motion from videos (progress in (0, 1))
    heldout_pairs_in_training: bool = True  # also train on held-out colour x shape pairs (see data.py)
    num_eval_examples: int = 500  # first images of test and test_heldout that evaluate reads
    batch_size: int = 64  # frames per step
    learning_rate: float = 2e-3  # peak AdamW learning rate (linear warm-up, then cosine decay over the run)
    weight_decay: float = 1e-4  # AdamW decoupled weight decay
    data_seed: int = 20_260_101  # scene seed of the judge's own training frames (the datasets use seed 0)
