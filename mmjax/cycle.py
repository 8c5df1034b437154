"""The cycle of section 3.3: a GAN draws the prompt, a Transformer describes the drawing, the description
is drawn again, and so on for K rounds.

    text_0 = prompt;   image_k = G(z_k, text_{k-1});   text_k = C(image_k)          k = 1 .. K

Two agreements are scored in every round, both against the *original* prompt, so drift shows:

    image_agreement_k   = the judge reads every attribute the prompt states off image_k
    caption_agreement_k = text_k states the facts the prompt states (``mmjax.pretrained.agreement``: sizes,
                          colours, shapes, the lone object's cell or the pair's relation, either way round)

Round 1's caption agreement is the text -> image -> text round trip. The tuning step that makes the loop
agree better (the captioner's log-likelihood of the prompt added to G's loss) is
:mod:`mmjax.text2image.tuning`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mmjax.metrics.coherence import attribute_accuracy, caption_targets
from mmjax.pretrained.agreement import agreement


def caption_agreement(prompts: Sequence[str], captions: Sequence[str]) -> np.ndarray:
    """``[N]`` bool: caption i states exactly the facts prompt i states (an unparseable caption never does)."""
    if len(prompts) != len(captions):
        raise ValueError(f"need one caption per prompt, got {len(captions)} captions for {len(prompts)} prompts")
    return np.asarray([agreement(prompt, caption).agrees for prompt, caption in zip(prompts, captions)], bool)


def run_cycle(
    generate: Callable[[list[str], int], np.ndarray],
    caption: Callable[[np.ndarray], list[str]],
    judge,
    prompts: Sequence[str],
    rounds: int,
) -> list[dict]:
    """K rounds of the cycle for every prompt: per round, both agreements and what was drawn and said.

    ``generate(texts, k) -> uint8 [N, H, W, 3]`` draws round k (seed it from k, so rounds differ),
    ``caption(images) -> N strings``; ``judge`` is the shipped judge (``load_judge()[0]`` of
    :mod:`mmjax.metrics.judge.export`).
    """
    from mmjax.metrics.judge.inference import judge_labels

    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    prompts = list(prompts)
    targets = caption_targets(prompts)
    texts, history = prompts, []
    for k in range(1, rounds + 1):
        images = generate(texts, k)  # [N, H, W, 3]
        texts = caption(images)
        history.append(
            {
                "round": k,
                "image_agreement": attribute_accuracy(judge_labels(judge, images), targets)["all_correct"],
                "caption_agreement": float(caption_agreement(prompts, texts).mean()),
                "images": images,
                "captions": texts,
            }
        )
    return history
