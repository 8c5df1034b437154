"""The toy data: ``y = sin(x . w) + 0.5 tanh(x . v) + noise`` for Gaussian ``x``, fixed by ``data_seed``."""

from __future__ import annotations

import numpy as np

from mmjax.train.toy.config import ToyConfig


class RegressionSource:
    """``len(src)`` examples ``{"x": float32 [D], "y": float32 [1]}``, fixed by (data_seed, split)."""

    def __init__(self, config: ToyConfig, split: str = "train"):
        if split not in ("train", "test"):
            raise ValueError(f"toy task splits are 'train' and 'test', got {split!r}")
        truth = np.random.default_rng(config.data_seed)  # the function to learn: same for both splits
        w, v = truth.normal(size=(2, config.input_dim)) / np.sqrt(config.input_dim)
        rng = np.random.default_rng([config.data_seed, 0 if split == "train" else 1])
        n = config.num_train_examples if split == "train" else max(config.num_train_examples // 4, 1)
        self.x = rng.normal(size=(n, config.input_dim)).astype(np.float32)  # [N, D]
        clean = np.sin(self.x @ w) + 0.5 * np.tanh(self.x @ v)  # [N]
        self.y = (clean + config.label_noise * rng.normal(size=n))[:, None].astype(np.float32)  # [N, 1]

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> dict:
        return {"x": self.x[index], "y": self.y[index]}
