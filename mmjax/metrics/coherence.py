"""Coherence: does a generated sample show what its prompt asked for?

The judge reads every attribute off a generated image; coherence compares those predictions with the
prompt's labels, exactly. A label of ``-1`` in the target (``ABSENT``: no second object, no relation,
or an attribute the prompt does not specify) is not scored.

    acc(a) = sum_i [pred_i(a) == target_i(a)] [target_i(a) != -1] / sum_i [target_i(a) != -1]
    all_correct = mean_i  prod_a [pred_i(a) == target_i(a) or target_i(a) == -1]

``right_by_object_count`` splits ``all_correct`` between prompts of one object and prompts of two.

Images cannot tell "A below B" from "B above A", so targets are first put in canonical form
(``canonical_labels``): two objects ordered top-to-bottom / left-to-right, relation ``above`` or ``left of``.
"""

from __future__ import annotations

import numpy as np

from mmjax.data import attributes as A
from mmjax.data.captions import parse_caption

OBJECT_ATTRIBUTES = ("shape", "colour", "size", "row", "col")
SCENE_ATTRIBUTES = ("num_objects", "relation")
SWAPPED_RELATION = {
    A.RELATIONS.index("below"): A.RELATIONS.index("above"),
    A.RELATIONS.index("right of"): A.RELATIONS.index("left of"),
}


def _as_batch(labels, name: str) -> dict[str, np.ndarray]:
    if not isinstance(labels, dict) or "num_objects" not in labels:
        raise TypeError(
            f"{name} must be a dict of label arrays with at least 'num_objects', got {type(labels).__name__}"
        )
    batch = {k: np.asarray(v) for k, v in labels.items() if k in OBJECT_ATTRIBUTES + SCENE_ATTRIBUTES}
    size = batch["num_objects"].shape[0] if batch["num_objects"].ndim else None
    for key, value in batch.items():
        expected = (size, A.MAX_OBJECTS) if key in OBJECT_ATTRIBUTES else (size,)
        if size is None or value.shape != expected:
            raise ValueError(f"{name}[{key!r}] must have shape {expected} (batched labels), got {value.shape}")
    return batch


def canonical_labels(labels: dict) -> dict[str, np.ndarray]:
    """Batched labels with two-object rows reordered so the relation is ``above`` or ``left of``."""
    batch = {k: v.copy() for k, v in _as_batch(labels, "labels").items()}
    if "relation" not in batch:
        return batch
    swap = np.isin(batch["relation"], list(SWAPPED_RELATION))  # [N]
    for key in OBJECT_ATTRIBUTES:
        if key in batch:
            batch[key][swap] = batch[key][swap][:, ::-1]
    batch["relation"][swap] = [SWAPPED_RELATION[int(r)] for r in batch["relation"][swap]]
    return batch


def attribute_accuracy(predicted: dict, target: dict) -> dict[str, float]:
    """Per-attribute accuracy over the entries the target specifies, plus ``all_correct`` per sample.

    Both arguments are batched label dicts (``num_objects [N]``, ``shape [N, 2]``, ...); the target is
    canonicalised here, the prediction must already be canonical (as the judge's is).
    """
    scores, every_ok = _scored(predicted, target)
    scores["all_correct"] = float(every_ok.mean())
    return scores


def _scored(predicted: dict, target: dict) -> tuple[dict[str, float], np.ndarray]:
    """Per-attribute accuracy and, per sample, whether every stated attribute is right (bool ``[N]``)."""
    pred, goal = _as_batch(predicted, "predicted"), canonical_labels(target)
    if pred["num_objects"].shape != goal["num_objects"].shape:
        raise ValueError(
            f"predicted and target hold {pred['num_objects'].shape[0]} and {goal['num_objects'].shape[0]} samples"
        )
    scores, every_ok = {}, np.ones(goal["num_objects"].shape[0], bool)
    for key, wanted in goal.items():
        if key not in pred:
            raise ValueError(f"target specifies {key!r} but the prediction has no {key!r}")
        scored = wanted != A.ABSENT
        correct = (pred[key] == wanted) | ~scored
        every_ok &= correct.reshape(correct.shape[0], -1).all(axis=1)
        if scored.any():
            scores[key] = float(correct[scored].mean())
    return scores, every_ok


def all_correct_per_sample(predicted: dict, target: dict) -> np.ndarray:
    """bool ``[N]``: sample i shows every attribute its target states (the per-sample ``all_correct``)."""
    return _scored(predicted, target)[1]


def right_by_object_count(predicted: dict, target: dict) -> dict[str, float]:
    """``all_correct`` among the prompts that state one object and among those that state two.

    ``{"one_object_right", "two_object_right", "one_object_prompts", "two_object_prompts"}``; a fraction is
    NaN where no prompt has that count. A generator can be right on almost every one-object prompt and on few
    two-object ones; the mean over both hides that.
    """
    every_ok = all_correct_per_sample(predicted, target)
    count = np.asarray(target["num_objects"])
    scores = {}
    for name, n in (("one_object", 1), ("two_object", 2)):
        rows = count == n
        scores[f"{name}_right"] = float(every_ok[rows].mean()) if rows.any() else float("nan")
        scores[f"{name}_prompts"] = int(rows.sum())
    return scores


def caption_targets(captions: list[str]) -> dict[str, np.ndarray]:
    """Batched labels that each caption states; unstated entries are ``ABSENT``."""
    count = len(captions)
    targets = {
        k: np.full((count, A.MAX_OBJECTS), A.ABSENT, np.int32) for k in ("shape", "colour", "size", "row", "col")
    }
    targets.update({k: np.full(count, A.ABSENT, np.int32) for k in ("num_objects", "relation", "motion")})
    for i, text in enumerate(captions):
        parsed = parse_caption(text)
        targets["num_objects"][i], targets["relation"][i], targets["motion"][i] = (
            parsed["num_objects"],
            parsed["relation"],
            parsed["motion"],
        )
        for k, obj in enumerate(parsed["objects"]):
            for key, value in obj.items():
                targets[key][i, k] = value
    return targets
