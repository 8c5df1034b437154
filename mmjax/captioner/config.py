"""Hyper-parameters of the image captioner: small frozen dataclasses, one comment per field."""

from __future__ import annotations

import dataclasses

from mmjax.data.tokenizer import MAX_TOKENS, Tokenizer
from mmjax.nn.transformer import TransformerConfig


@dataclasses.dataclass(frozen=True)
class CaptionerModelConfig:
    patch_size: int = 4  # side P of a square patch; a 32 x 32 image becomes (32 / P)^2 = 64 tokens
    d_model: int = 64  # width of every patch and word representation
    num_heads: int = 4  # attention heads (d_model must be divisible by it)
    num_encoder_layers: int = 2  # self-attention blocks over the patches
    num_decoder_layers: int = 2  # causal self-attention + cross-attention blocks over the words
    d_hidden: int = 128  # hidden width of each MLP
    dropout_rate: float = 0.0  # dropout in training (every step sees fresh scenes, so none is needed)


@dataclasses.dataclass(frozen=True)
class CaptionerConfig:
    model: CaptionerModelConfig = dataclasses.field(default_factory=CaptionerModelConfig)  # the network
    image_size: int = 32  # side of the rendered Shapes images, in pixels
    num_train_examples: int = 50_000  # (image, caption) pairs of the train split, rendered on demand
    num_eval_examples: int = 256  # first images of test and of test_heldout that evaluate captions
    batch_size: int = 64  # pairs per train step
    learning_rate: float = 2e-3  # AdamW peak step size (warm-up, then cosine decay to 0 over the run)
    weight_decay: float = 1e-4  # AdamW decoupled weight decay
    label_smoothing: float = 0.0  # cross-entropy target = (1 - eps) one-hot + eps / V
    data_seed: int = 0  # which Shapes world (independent of the run's seed)

    def __post_init__(self):
        m = self.model
        if self.image_size % m.patch_size:
            raise ValueError(f"image_size {self.image_size} is not divisible by patch_size {m.patch_size}")
        if m.d_model % m.num_heads:
            raise ValueError(f"d_model ({m.d_model}) must be divisible by num_heads ({m.num_heads})")
        if min(self.num_train_examples, self.num_eval_examples, self.batch_size) < 1:
            raise ValueError(
                "num_train_examples, num_eval_examples and batch_size must be >= 1, got "
                f"{self.num_train_examples}, {self.num_eval_examples}, {self.batch_size}"
            )

    def decoder(self) -> TransformerConfig:
        """The word side: the Shapes vocabulary, captions up to MAX_TOKENS tokens with <bos> and <eos>."""
        m = self.model
        return TransformerConfig(
            vocab_size=Tokenizer.default().vocab_size,
            d_model=m.d_model,
            num_heads=m.num_heads,
            num_layers=m.num_decoder_layers,
            d_hidden=m.d_hidden,
            dropout_rate=m.dropout_rate,
            max_length=MAX_TOKENS,
            position="sinusoidal",
            pad_id=Tokenizer.default().pad_id,
        )
