"""Held-out evaluation: decode every test source and compare the whole output with the target."""

from __future__ import annotations

import numpy as np

from mmjax.seq2seq import model as M
from mmjax.seq2seq.config import Seq2SeqConfig
from mmjax.seq2seq.data import SequenceSource


def exact_match(config: Seq2SeqConfig, params: dict, split: str = "test", num_examples: int | None = None,
                method: str = "greedy") -> dict[str, float]:
    """exact match = mean_b [decoded_b == target_b at every position]; also the per-token accuracy."""
    source = SequenceSource(config, split)
    count = len(source) if num_examples is None else min(num_examples, len(source))
    batch = source.batch(range(count))
    decoded = np.asarray(M.predict(config, params, batch["source"], M.decode_options(config, method)))
    expected = batch["target"][:, 1:]  # without <bos>: symbols, <eos>, padding
    real = expected != 0
    return {
        "exact_match": float(np.mean(np.all(decoded == expected, axis=1))),
        "token_accuracy": float(np.sum((decoded == expected) & real) / np.sum(real)),
    }
