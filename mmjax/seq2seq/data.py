"""Symbol sequences and their transformation (reverse / copy / sort) as a random-access source.

Example ``i`` of a split is a pure function of ``(data_seed, split, i)``. The split is decided by the
sequence itself: a sequence whose CRC32 is divisible by ``heldout_modulus`` belongs to ``test`` and never
to ``train``, so test accuracy measures generalisation to sequences the model has never seen.
"""

from __future__ import annotations

import zlib

import numpy as np

from mmjax.seq2seq.config import BOS_ID, EOS_ID, NUM_SPECIAL, PAD_ID, Seq2SeqConfig

SPLITS = ("train", "test")
SPECIAL_NAMES = {PAD_ID: "<pad>", BOS_ID: "<bos>", EOS_ID: "<eos>"}


def is_heldout(symbols: np.ndarray, modulus: int) -> bool:
    return zlib.crc32(np.asarray(symbols, np.int32).tobytes()) % modulus == 0


def token_labels(ids) -> list[str]:
    """Token ids as text for figures: ``<pad>``, ``<bos>``, ``<eos>``, and symbols by their id."""
    return [SPECIAL_NAMES.get(int(i), str(int(i))) for i in ids]


def transform(symbols: np.ndarray, name: str) -> np.ndarray:
    """The function the model must learn."""
    if name == "reverse":
        return symbols[::-1]
    if name == "sort":
        return np.sort(symbols)
    return symbols


class SequenceSource:
    """``src[i]`` -> ``{"source": int32 [max_length], "target": int32 [max_length + 2]}``.

    source = (s_1 .. s_n, <pad> ...);  target = (<bos>, f(s)_1 .. f(s)_n, <eos>, <pad> ...).
    """

    def __init__(self, config: Seq2SeqConfig, split: str = "train"):
        if split not in SPLITS:
            raise ValueError(f"seq2seq splits are {', '.join(SPLITS)}; got {split!r}")
        self.config = config
        self.split = split
        self.size = config.num_train_examples if split == "train" else config.num_test_examples

    def __len__(self) -> int:
        return self.size

    def symbols(self, index: int) -> np.ndarray:
        """Draw sequences until one falls in this split (``m / (m - 1)`` draws on average for train, ``m`` for test)."""
        c = self.config
        if not 0 <= index < self.size:
            raise IndexError(f"index {index} out of range for a {self.split} source of {self.size} examples")
        rng = np.random.default_rng([c.data_seed, SPLITS.index(self.split), index])
        want_heldout = self.split == "test"
        while True:
            length = rng.integers(c.min_length, c.max_length + 1)
            symbols = rng.integers(NUM_SPECIAL, NUM_SPECIAL + c.num_symbols, size=length).astype(np.int32)
            if is_heldout(symbols, c.heldout_modulus) == want_heldout:
                return symbols

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        c = self.config
        symbols = self.symbols(int(index))
        source = np.full(c.max_length, PAD_ID, np.int32)
        source[: len(symbols)] = symbols
        target = np.full(c.target_length, PAD_ID, np.int32)
        target[0] = BOS_ID
        target[1 : len(symbols) + 1] = transform(symbols, c.transform)
        target[len(symbols) + 1] = EOS_ID
        return {"source": source, "target": target}

    def batch(self, indices) -> dict[str, np.ndarray]:
        """Examples ``indices`` stacked: ``{"source": [B, max_length], "target": [B, max_length + 2]}``."""
        examples = [self[i] for i in indices]
        return {key: np.stack([e[key] for e in examples]) for key in examples[0]}
