"""Hyper-parameters of the contrastive text-image encoder and of its training pairs."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class ContrastiveConfig:
    image_size: int = 32  # side of the square RGB input, pixels
    image_widths: tuple[int, ...] = (16, 32, 48, 64)  # conv channels; all but the first halve H, W
    text_width: int = 64  # token embedding and attention width
    num_heads: int = 4  # heads of the text tower's single self-attention layer
    embed_dim: int = 64  # shared embedding space (unit vectors)
    max_tokens: int = 24  # caption length in tokens (MAX_TOKENS of the tokenizer)
    vocab_size: int = 47  # tokenizer vocabulary size
    num_train_examples: int = 20_000  # training (image, caption) pairs from the train split
    num_eval_examples: int = 200  # first pairs of test and test_heldout that evaluate scores (>= 100)
    batch_size: int = 128  # pairs per step: each image's negatives are the other 127 captions
    learning_rate: float = 2e-3  # peak AdamW learning rate (linear warm-up, then cosine decay over the run)
    weight_decay: float = 1e-4  # AdamW decoupled weight decay
    data_seed: int = 20_260_102  # scene seed of the training pairs (the datasets use seed 0)
