"""Captions: several English paraphrases per scene, and the parser that reads them back into labels.

Every caption is built from small phrase tables (synonyms for sizes, positions, relations and motions)
plugged into templates. Because the tables are explicit, ``parse_caption`` can invert any caption exactly:
that is what lets mmjax score a generated caption attribute by attribute.

    one object:   "a big red circle at the upper left", "there is a small blue cross in the centre"
    two objects:  "a small red circle above a large blue square", "a large blue square under a small red circle"
    video:        "<still caption> moving left", "<still caption> sliding to the right"
"""

from __future__ import annotations

import numpy as np

from mmjax.data import attributes as A
from mmjax.data.scene import Scene

SIZE_WORDS = {"small": ("small", "little", "tiny"), "large": ("large", "big")}

# Phrases for each grid cell, row-major; the first is the plain one.
CELL_PHRASES = (
    ("top left", "upper left"),
    ("top", "top centre", "upper middle"),
    ("top right", "upper right"),
    ("left", "middle left"),
    ("centre", "middle"),
    ("right", "middle right"),
    ("bottom left", "lower left"),
    ("bottom", "bottom centre", "lower middle"),
    ("bottom right", "lower right"),
)
RELATION_WORDS = {
    "above": ("above", "over"),
    "below": ("below", "under", "beneath"),
    "left of": ("to the left of", "left of"),
    "right of": ("to the right of", "right of"),
}
INVERSE_RELATION = {"above": "below", "below": "above", "left of": "right of", "right of": "left of"}
MOTION_WORDS = {
    "left": ("left", "to the left"),
    "right": ("right", "to the right"),
    "up": ("up", "upwards"),
    "down": ("down", "downwards"),
}
MOTION_VERBS = ("moving", "sliding", "drifting")
ONE_OBJECT_TEMPLATES = (
    "a {object} in the {cell}",
    "a {object} at the {cell}",
    "there is a {object} in the {cell}",
)
TWO_OBJECT_TEMPLATES = ("a {first} {relation} a {second}", "there is a {first} {relation} a {second}")
VIDEO_TEMPLATE = "{still} {verb} {motion}"
# Partial captions leave some of an object's size and colour, or one object's cell, unstated ("a red circle",
# "a circle at the top", "a big square above a circle"): what they leave out is anything the world allows.
UNPLACED_TEMPLATES = ("a {object}", "there is a {object}")  # one object, its cell left out
LEAVE_OUT = ("size", "colour", "cell")  # what a partial caption may leave unstated (a shape is always named)


def _pick(options: tuple[str, ...], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def _object_phrase(obj, rng: np.random.Generator, leave_out=()) -> str:
    size = _pick(SIZE_WORDS[A.SIZES[obj.size]], rng)
    words = [size] if "size" not in leave_out else []
    words += [A.COLOURS[obj.colour]] if "colour" not in leave_out else []
    return " ".join([*words, A.SHAPES[obj.shape]])


def describe(scene: Scene, rng: np.random.Generator, video: bool = False, leave_out=()) -> str:
    """A random paraphrase of ``scene``; with ``video=True`` it also says how the scene moves.

    ``leave_out``: kinds of LEAVE_OUT the caption does not state (for every object; "cell" for one object only).
    """
    if len(scene.objects) == 1:
        obj = scene.objects[0]
        if "cell" in leave_out:
            still = _pick(UNPLACED_TEMPLATES, rng).format(object=_object_phrase(obj, rng, leave_out))
        else:
            still = _pick(ONE_OBJECT_TEMPLATES, rng).format(
                object=_object_phrase(obj, rng, leave_out), cell=_pick(CELL_PHRASES[obj.cell], rng)
            )
    else:
        first, second = scene.objects
        relation = A.RELATIONS[scene.relation]
        if rng.integers(2):  # say it the other way round: "B below A" describes the same picture
            first, second, relation = second, first, INVERSE_RELATION[relation]
        still = _pick(TWO_OBJECT_TEMPLATES, rng).format(
            first=_object_phrase(first, rng, leave_out),
            relation=_pick(RELATION_WORDS[relation], rng),
            second=_object_phrase(second, rng, leave_out),
        )
    if not video:
        return still
    motion = _pick(MOTION_WORDS[A.MOTIONS[scene.motion]], rng)
    return VIDEO_TEMPLATE.format(still=still, verb=_pick(MOTION_VERBS, rng), motion=motion)


def all_words() -> set[str]:
    """Every word any template can produce: the caption vocabulary."""
    texts = [*ONE_OBJECT_TEMPLATES, *TWO_OBJECT_TEMPLATES, *MOTION_VERBS, *A.COLOURS, *A.SHAPES]
    for table in (SIZE_WORDS, RELATION_WORDS, MOTION_WORDS):
        texts += [phrase for phrases in table.values() for phrase in phrases]
    texts += [phrase for phrases in CELL_PHRASES for phrase in phrases]
    words = {w for text in texts for w in text.split() if not w.startswith("{")}
    return words


# ---------------------------------------------------------------------------------------------------
# Parsing: the inverse of ``describe``.
# ---------------------------------------------------------------------------------------------------
_SIZE_OF = {word: A.SIZES.index(size) for size, words in SIZE_WORDS.items() for word in words}
_CELL_OF = {phrase: cell for cell, phrases in enumerate(CELL_PHRASES) for phrase in phrases}
_RELATION_OF = {p: A.RELATIONS.index(r) for r, phrases in RELATION_WORDS.items() for p in phrases}
_MOTION_OF = {p: A.MOTIONS.index(m) for m, phrases in MOTION_WORDS.items() for p in phrases}


class CaptionParseError(ValueError):
    """The text is not a caption of the Shapes world."""


def _parse_object(words: list[str], text: str) -> dict[str, int]:
    if len(words) != 3 or words[0] not in _SIZE_OF or words[1] not in A.COLOURS or words[2] not in A.SHAPES:
        raise CaptionParseError(f"expected '<size> <colour> <shape>' in caption {text!r}, got {' '.join(words)!r}")
    return {"size": _SIZE_OF[words[0]], "colour": A.COLOURS.index(words[1]), "shape": A.SHAPES.index(words[2])}


def _split_motion(words: list[str], text: str) -> tuple[list[str], int]:
    verbs = [i for i, w in enumerate(words) if w in MOTION_VERBS]
    if not verbs:
        return words, A.ABSENT
    phrase = " ".join(words[verbs[-1] + 1 :])
    if phrase not in _MOTION_OF:
        raise CaptionParseError(f"unknown motion {phrase!r} in caption {text!r}")
    return words[: verbs[-1]], _MOTION_OF[phrase]


def parse_caption(text: str) -> dict:
    """Read a caption back into labels.

    Returns a dict with ``num_objects``, ``objects`` (a list of dicts with ``shape``, ``colour``, ``size``
    and, for one object, ``row`` and ``col``), ``relation`` (index into RELATIONS of object 0 to object 1,
    NO_RELATION for one object) and ``motion`` (ABSENT for a still caption). Raises ``CaptionParseError``
    (a ValueError) for text that no template produces.
    """
    if not isinstance(text, str):
        raise TypeError(f"caption must be a string, got {type(text).__name__}")
    words, motion = _split_motion(text.lower().split(), text)
    if words[:2] == ["there", "is"]:
        words = words[2:]
    if not words or words[0] != "a":
        raise CaptionParseError(f"caption must start with 'a' or 'there is a': {text!r}")
    words = words[1:]
    if len(words) >= 5 and words[3] in ("in", "at") and words[4] == "the":
        obj = _parse_object(words[:3], text)
        cell_phrase = " ".join(words[5:])
        if cell_phrase not in _CELL_OF:
            raise CaptionParseError(f"unknown position {cell_phrase!r} in caption {text!r}")
        obj["row"], obj["col"] = divmod(_CELL_OF[cell_phrase], A.GRID)
        return {"num_objects": 1, "objects": [obj], "relation": A.NO_RELATION, "motion": motion}
    # two objects: "<object> <relation words> a <object>"
    if len(words) < 8 or "a" not in words[3:]:
        raise CaptionParseError(f"cannot parse caption {text!r}")
    second_start = len(words) - 3
    if words[second_start - 1] != "a":
        raise CaptionParseError(f"cannot parse caption {text!r}")
    relation_phrase = " ".join(words[3 : second_start - 1])
    if relation_phrase not in _RELATION_OF:
        raise CaptionParseError(f"unknown relation {relation_phrase!r} in caption {text!r}")
    objects = [_parse_object(words[:3], text), _parse_object(words[second_start:], text)]
    return {"num_objects": 2, "objects": objects, "relation": _RELATION_OF[relation_phrase], "motion": motion}


def caption_matches_scene(parsed: dict, scene: Scene) -> bool:
    """Whether a parsed caption is a true description of ``scene`` (up to the order of two objects)."""
    if parsed["num_objects"] != len(scene.objects):
        return False
    if parsed["motion"] not in (A.ABSENT, scene.motion):
        return False

    def same(description: dict, obj) -> bool:
        return all(description[k] == getattr(obj, k) for k in description)

    if len(scene.objects) == 1:
        return same(parsed["objects"][0], scene.objects[0])
    first, second = scene.objects
    relation = A.RELATIONS[scene.relation]
    readings = [(first, second, relation), (second, first, INVERSE_RELATION[relation])]
    return any(
        same(parsed["objects"][0], a) and same(parsed["objects"][1], b) and A.RELATIONS[parsed["relation"]] == r
        for a, b, r in readings
    )
