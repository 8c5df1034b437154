"""A deterministic, resumable batch loader over any random-access source.

The loader's whole state is two integers, ``(epoch, step)``. The order of epoch ``e`` is the permutation
drawn from ``np.random.default_rng([seed, e])``, and batch ``step`` of it is the slice

    global_indices = perm[step * B_global : (step + 1) * B_global]
    local_indices  = global_indices[p * B_local : (p + 1) * B_local]      (process p of P, B_global = P B_local)

so a run restarted from a saved ``(epoch, step)`` sees exactly the batches it would have seen, and each
process of a multi-host job reads only its own share of every global batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np


class Source(Protocol):
    """Random access to examples: ``len(source)`` and ``source[i]`` -> dict of numpy arrays."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> dict[str, Any]: ...


def collate(examples: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Stack a list of example dicts into one dict of arrays with a leading batch axis."""
    return {key: np.stack([np.asarray(example[key]) for example in examples]) for key in examples[0]}


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


class Loader:
    """Iterate over ``source`` in batches of ``batch_size`` examples (per process), forever.

    Args:
      source: any object with ``__len__`` and ``__getitem__`` returning dicts of numpy arrays.
      batch_size: examples per batch *on this process*; the global batch is ``batch_size * process_count``.
      seed: seeds the per-epoch permutations.
      shuffle: if False, every epoch reads the source in order.
      drop_remainder: if True (the default, for fixed shapes under ``jax.jit``), the last incomplete global
        batch of an epoch is skipped; if False it is returned smaller.
      process_index, process_count: this process's share of each global batch (``jax.process_index()``,
        ``jax.process_count()`` in a multi-host job).
    """

    def __init__(
        self,
        source: Source,
        batch_size: int,
        seed: int = 0,
        shuffle: bool = True,
        drop_remainder: bool = True,
        process_index: int = 0,
        process_count: int = 1,
    ):
        self.source = source
        self.batch_size = _check_int("batch_size", batch_size, 1)
        self.seed = _check_int("seed", seed, 0)
        self.process_count = _check_int("process_count", process_count, 1)
        self.process_index = _check_int("process_index", process_index, 0)
        if self.process_index >= self.process_count:
            raise ValueError(f"process_index {process_index} must be < process_count {process_count}")
        self.shuffle = shuffle
        self.drop_remainder = drop_remainder
        self.global_batch_size = self.batch_size * self.process_count
        if len(source) < self.global_batch_size and drop_remainder:
            raise ValueError(
                f"source has {len(source)} examples, fewer than one global batch of {self.global_batch_size}"
            )
        self.epoch = 0
        self.step = 0
        self._order: np.ndarray | None = None
        self._order_epoch = -1

    @property
    def batches_per_epoch(self) -> int:
        full, rest = divmod(len(self.source), self.global_batch_size)
        return full if self.drop_remainder or rest == 0 else full + 1

    @property
    def state(self) -> dict[str, int]:
        """Everything needed to resume: the position of the *next* batch."""
        return {"epoch": self.epoch, "step": self.step}

    def restore(self, state: dict[str, int]) -> None:
        epoch = _check_int("state['epoch']", state["epoch"], 0)
        step = _check_int("state['step']", state["step"], 0)
        if step > self.batches_per_epoch:
            raise ValueError(f"state step {step} is past the {self.batches_per_epoch} batches of an epoch")
        self.epoch, self.step = epoch, step

    def epoch_order(self, epoch: int) -> np.ndarray:
        """The order in which epoch ``epoch`` visits the source (a pure function of seed and epoch)."""
        if self._order_epoch != epoch:
            if self.shuffle:
                self._order = np.random.default_rng([self.seed, epoch]).permutation(len(self.source))
            else:
                self._order = np.arange(len(self.source))
            self._order_epoch = epoch
        return self._order

    def batch_indices(self, epoch: int, step: int) -> np.ndarray:
        """Source indices of this process's part of global batch ``step`` of ``epoch``."""
        order = self.epoch_order(epoch)
        global_indices = order[step * self.global_batch_size : (step + 1) * self.global_batch_size]
        local = len(global_indices) // self.process_count if not self.drop_remainder else self.batch_size
        start = self.process_index * local
        return global_indices[start : start + local]

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        return self

    def __next__(self) -> dict[str, np.ndarray]:
        if self.step >= self.batches_per_epoch:
            self.epoch, self.step = self.epoch + 1, 0
        indices = self.batch_indices(self.epoch, self.step)
        self.step += 1
        return collate([self.source[int(i)] for i in indices])
