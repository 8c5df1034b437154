"""The course assignments: which library functions a student writes, where it is taught, how it is graded.

An assignment is a list of functions in mmjax's own source. Inside each, the lines between
``# BEGIN SOLUTION`` and ``# END SOLUTION`` are the reference solution: the library runs them as usual,
and the student copy replaces them by ``raise NotImplementedError`` (see ``regions.py``). The graded tests
of assignment ``NAME`` are the ``test_*`` functions of ``mmjax/assignments/checks/NAME.py``; they compare
the student's functions with independent references (JAX's own attention, optax, closed forms), never
with the library function that the student replaces.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # the mmjax package folder
CHECKS = Path(__file__).resolve().parent / "checks"


@dataclasses.dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    chapters: tuple[str, ...]  # the chapter scripts that teach it, relative to the repository root
    functions: tuple[tuple[str, tuple[str, ...]], ...]  # (file relative to mmjax/, qualified names in it)

    @property
    def files(self) -> list[str]:
        return [file for file, _ in self.functions]

    @property
    def checks(self) -> Path:
        return CHECKS / f"{self.name}.py"


ASSIGNMENTS = {
    a.name: a
    for a in (
        Assignment(
            "attention",
            "Scaled dot-product attention with causal and padding masks",
            ("chapters/04_math/02_transformer_equations.py",),
            (
                (
                    "nn/attention.py",
                    ("attention_weights", "scaled_dot_product_attention", "causal_mask", "padding_mask"),
                ),
            ),
        ),
        Assignment(
            "transformer",
            "Multi-head attention and a pre-LN Transformer block",
            ("chapters/03_algorithms/03_transformer_encoder_decoder.py",),
            (
                ("nn/attention.py", ("split_heads", "merge_heads", "MultiHeadAttention.attend")),
                ("nn/encoder.py", ("EncoderBlock.__call__",)),
            ),
        ),
        Assignment(
            "beam_search",
            "Beam search with length normalisation",
            ("chapters/03_algorithms/04_transformer_reversal.py",),
            (("nn/decoding.py", ("length_normalised", "beam_search")),),
        ),
        Assignment(
            "gan_losses",
            "GAN losses and the WGAN-GP gradient penalty",
            ("chapters/04_math/01_gan_value_function.py",),
            (
                (
                    "gan/losses.py",
                    (
                        "minimax_discriminator_loss",
                        "minimax_generator_loss",
                        "non_saturating_generator_loss",
                        "hinge_discriminator_loss",
                        "hinge_generator_loss",
                        "_per_example_gradient_norms",
                        "gradient_penalty",
                    ),
                ),
            ),
        ),
        Assignment(
            "spectral_norm",
            "Spectral normalisation by power iteration",
            ("chapters/03_algorithms/02_gan_conditional_dcgan.py",),
            (("gan/spectral_norm.py", ("power_iteration", "spectral_normalise")),),
        ),
        Assignment(
            "frechet_bleu",
            "The Fréchet distance and corpus BLEU",
            ("chapters/09_faq/02_evaluation.py", "chapters/09_faq/03_caption_metrics.py"),
            (
                ("metrics/frechet.py", ("psd_sqrt", "frechet_distance_from_statistics")),
                ("metrics/bleu.py", ("clipped_matches", "corpus_bleu")),
            ),
        ),
        Assignment(
            "stft_mel",
            "The short-time Fourier transform and the mel filterbank",
            (
                "chapters/06_applications/02_music_visualisation.py",
                "chapters/02_core_concepts/01_one_scene_four_modalities.py",
            ),
            (
                ("audio/features.py", ("hann_window", "frame", "stft")),
                ("audio/mel.py", ("hz_to_mel", "mel_to_hz", "triangles")),
            ),
        ),
    )
}


def get(name: str) -> Assignment:
    """The assignment called ``name``; a ValueError lists the available ones."""
    if name not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {name!r}; available: {', '.join(ASSIGNMENTS)}")
    return ASSIGNMENTS[name]
