"""Hyper-parameters of the toy regression task."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class ToyModelConfig:
    width: int = 32  # hidden units of the one hidden layer


@dataclasses.dataclass(frozen=True)
class ToyConfig:
    model: ToyModelConfig = dataclasses.field(default_factory=ToyModelConfig)  # the network
    input_dim: int = 4  # features per example
    num_train_examples: int = 512  # size of the generated training set (the test set is a quarter of it)
    batch_size: int = 16  # global batch, split over all devices
    learning_rate: float = 1e-2  # Adam step size
    label_noise: float = 0.05  # std of the Gaussian noise on the targets
    input_noise: float = 0.05  # std of the augmentation noise added to inputs at every step
    data_seed: int = 1234  # which data set (independent of the run's seed)
