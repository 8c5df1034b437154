"""Hyper-parameters of the text-to-video GAN: a frozen dataclass, one comment per field."""

from __future__ import annotations

import dataclasses

from mmjax.data.tokenizer import Tokenizer
from mmjax.gan.configs import check_conditional_gan
from mmjax.text2image.config import TextToImageConfig

MOTIONS = ("shift", "cell", "code")  # how a generated scene moves from frame to frame (TextToVideoConfig.motion)
MOTION_READERS = ("frame", "words")  # which caption encoder the motion reads (TextToVideoConfig.motion_reader)
FRAME_FIELDS = (  # the fields the frame players (a text-to-image GAN) share with the video GAN
    *("image_size", "latent_dim", "width", "text_dim", "text_layers", "text_heads", "text_hidden"),
    *("contrastive_dim", "contrastive_weight", "temperature", "word_weight", "ema_decay", "batch_size"),
    *("num_train_examples", "num_eval_examples", "data_seed"),
)


@dataclasses.dataclass(frozen=True)
class TextToVideoConfig:
    """A caption-conditioned GAN for clips of ``num_frames`` 32x32 frames of a Shapes scene in motion.

    Each frame is drawn by the text-to-image generator and judged by the text-to-image discriminator
    (:meth:`frame_config` says which); a clip discriminator judges the frames together.
    """

    image_size: int = 32  # frame resolution (4 x 2^k)
    num_frames: int = 8  # frames per clip T; the scene slides one grid cell over the clip
    latent_dim: int = 64  # content code z_c ~ N(0, I), shared by every frame of a clip
    width: int = 16  # base channels; the frame G uses 4w, 2w, w from 4x4 up, each D uses w, 2w, 4w
    text_dim: int = 64  # width of the caption encoders' token states, sentence and motion codes
    text_layers: int = 2  # self-attention blocks of each caption encoder
    text_heads: int = 4  # attention heads of the caption encoders (text_dim must be divisible by it)
    text_hidden: int = 128  # hidden width of the caption encoders' MLPs
    motion: str = "cell"  # "shift": one frame drawn, moved by t / (T - 1) of a displacement read from the caption;
    #   "cell": the same, the displacement one grid cell in a direction chosen from the caption;
    #   "code": every frame drawn from the caption plus a motion code m_t (MoCoGAN); see model.py
    motion_reader: str = "words"  # motion read from "frame": the frame generator's caption vector s; "words": a
    #   bag of the words after the motion verb, the frame players then reading the still part of the caption (the
    #   words before the verb), as text2image did
    train_frames: bool = False  # False: G's frame generator (caption encoder included) keeps its first weights
    #   (frames_from's) and D_frame is left out; only the motion and D_clip learn
    motion_hidden: int = 128  # hidden width of the MLP that turns (caption, t / (T - 1)) into m_t ("code" only)
    clip_hidden: int = 256  # width of the clip discriminator's clip feature (the caption is projected onto it)
    frames_judged: int = 2  # frames per clip, drawn at random each step, that the frame discriminator judges
    clip_weight: float = 1.0  # weight of the clip discriminator's terms in both players' losses
    reversed_clips: bool = True  # a real clip played backwards, with its own caption, counts as mismatched
    direction_weight: float = 1.0  # weight of G's direction term (step.py: "cell" a cross-entropy towards D_clip's
    #   ranking of the four slides, otherwise "D_clip prefers my clip to it played backwards"; 0 = off)
    contrastive_dim: int = 64  # width of the frame D's frame/caption matching space
    contrastive_weight: float = 1.0  # weight of the frame-caption InfoNCE in both players' losses (0 = off)
    temperature: float = 0.1  # InfoNCE temperature tau: logits are cos(u, v) / tau
    word_weight: float = 1.0  # weight of the frame D's caption-word classifier (0 = off)
    frames_from: str = "shipped"  # start G's frame generator and D_frame from a text2image .npz or run folder;
    #   "shipped": the frame generator of mmjax's own text2video.npz (D_frame fresh); "" = fresh
    ema_decay: float = 0.99  # G's sampling weights: theta_ema <- d theta_ema + (1 - d) theta (0 = no EMA)
    batch_size: int = 16  # (clip, caption) pairs per step
    g_learning_rate: float = 5e-4  # Adam step size of G
    d_learning_rate: float = 5e-4  # Adam step size of both discriminators
    beta1: float = 0.0  # Adam first-moment decay
    beta2: float = 0.999  # Adam second-moment decay
    num_train_examples: int = 50_000  # (clip, caption) pairs of the Shapes train split, rendered on demand
    num_eval_examples: int = 128  # prompts of test and of test_heldout that the loop's evaluation draws
    data_seed: int = 0  # which Shapes world (independent of the run's seed)

    def __post_init__(self):
        if self.motion not in MOTIONS:
            raise ValueError(f"motion must be one of {', '.join(MOTIONS)}, got {self.motion!r}")
        if self.motion_reader not in MOTION_READERS:
            raise ValueError(f"motion_reader must be one of {', '.join(MOTION_READERS)}, got {self.motion_reader!r}")
        if self.num_frames < 2:
            raise ValueError(f"num_frames must be >= 2 (a clip must be able to move), got {self.num_frames}")
        if not 1 <= self.frames_judged <= self.num_frames:
            raise ValueError(f"frames_judged must be in [1, num_frames={self.num_frames}], got {self.frames_judged}")
        check_conditional_gan(self, ("clip_weight", "direction_weight", "contrastive_weight", "word_weight"))
        self.frame_config()  # the frame players' own checks: image size, heads

    def frame_config(self) -> TextToImageConfig:
        """The text-to-image GAN whose generator draws each frame and whose discriminator judges single frames."""
        return TextToImageConfig(**{name: getattr(self, name) for name in FRAME_FIELDS})

    def tokenizer(self) -> Tokenizer:
        """The Shapes caption tokenizer (video captions add motion words to the still ones)."""
        return self.frame_config().tokenizer()
