"""Reading a prompt with the caption grammar: the scene it states, or where it stops and what would fit.

The grammar is :func:`mmjax.data.caption_grammar.labelled_patterns`: the templates of
:mod:`mmjax.data.captions` with every ``{slot}`` a table of phrases, each phrase saying one label value.
The same patterns build the decoder's automaton, so what :func:`parse_prompt` reads is exactly what
:func:`~mmjax.data.captions.describe` writes and the captioner may decode::

    a {size} {colour} {shape} in the {cell}                          (also "at the", "there is a ...")
    a {size} {colour} {shape} {relation} a {size} {colour} {shape}   (also "there is a ...")
    <either of them> {verb} {motion}                                 (video captions, ``video=True``)

    >>> parse_prompt("a big red circle at the upper left")
    ParsedCaption(objects=(ParsedObject(size=1, colour=0, shape=0, row=0, col=0),), relation=-1, motion=-1)

Text the grammar does not read raises :class:`CaptionStopError`, which says how far it got: for
"a red circle" it reads "a", then stops at "red" where a size must come. :func:`complete` finds the
caption nearest a partial description ("a red circle" -> "a small red circle in the centre").
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mmjax.data import attributes as A
from mmjax.data.caption_grammar import accepting, continuations, labelled_patterns, start_states, step
from mmjax.data.captions import CaptionParseError

# What a slot's kind is called in a message.
KIND_NAMES = {
    "size": "size",
    "colour": "colour",
    "shape": "shape",
    "cell": "position",
    "relation": "relation",
    "verb": "motion verb",
    "motion": "direction",
}
# What a partial description is completed with; the plain phrase of each table (the first).
DEFAULTS = {"size": "small", "colour": "red", "shape": "circle", "cell": "centre"}
_FILLERS = {"a", "the", "there", "is", "in", "at"}  # the templates' own words: they state no attribute


@dataclasses.dataclass(frozen=True)
class ParsedObject:
    """One object a caption states; ABSENT for what it does not state (no cell in two-object captions; any
    of size, colour and cell in a partial caption)."""

    size: int = A.ABSENT
    colour: int = A.ABSENT
    shape: int = A.ABSENT
    row: int = A.ABSENT
    col: int = A.ABSENT


@dataclasses.dataclass(frozen=True)
class ParsedCaption:
    """The scene a caption states: its objects in the caption's order, the relation of the first to the
    second (NO_RELATION for one object) and the motion (ABSENT for a still caption)."""

    objects: tuple[ParsedObject, ...]
    relation: int = A.NO_RELATION
    motion: int = A.ABSENT

    def labels(self) -> dict[str, np.ndarray]:
        """The labels it states, laid out as :meth:`mmjax.data.scene.Scene.labels` (objects padded with ABSENT)."""
        padded = list(self.objects) + [None] * (A.MAX_OBJECTS - len(self.objects))

        def per_object(field: str) -> np.ndarray:
            return np.array([A.ABSENT if o is None else getattr(o, field) for o in padded], np.int32)

        fields = {k: per_object(k) for k in ("shape", "colour", "size", "row", "col")}
        scene = {"relation": np.int32(self.relation), "motion": np.int32(self.motion)}
        return {"num_objects": np.int32(len(self.objects)), **fields, **scene}


class CaptionStopError(CaptionParseError):
    """Text the caption grammar does not read. ``words`` are the text's words; the first ``stop`` of them
    begin a caption (``stop == len(words)``: the text ends too early); ``expected`` maps each kind of what
    could come next (None: a template's own word) to its words."""

    def __init__(self, words: list[str], stop: int, expected: dict[str | None, list[str]]):
        self.words, self.stop, self.expected = words, stop, expected
        super().__init__(f'"{" ".join(words)}" is not a Shapes caption: {describe_stop(words, stop, expected)}')


def describe_stop(words: list[str], stop: int, expected: dict[str | None, list[str]]) -> str:
    """Where the grammar stopped reading ``words`` and what it expected there, in words."""
    wanted = " or ".join(
        " or ".join(f"'{w}'" for w in options) if kind is None else f"{kind} ({', '.join(options)})"
        for kind, options in expected.items()
    )
    if not words:
        return f"it has no words (a caption starts with {wanted})"
    if stop == 0:
        return f"it does not start like a caption (first word '{words[0]}'; a caption starts with {wanted})"
    read = f'it reads "{" ".join(words[:stop])}"'
    if stop == len(words):
        return f"{read}, then the prompt ends where it expects {wanted}"
    return f"{read}, then stops at word {stop + 1}, '{words[stop]}', where it expects {wanted}"


def _expected(patterns, states) -> dict[str | None, list[str]]:
    places = continuations([[slot.phrases for slot in pattern] for pattern in patterns], states)
    out: dict[str | None, list[str]] = {}
    # In the tables' order ("small, little, tiny, large, big"), not the order of a set.
    for p, s, phrase, k in sorted(places, key=lambda t: (t[0], t[1], list(patterns[t[0]][t[1]].phrases).index(t[2]))):
        kind = patterns[p][s].kind
        name = None if kind is None else ("the rest of a " if k else "a ") + KIND_NAMES[kind]
        if phrase[k] not in out.setdefault(name, []):
            out[name].append(phrase[k])
    return out


def _match(pattern, words: tuple[str, ...], s: int = 0, i: int = 0) -> list | None:
    """The (slot, value) that each slot of ``pattern`` reads in ``words[i:]``, or None where it does not fit."""
    if s == len(pattern):
        return [] if i == len(words) else None
    for phrase, value in pattern[s].phrases.items():
        if words[i : i + len(phrase)] == phrase:
            rest = _match(pattern, words, s + 1, i + len(phrase))
            if rest is not None:
                return [(pattern[s], value), *rest]
    return None


def parse_prompt(text: str, video: bool = False, partial: bool = False) -> ParsedCaption:
    """The scene the caption ``text`` states (lower-cased, split at white space; punctuation is not read).

    ``video=True`` reads video captions (a still caption, then ``{verb} {motion}``); ``partial=True`` also
    partial captions ("a red circle", "a circle at the top", "a big square above a circle"). Raises
    :class:`CaptionStopError` (a ValueError) where the grammar stops, saying where and what it expected.
    """
    if not isinstance(text, str):
        raise TypeError(f"a caption must be a string, got {type(text).__name__}")
    words, patterns = text.lower().split(), labelled_patterns(video, partial)
    phrases = [[slot.phrases for slot in pattern] for pattern in patterns]
    states = start_states(phrases)
    for index, word in enumerate(words):  # run the grammar's NFA to find where reading stops, if it does
        after = step(phrases, states, word)
        if not after:
            raise CaptionStopError(words, index, _expected(patterns, states))
        states = after
    if not words or not accepting(phrases, states):
        raise CaptionStopError(words, len(words), _expected(patterns, states))
    # The grammar reads it: find the pattern and the phrase in each slot (templates are unambiguous).
    matched = next(m for pattern in patterns if (m := _match(pattern, tuple(words))) is not None)
    objects: dict[int, dict[str, int]] = {}
    said = {"relation": A.NO_RELATION, "motion": A.ABSENT}
    for slot, value in matched:
        if slot.kind == "cell":
            objects[slot.obj]["row"], objects[slot.obj]["col"] = divmod(value, A.GRID)
        elif slot.obj is not None:
            objects.setdefault(slot.obj, {})[slot.kind] = value
        elif slot.kind in said:
            said[slot.kind] = value
    return ParsedCaption(tuple(ParsedObject(**objects[i]) for i in sorted(objects)), **said)


def _attribute_phrases() -> dict[tuple[str, ...], str]:
    """Every still attribute phrase and its kind (size, colour, shape, cell, relation)."""
    return {ph: slot.kind for pattern in labelled_patterns() for slot in pattern if slot.kind for ph in slot.phrases}


def complete(text: str) -> tuple[str, list[str]] | None:
    """The caption nearest a partial still description, and the kinds it filled with :data:`DEFAULTS`.

    The prompt's attribute phrases are read in any order ("circle red a big"); one relation splits them
    into two objects. None where they do not describe one or two objects (a kind twice for one object,
    a position with a relation, a word that is no attribute, an object with no attribute).
    """
    words, kinds = text.lower().split(), _attribute_phrases()
    longest = max(len(phrase) for phrase in kinds)
    objects, relation, i = [{}], None, 0
    while i < len(words):  # the longest attribute phrase at i: "to the left of" before "left"
        phrase = next(
            (tuple(words[i : i + n]) for n in range(longest, 0, -1) if tuple(words[i : i + n]) in kinds), None
        )
        if phrase is None:
            if words[i] not in _FILLERS:
                return None
            i += 1
            continue
        kind, i = kinds[phrase], i + len(phrase)
        if kind == "relation":
            if relation is not None:
                return None
            relation = " ".join(phrase)
            objects.append({})
        elif kind in objects[-1]:
            return None
        else:
            objects[-1][kind] = " ".join(phrase)
    if not all(objects) or (relation is not None and any("cell" in obj for obj in objects)):
        return None
    filled = [kind for obj in objects for kind in DEFAULTS if kind not in obj and (kind != "cell" or not relation)]
    said = [" ".join(obj.get(k, DEFAULTS[k]) for k in ("size", "colour", "shape")) for obj in objects]
    if relation is None:
        cell = objects[0].get("cell", DEFAULTS["cell"])
        caption = f"a {said[0]} {'at' if 'at' in words else 'in'} the {cell}"
    else:
        caption = f"a {said[0]} {relation} a {said[1]}"
    return caption, list(dict.fromkeys(filled))
