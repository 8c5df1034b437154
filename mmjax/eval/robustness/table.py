"""The robustness table: accuracy of a captioner per picture condition, for one- and two-object scenes.

For each condition of :data:`.rasterise.CONDITIONS` the same scenes (the first ``num_samples`` one-object and
``num_samples`` two-object scenes of the ``test`` split, seed ``seed``) are drawn by the independent rasteriser
and captioned. Per cell: ``accuracy`` (the caption parses into exactly the scene's facts, the exact match of
:func:`mmjax.metrics.captioning.caption_attribute_scores`), ``unparseable`` (1 - its parse rate) and ``n``.
The row ``test split (SDF)`` is the same scenes drawn by the training renderer: the in-distribution figure.

Every variant (decoding ``free`` or ``constrained`` to the caption grammar, times an input normalisation of
:mod:`.normalise`) captions the same pictures.
"""

from __future__ import annotations

import numpy as np

from mmjax.data.render import render_image
from mmjax.data.scene import sample_scene
from mmjax.eval.robustness.normalise import normalise
from mmjax.eval.robustness.rasterise import CONDITIONS, rasterise
from mmjax.metrics.captioning import caption_attribute_scores

IN_DISTRIBUTION = "test split (SDF)"
GROUPS = ("one object", "two objects")


def robustness_scenes(num_samples: int, seed: int = 0) -> dict[str, list]:
    """The first ``num_samples`` one-object and two-object scenes of the test split drawn with ``seed``."""
    groups, index = {1: [], 2: []}, 0
    while min(len(g) for g in groups.values()) < num_samples:
        scene = sample_scene(seed, "test", index)
        if len(groups[len(scene.objects)]) < num_samples:
            groups[len(scene.objects)].append(scene)
        index += 1
    return {GROUPS[0]: groups[1], GROUPS[1]: groups[2]}


def robustness_pictures(num_samples: int, seed: int = 0, conditions=CONDITIONS) -> dict[str, dict[str, np.ndarray]]:
    """``{condition: {group: uint8 [N, 32, 32, 3]}}``, the in-distribution row first; picture i of a group
    draws its condition's noise from ``(seed, group, i)``."""
    scenes = robustness_scenes(num_samples, seed)
    pictures = {IN_DISTRIBUTION: {g: np.stack([render_image(s) for s in scenes[g]]) for g in GROUPS}}
    for condition in conditions:
        pictures[condition.name] = {
            g: np.stack(
                [rasterise(s, condition, seed=seed * 1_000_003 + 1000 * k + i) for i, s in enumerate(scenes[g])]
            )
            for k, g in enumerate(GROUPS)
        }
    return pictures


def robustness_table(caption, num_samples: int, seed: int = 0, normalisations=("none",), conditions=CONDITIONS):
    """``{normalisation: {condition: {group: {"accuracy", "unparseable", "n"}}}}`` for ``caption(images) -> list``."""
    scenes = robustness_scenes(num_samples, seed)
    pictures = robustness_pictures(num_samples, seed, conditions)
    table = {}
    for method in normalisations:
        cells = [(name, group, images) for name, groups in pictures.items() for group, images in groups.items()]
        captions = caption(normalise(np.concatenate([images for _, _, images in cells]), method))  # one call
        rows, start = {}, 0
        for name, group, images in cells:
            scores = caption_attribute_scores(captions[start : start + len(images)], scenes[group])
            start += len(images)
            rows.setdefault(name, {})[group] = {
                "accuracy": float(scores["exact_match"]),
                "unparseable": float(1.0 - scores["parse_rate"]),
                "n": len(images),
            }
        table[method] = rows
    return table


def format_robustness(table: dict) -> str:
    """One block per variant: a row per condition, accuracy and unparseable share per group."""
    lines = []
    for variant, rows in table.items():
        width = max(len(n) for n in rows) + 2
        lines.append(f"== {variant} ==")
        lines.append("condition".ljust(width) + "".join(f"{g + ' acc':>16}{'unparsed':>10}" for g in GROUPS) + "     n")
        for name, groups in rows.items():
            cells = "".join(f"{groups[g]['accuracy']:>16.3f}{groups[g]['unparseable']:>10.3f}" for g in GROUPS)
            lines.append(name.ljust(width) + cells + f"{groups[GROUPS[0]]['n']:>6}")
    return "\n".join(lines)
