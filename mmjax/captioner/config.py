"""Hyper-parameters of the image captioner: small frozen dataclasses, one comment per field."""

from __future__ import annotations

import dataclasses

from mmjax.data.tokenizer import MAX_TOKENS, Tokenizer
from mmjax.nn.transformer import TransformerConfig

# Where an image's colour enters the captioner (see model.py). "after_encoder" is the default because with colour
# in the encoder's input (as in a plain ViT) the encoder learns colour-and-shape features and the captioner cannot
# name the colour x shape pairs held out of training (measured: the model card's notes, mmjax/artifacts/shapes/).
COLOUR_ENTERS = ("pixels", "before_encoder", "after_encoder")
ARTIFACT = "shapes/captioner.npz"  # where the shipped captioner lies among the package's artifacts (export.py)
MAKE_COMMAND = "mmjax train captioner --steps 6000 --run-dir runs/captioner && mmjax export runs/captioner"


@dataclasses.dataclass(frozen=True)
class CaptionerModelConfig:
    patch_size: int = 4  # side P of a square patch; a 32 x 32 image becomes (32 / P)^2 = 64 tokens
    colour_enters: str = "after_encoder"  # "pixels": RGB patches (a plain ViT); "before_encoder" / "after_encoder":
    #   the encoder reads brightness patches and each patch's colour is added to its token before / after it
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
    label_smoothing: float = 0.1  # cross-entropy target = (1 - eps) one-hot + eps / V (the model card's notes)
    word_dropout: float = 0.0  # probability a training input word (not <bos>) becomes <unk>; see the card
    data_seed: int = 0  # which Shapes world (independent of the run's seed)

    def __post_init__(self):
        m = self.model
        if self.image_size % m.patch_size:
            raise ValueError(f"image_size {self.image_size} is not divisible by patch_size {m.patch_size}")
        if m.colour_enters not in COLOUR_ENTERS:
            raise ValueError(f"colour_enters must be one of {', '.join(COLOUR_ENTERS)}, got {m.colour_enters!r}")
        if m.d_model % m.num_heads:
            raise ValueError(f"d_model ({m.d_model}) must be divisible by num_heads ({m.num_heads})")
        for name in ("label_smoothing", "word_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if min(self.num_train_examples, self.num_eval_examples, self.batch_size) < 1:
            raise ValueError(
                "num_train_examples, num_eval_examples and batch_size must be >= 1, got "
                f"{self.num_train_examples}, {self.num_eval_examples}, {self.batch_size}"
            )

    def decoder(self) -> TransformerConfig:
        """The word side: the Shapes vocabulary, captions up to MAX_TOKENS tokens with <bos> and <eos>."""
        m, tokenizer = self.model, Tokenizer.default()
        widths = {"d_model": m.d_model, "num_heads": m.num_heads, "d_hidden": m.d_hidden}
        lengths = {"num_layers": m.num_decoder_layers, "max_length": MAX_TOKENS}
        return TransformerConfig(
            tokenizer.vocab_size, **widths, **lengths, dropout_rate=m.dropout_rate, pad_id=tokenizer.pad_id
        )  # sinusoidal positions
