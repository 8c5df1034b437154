"""Hyper-parameters of the text-to-image GAN: a frozen dataclass, one comment per field."""

from __future__ import annotations

import dataclasses

from mmjax.data.class_captions import DATASETS, tokenizer_for
from mmjax.data.tokenizer import MAX_TOKENS, Tokenizer
from mmjax.gan.configs import check_conditional_gan, check_divisible
from mmjax.nn.transformer import TransformerConfig
from mmjax.text2image.slots import NUM_CHOICES

ARTIFACT = "shapes/text2image.npz"  # where the shipped model lies among the package's artifacts (export.py)
_SHIPPED_ARGS = "--slots true --partial_captions 0.5 --g_learning_rate 1e-3 --d_learning_rate 2e-3"
MAKE_COMMAND = (  # the per-object generator mmjax ships, tuned through the cycle (scripts/make_pretrained.sh runs it)
    f"mmjax train text2image --steps 2800 {_SHIPPED_ARGS} --run-dir runs/text2image && "
    "mmjax export runs/text2image --out runs/text2image_base.npz && "
    f"mmjax train text2image --steps 500 {_SHIPPED_ARGS} --init_from runs/text2image_base.npz --caption_weight 1.0 "
    "--captioner_path mmjax/artifacts/shapes/captioner.npz --ema_decay 0.99 --run-dir runs/text2image_tuned && "
    "mmjax export runs/text2image_tuned"
)
# The fields that fix the players' shapes: a run can start from another's players only when these agree.
ARCHITECTURE = (
    *("dataset", "image_size", "latent_dim", "width", "text_dim", "text_layers", "text_heads", "text_hidden"),
    "contrastive_dim",
    "word_attention",
    "slots",
)


@dataclasses.dataclass(frozen=True)
class TextToImageConfig:
    """A caption-conditioned GAN for 32x32 images; each player reads the caption with its own encoder.

    The captions are Shapes captions, or the class names of a TFDS classification data set (``dataset``).
    """

    image_size: int = 32  # output resolution (4 x 2^k)
    latent_dim: int = 64  # z ~ N(0, I): what the caption leaves free (jitter, the free line of two objects)
    width: int = 16  # base channels; G uses 4w, 2w, w from 4x4 up, D uses w, 2w, 4w
    text_dim: int = 64  # width of the caption encoders' token states and of the sentence embedding
    text_layers: int = 2  # self-attention blocks of each player's caption encoder
    text_heads: int = 4  # attention heads of the caption encoders (text_dim must be divisible by it)
    text_hidden: int = 128  # hidden width of the caption encoders' MLPs
    contrastive_dim: int = 64  # width of D's image/caption matching space
    contrastive_weight: float = 1.0  # weight of the image-caption InfoNCE in both players' losses (0 = off)
    temperature: float = 0.1  # InfoNCE temperature tau: logits are cos(u, v) / tau
    word_weight: float = 1.0  # weight of D's caption-word classifier (AC-GAN, the caption's words as classes)
    matching_aware: bool = True  # GAN-INT-CLS: a real image with another example's caption counts as fake
    word_attention: bool = False  # G's up-blocks below full size also attend to the caption's token states
    slots: bool = False  # G reads the caption into per-object slots and a layout, draws each object in its cell
    reading_weight: float = 1.0  # with slots: G's reading of the caption, -log p(scene | caption) of its labels
    cell_weight: float = 1.0  # with slots: D's per-cell attribute classifier (AC-GAN on the scene's labels)
    partial_captions: float = 0.0  # share of training captions that leave size, colour or a cell unstated
    hard_negative_weight: float = 0.0  # eta: D also calls fake a real image whose caption's binding is swapped
    reconstruction_weight: float = 0.0  # rho: L1 between G(z, t) and the real image of caption t (pix2pix's term)
    caption_weight: float = 0.0  # nu: the frozen captioner's -log p(prompt | G's image) in L_G (the cycle's tuning)
    captioner_path: str = ""  # the captioner that tuning reads with ("" = the shipped shapes/captioner.npz)
    init_from: str = ""  # start from these players (a text2image run folder or exported .npz), e.g. to tune
    ema_decay: float = 0.999  # G's sampling weights: theta_ema <- d theta_ema + (1 - d) theta (0 = no EMA)
    batch_size: int = 32  # (image, caption) pairs per step
    g_learning_rate: float = 5e-4  # Adam step size of G (why this value: the model card's notes)
    d_learning_rate: float = 5e-4  # Adam step size of D
    beta1: float = 0.0  # Adam first-moment decay: none, as SNGAN / BigGAN use at higher step sizes
    beta2: float = 0.999  # Adam second-moment decay
    num_train_examples: int = 50_000  # (image, caption) pairs of the Shapes train split, rendered on demand
    num_eval_examples: int = 256  # prompts of test and of test_heldout that the loop's evaluation draws
    data_seed: int = 0  # which Shapes world (independent of the run's seed)
    dataset: str = "shapes"  # "shapes", or mnist / fashion_mnist / cifar10 from TFDS with "a <class>" as captions
    tfds_data_dir: str = ""  # where a TFDS data set is prepared as array_record files; "" = TFDS's default folder

    def __post_init__(self):
        if self.dataset != "shapes" and self.dataset not in DATASETS:
            raise ValueError(f"dataset must be 'shapes' or one of {', '.join(DATASETS)}, got {self.dataset!r}")
        if self.dataset != "shapes" and self.image_size != 32:
            raise ValueError(f"TFDS data sets are read as 32x32 images; image_size must be 32, got {self.image_size}")
        if self.dataset != "shapes" and self.caption_weight > 0:
            raise ValueError("caption_weight > 0 tunes with the Shapes captioner, which reads Shapes captions only")
        check_divisible(self, "text_dim", "text_heads")
        if self.word_attention and (2 * self.width) % self.text_heads:  # the attended maps have 2w, 4w channels
            raise ValueError(f"word_attention needs 2 * width ({2 * self.width}) divisible by text_heads")
        if self.slots and (self.dataset != "shapes" or self.word_attention):
            raise ValueError("slots read Shapes scenes: use them with dataset shapes and without word_attention")
        if self.slots and self.latent_dim <= NUM_CHOICES:
            raise ValueError(f"slots make {NUM_CHOICES} choices with the latent: latent_dim must exceed that")
        if not 0.0 <= self.partial_captions <= 1.0:
            raise ValueError(f"partial_captions must be a probability in [0, 1], got {self.partial_captions}")
        if self.partial_captions > 0 and not self.slots:  # a pooled G has no reading to learn "any" with
            raise ValueError("partial_captions > 0 trains G's reading of what a caption leaves free; set slots=true")
        if self.hard_negative_weight > 0 and self.dataset != "shapes":  # the swap reads Shapes words
            raise ValueError("hard_negative_weight > 0 swaps the words of Shapes captions; use it with dataset shapes")
        weights = (
            "contrastive_weight",
            "word_weight",
            "hard_negative_weight",
            "reconstruction_weight",
            "caption_weight",
            "reading_weight",
            "cell_weight",
        )
        check_conditional_gan(self, weights)

    def tokenizer(self) -> Tokenizer:
        """The captions' tokenizer, a function of ``dataset`` alone: Shapes words, or the class captions' words."""
        return tokenizer_for(self.dataset)

    def text(self) -> TransformerConfig:
        """The caption side: the data set's vocabulary, captions of up to MAX_TOKENS tokens, padding masked."""
        tokenizer = self.tokenizer()
        sizes = {"d_model": self.text_dim, "num_heads": self.text_heads, "num_layers": self.text_layers}
        return TransformerConfig(
            tokenizer.vocab_size, **sizes, d_hidden=self.text_hidden, max_length=MAX_TOKENS, pad_id=tokenizer.pad_id
        )  # sinusoidal positions
