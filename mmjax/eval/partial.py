"""Partial prompts: is what a prompt states drawn right, and does what it leaves free vary as the world's does?

Prompt i of ``split`` is scene i described with some of its size, colour and (for one object) cell left out
(:func:`mmjax.data.shapes.leave_out` with probability 1, from the prompt's own stream). Each prompt is drawn
S times, with S latents, and the judge reads every picture:

    stated_right      the fraction of pictures in which every stated attribute is what the judge reads
    spread_K          per kind K left out: the mean over prompts of #distinct values of K among the S pictures
    real_spread_K     the same for S real scenes of the split that the prompt describes truly (a prompt that
                      fewer than S of the split's first 20000 scenes fit is left out of both)
    spread_ratio_K    spread_K / real_spread_K: 1 when the free attribute varies as much as in the world

A two-object prompt's size or colour counts as the pair of both objects' values in the picture's order.
"""

from __future__ import annotations

import jax
import numpy as np

from mmjax.data import attributes as A
from mmjax.data.caption_parse import parse_prompt
from mmjax.data.captions import LEAVE_OUT, describe
from mmjax.data.scene import sample_scene
from mmjax.data.shapes import leave_out
from mmjax.data.tokenizer import Tokenizer
from mmjax.eval.evaluate import generate_in_batches
from mmjax.metrics.coherence import all_correct_per_sample
from mmjax.metrics.judge.inference import judge_labels_and_features

LABELS = ("num_objects", "shape", "colour", "size", "row", "col", "relation")
NUM_CANDIDATES = 20_000  # real scenes (examples count, count + 1, ... of the split) the real spread is drawn from


def partial_prompts(split: str, count: int, seed: int = 0) -> dict:
    """Prompts 0..count-1: ``caption``, ``tokens``, ``unstated`` (kinds left out), ``targets`` (stated labels)."""
    captions, unstated = [], []
    for i in range(count):
        scene, rng = sample_scene(seed, split, i), np.random.default_rng([seed, A.split_id(split), i, 5])
        kinds = leave_out(scene, rng, 1.0)
        captions.append(describe(scene, rng, leave_out=kinds))
        unstated.append(kinds)
    stated = [parse_prompt(c, partial=True).labels() for c in captions]
    targets = {k: np.stack([s[k] for s in stated]) for k in LABELS}
    return {
        "caption": captions,
        "tokens": Tokenizer.default().encode_batch(captions),
        "unstated": unstated,
        "targets": targets,
    }


def outcome(labels: dict, kind: str) -> np.ndarray:
    """One integer per picture for ``kind``: the cell of a single object, or both objects' values as a pair."""
    if kind == "cell":
        return A.GRID * labels["row"][:, 0] + labels["col"][:, 0]
    values = labels[kind] + 1  # [N, 2], ABSENT -> 0
    return values[:, 0] * 16 + values[:, 1]


def evaluate_partial(generate, judge, split: str, num_prompts: int, samples: int, seed: int, batch_size: int = 256):
    """The scores of the module docstring for ``generate(prompts, key) -> uint8 [N, H, W, 3]``."""
    prompts = partial_prompts(split, num_prompts, seed)
    rows = np.repeat(np.arange(num_prompts), samples)  # [P S]: prompt p, S times
    repeated = {"caption": [prompts["caption"][r] for r in rows], "tokens": prompts["tokens"][rows]}
    images = generate_in_batches(generate, repeated, jax.random.key(seed), batch_size)
    labels, _ = judge_labels_and_features(judge, images)
    targets = {k: v[rows] for k, v in prompts["targets"].items()}
    scores = {"stated_right": float(all_correct_per_sample(labels, targets).mean())}
    candidates = [sample_scene(seed, split, num_prompts + j).canonical() for j in range(NUM_CANDIDATES)]
    real = {k: np.stack([c.labels()[k] for c in candidates]) for k in LABELS}
    rng = np.random.default_rng([seed, 6])
    for kind in LEAVE_OUT:
        drawn, world = [], []
        for p in (p for p in range(num_prompts) if kind in prompts["unstated"][p]):
            target = {k: np.repeat(v[p : p + 1], NUM_CANDIDATES, axis=0) for k, v in prompts["targets"].items()}
            true = np.flatnonzero(all_correct_per_sample(real, target))  # real scenes the prompt describes
            if len(true) < samples:  # too rare among the candidates to say how the world spreads it: skipped
                continue
            picked = outcome({k: v[p * samples : (p + 1) * samples] for k, v in labels.items()}, kind)
            drawn.append(len(np.unique(picked)))
            chosen = rng.choice(true, size=samples, replace=False)
            world.append(len(np.unique(outcome({k: v[chosen] for k, v in real.items()}, kind))))
        if drawn:
            scores[f"spread_{kind}"] = float(np.mean(drawn))
            scores[f"real_spread_{kind}"] = float(np.mean(world))
            scores[f"spread_ratio_{kind}"] = scores[f"spread_{kind}"] / scores[f"real_spread_{kind}"]
    return scores
