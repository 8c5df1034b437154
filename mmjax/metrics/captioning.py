"""Captioning scores that read captions back into labels: exact match, attribute F1, repetition.

A caption is reduced to a set of *facts* (as the Shapes world can state them): the object count, each
object's ``(size, colour, shape)``, the cell of a lone object, the relation of two objects in canonical
form (``above`` / ``left of``, so "A below B" and "B above A" are one fact), and the motion if stated.

    precision = |facts(pred) & facts(true)| / |facts(pred)|,  recall = ... / |facts(true)|   (summed over the corpus)
    F1 = 2 P R / (P + R);   repetition = mean_c (1 - |distinct bigrams(c)| / |bigrams(c)|)

A caption that does not parse states no facts (it lowers recall) and counts against exact match.
"""

from __future__ import annotations

from collections import Counter

from mmjax.data import attributes as A
from mmjax.data.captions import INVERSE_RELATION, CaptionParseError, parse_caption
from mmjax.data.scene import Scene
from mmjax.metrics.ngrams import ngram_counts, tokens

CANONICAL_RELATIONS = ("above", "left of")


def _object_fact(obj) -> tuple:
    get = (lambda k: obj[k]) if isinstance(obj, dict) else (lambda k: getattr(obj, k))
    return (A.SIZES[get("size")], A.COLOURS[get("colour")], A.SHAPES[get("shape")])


def _facts(objects: list, relation: int, motion: int, cells: list | None) -> Counter:
    facts = Counter({("count", len(objects)): 1})
    facts.update(("object", *_object_fact(o)) for o in objects)
    if cells is not None and len(objects) == 1:
        facts[("cell", *cells[0])] += 1
    if len(objects) == 2:
        first, second, name = _object_fact(objects[0]), _object_fact(objects[1]), A.RELATIONS[relation]
        if name not in CANONICAL_RELATIONS:
            first, second, name = second, first, INVERSE_RELATION[name]
        facts[("relation", first, name, second)] += 1
    if motion != A.ABSENT:
        facts[("motion", A.MOTIONS[motion])] += 1
    return facts


def caption_facts(text: str) -> Counter:
    """Facts a caption states (empty if it does not parse)."""
    try:
        parsed = parse_caption(text)
    except CaptionParseError:
        return Counter()
    cells = [(o["row"], o["col"]) for o in parsed["objects"]] if parsed["num_objects"] == 1 else None
    return _facts(parsed["objects"], parsed["relation"], parsed["motion"], cells)


def scene_facts(scene: Scene, with_motion: bool = False) -> Counter:
    """Facts a true caption of ``scene`` states (the motion only for video captions)."""
    cells = [(o.row, o.col) for o in scene.objects]
    return _facts(list(scene.objects), scene.relation, scene.motion if with_motion else A.ABSENT, cells)


def caption_attribute_scores(captions: list[str], scenes: list[Scene], video: bool = False) -> dict[str, float]:
    """``exact_match``, attribute ``precision``/``recall``/``f1``, ``parse_rate`` and ``repetition``."""
    if len(captions) != len(scenes) or not captions:
        raise ValueError(f"need one caption per scene, got {len(captions)} captions for {len(scenes)} scenes")
    hits = predicted = wanted = exact = parsed = 0
    repetition = 0.0
    for text, scene in zip(captions, scenes):
        pred, true = caption_facts(text), scene_facts(scene, with_motion=video)
        overlap = sum((pred & true).values())
        hits, predicted, wanted = hits + overlap, predicted + sum(pred.values()), wanted + sum(true.values())
        parsed += bool(pred)
        exact += pred == true
        bigrams = ngram_counts(tokens(text), 2)
        repetition += 1.0 - len(bigrams) / sum(bigrams.values()) if bigrams else 0.0
    precision = hits / predicted if predicted else 0.0
    recall = hits / wanted
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n = len(captions)
    return {
        "exact_match": exact / n,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "parse_rate": parsed / n,
        "repetition": repetition / n,
    }
