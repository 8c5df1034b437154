"""Does a caption say what the prompt said? The facts both state, compared one by one.

``parse_caption`` reads a Shapes caption back into facts. A prompt and the caption of the picture drawn
for it agree when they state the same facts:

* the number of objects;
* one object: its size, colour, shape, row and column;
* two objects: each object's size, colour and shape, and the relation of the first to the second, read
  either way round ("A above B" is "B below A"); their cells are not compared, because a two-object
  caption does not state them (the picture may put the pair anywhere the relation allows).

Motion is not compared: the models draw and read still pictures. Which paraphrase is used ("big" or
"large", "upper left" or "top left") does not matter; only the facts do.
"""

from __future__ import annotations

from typing import NamedTuple

from mmjax.data import attributes as A
from mmjax.data.caption_parse import parse_prompt
from mmjax.data.captions import INVERSE_RELATION, CaptionParseError, parse_caption
from mmjax.pretrained.prompts import TWO, normalise, resolve

OBJECT_FACTS = ("size", "colour", "shape")
NAMES = {"size": A.SIZES, "colour": A.COLOURS, "shape": A.SHAPES, "row": A.ROWS, "col": A.COLS}


class Agreement(NamedTuple):
    agrees: bool  # every fact the prompt states is what the caption states
    detail: str  # "same facts", or the first facts that differ


def _object_differences(said: dict, read: dict, which: str, keys=OBJECT_FACTS) -> list[str]:
    return [
        f"{which}{key}: prompt {NAMES[key][said[key]]}, caption {NAMES[key][read[key]]}"
        for key in keys
        if key in said and said[key] != read[key]  # a partial prompt does not state every fact
    ]


def prompt_facts(prompt: str) -> dict:
    """The facts a prompt states, as :func:`parse_caption` gives them; a partial prompt ("a red circle")
    gives only those it states (:func:`mmjax.data.caption_parse.parse_prompt`), and a prompt that leaves the
    relation free ("and", "next to", "two ...") the ``relations`` a caption may state."""
    text = normalise(prompt)
    try:
        return parse_caption(text)
    except CaptionParseError:
        pass
    resolved = resolve(text, partial=True)  # "and", "next to", "two ...": a relation picked, then freed below
    parsed = parse_prompt(resolved, partial=True)  # a CaptionParseError of its own where it is no prompt either
    objects = [{k: v for k, v in vars(obj).items() if v != A.ABSENT} for obj in parsed.objects]
    facts = {"num_objects": len(objects), "objects": objects, "relation": parsed.relation, "motion": parsed.motion}
    words = f" {text} "
    if " next to " in words:
        facts["relations"] = {"left of", "right of"}
    elif " and " in words or TWO.search(words):
        facts["relations"] = set(A.RELATIONS)
    return facts


def _pair_differences(said: dict, read: dict) -> list[str]:
    """Differences of two two-object facts, for the reading of ``read`` (as stated or reversed) closest to it."""
    first, second = read["objects"]
    relation = A.RELATIONS[read["relation"]]
    readings = [(first, second, relation), (second, first, INVERSE_RELATION[relation])]
    best = None
    for a, b, r in readings:
        differences = _object_differences(said["objects"][0], a, "first object's ")
        differences += _object_differences(said["objects"][1], b, "second object's ")
        allowed = said.get("relations", {A.RELATIONS[said["relation"]]})  # "and" / "next to": several
        if r not in allowed:
            differences.append(f"relation: prompt {' or '.join(sorted(allowed))}, caption {r}")
        if best is None or len(differences) < len(best):
            best = differences
    return best


def agreement(prompt: str, caption: str) -> Agreement:
    """Whether ``caption`` states the facts ``prompt`` states (module docstring: which facts).

    Both are normalised first (case, punctuation, spacing). A caption that is not a Shapes caption
    disagrees. A prompt that is not one raises CaptionParseError
    (a ValueError): there are no facts to compare with.
    """
    said = prompt_facts(prompt)
    try:
        read = parse_caption(normalise(caption))
    except CaptionParseError:
        return Agreement(False, f"the caption {caption!r} is not a Shapes caption")
    if said["num_objects"] != read["num_objects"]:
        return Agreement(False, f"prompt has {said['num_objects']} objects, caption {read['num_objects']}")
    if said["num_objects"] == 1:
        differences = _object_differences(said["objects"][0], read["objects"][0], "", (*OBJECT_FACTS, "row", "col"))
    else:
        differences = _pair_differences(said, read)
    return Agreement(not differences, "; ".join(differences) or "same facts")
