"""What the conditional GANs' configs share: the checks of their ``__post_init__`` (clear errors before anything
runs) and the sizes of a tiny version (``Task.tiny``: compiles and runs in seconds, for the tests)."""

from __future__ import annotations

TINY = {  # the fields every conditional GAN's tiny version shares; each task adds its own
    "latent_dim": 4,
    "width": 2,
    "contrastive_dim": 4,
    "batch_size": 4,
    "num_train_examples": 16,
    "num_eval_examples": 4,
}


def check_divisible(config, width: str, heads: str) -> None:
    """A ValueError unless the field ``width`` divides by the field ``heads`` (attention heads share the width)."""
    if getattr(config, width) % getattr(config, heads):
        raise ValueError(f"{width} ({getattr(config, width)}) must be divisible by {heads} ({getattr(config, heads)})")


def check_conditional_gan(config, weights: tuple[str, ...]) -> None:
    """``ema_decay`` in [0, 1), ``temperature`` > 0, the loss ``weights`` (field names) >= 0, and at least two
    training examples, evaluation examples and examples per batch (the matching losses pair each with another)."""
    if not 0.0 <= config.ema_decay < 1.0:
        raise ValueError(f"ema_decay must be in [0, 1), got {config.ema_decay}")
    if config.temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {config.temperature}")
    negative = {name: getattr(config, name) for name in weights if getattr(config, name) < 0}
    if negative:
        raise ValueError(f"loss weights must be >= 0 (0 switches a term off), got {negative}")
    sizes = (config.num_train_examples, config.num_eval_examples, config.batch_size)
    if min(sizes) < 2:
        raise ValueError(
            "num_train_examples, num_eval_examples and batch_size must be >= 2 (the matching losses pair each "
            f"example with another), got {', '.join(map(str, sizes))}"
        )
