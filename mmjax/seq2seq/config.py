"""Hyper-parameters of the sequence-to-sequence task: small frozen dataclasses, one comment per field."""

from __future__ import annotations

import dataclasses

from mmjax.nn.transformer import TransformerConfig

TRANSFORMS = ("reverse", "copy", "sort")
NUM_SPECIAL = 3  # token ids 0, 1, 2 are <pad>, <bos>, <eos>; symbols start at 3
PAD_ID, BOS_ID, EOS_ID = 0, 1, 2


@dataclasses.dataclass(frozen=True)
class Seq2SeqModelConfig:
    d_model: int = 64  # width of every token representation
    num_heads: int = 4  # attention heads (d_model must be divisible by it)
    num_layers: int = 2  # blocks in the encoder and in the decoder
    d_hidden: int = 128  # hidden width of each MLP
    dropout_rate: float = 0.0  # dropout in training (the task has unlimited data, so none is needed)
    position: str = "sinusoidal"  # "sinusoidal", "learned" or "none"


@dataclasses.dataclass(frozen=True)
class Seq2SeqConfig:
    model: Seq2SeqModelConfig = dataclasses.field(default_factory=Seq2SeqModelConfig)  # the Transformer
    transform: str = "reverse"  # what maps source to target: "reverse", "copy" or "sort"
    num_symbols: int = 10  # distinct content symbols (token ids 3 .. 3 + num_symbols - 1)
    min_length: int = 3  # shortest source sequence
    max_length: int = 10  # longest source sequence (sources are padded to it)
    heldout_modulus: int = 5  # a sequence is held out (test only) when its hash % modulus == 0
    num_train_examples: int = 200_000  # examples in the training source (drawn on demand, never stored)
    num_test_examples: int = 512  # examples in the held-out test source
    batch_size: int = 64  # sequences per train step
    learning_rate: float = 2e-3  # AdamW peak step size; cosine-decayed to 1% of it at the run's last step
    warmup_steps: int = 100  # linear warm-up from 0 to learning_rate over the first updates
    weight_decay: float = 1e-4  # AdamW decoupled weight decay
    label_smoothing: float = 0.0  # cross-entropy target = (1 - eps) one-hot + eps / V
    data_seed: int = 0  # which data set (independent of the run's seed)

    def __post_init__(self):
        if self.transform not in TRANSFORMS:
            raise ValueError(f"unknown transform {self.transform!r}; expected one of {', '.join(TRANSFORMS)}")
        if not 1 <= self.min_length <= self.max_length:
            raise ValueError(f"need 1 <= min_length <= max_length, got {self.min_length}, {self.max_length}")
        if self.num_symbols < 2 or self.heldout_modulus < 2:
            raise ValueError("num_symbols and heldout_modulus must be >= 2")
        if self.num_train_examples < 1 or self.num_test_examples < 1:
            raise ValueError(
                f"num_train_examples and num_test_examples must be >= 1, got "
                f"{self.num_train_examples} and {self.num_test_examples}"
            )

    @property
    def vocab_size(self) -> int:
        return NUM_SPECIAL + self.num_symbols

    @property
    def target_length(self) -> int:
        """<bos> + at most max_length symbols + <eos>."""
        return self.max_length + 2

    def transformer(self) -> TransformerConfig:
        """The shape of the encoder-decoder: source and target share one vocabulary."""
        m = self.model
        return TransformerConfig(
            vocab_size=self.vocab_size,
            d_model=m.d_model,
            num_heads=m.num_heads,
            num_layers=m.num_layers,
            d_hidden=m.d_hidden,
            dropout_rate=m.dropout_rate,
            max_length=self.target_length,
            position=m.position,
            pad_id=PAD_ID,
        )
