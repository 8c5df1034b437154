"""The caption grammar as a finite automaton over the tokenizer's vocabulary, for constrained decoding.

Every still caption :func:`mmjax.data.captions.describe` can say is a path through the templates of
:mod:`mmjax.data.captions` with each ``{slot}`` filled by one of its phrases. This module turns those
templates and phrase tables into a deterministic automaton over token ids:

    next_state [S, V]   the state after feeding token v in state s (DEAD where the grammar forbids v)
    allowed    [S, V]   whether the grammar allows token v next in state s

State ``PRE`` (before ``<bos>``) goes to ``START`` on ``<bos>``; a state where a whole caption has been read
allows ``<eos>``, which leads to ``DONE`` (only ``<pad>`` after it). The decoder masks the logits of the
tokens ``allowed`` forbids (:func:`mmjax.nn.decoding.constrain`), so every decoded caption parses.

The same templates, with each phrase's label value kept (:func:`labelled_patterns`: "big" fills a size
slot with ``large``), are what :mod:`mmjax.data.caption_parse` reads prompts with, through the same NFA
(:func:`start_states`, :func:`step`, :func:`accepting`): one grammar writes, decodes and checks captions.
"""

from __future__ import annotations

import functools
import itertools
from typing import NamedTuple

import numpy as np

from mmjax.data import attributes as A
from mmjax.data import captions as C
from mmjax.data.tokenizer import Tokenizer
from mmjax.nn.decoding import TokenAutomaton

PRE, DEAD, DONE, START = 0, 1, 2, 3  # fixed states; the grammar's own states follow START


class Slot(NamedTuple):
    """One place of a template: the phrases that may fill it and the label value each says.

    ``kind`` is the label it fills ("size", "colour", "shape", "cell", "relation", "verb", "motion"; None
    for a template's literal word such as "a" or "the"), ``obj`` the object (0 or 1) it is about.
    """

    kind: str | None
    obj: int | None
    phrases: dict[tuple[str, ...], int | None]


def _slot(kind: str | None, obj: int | None, meanings: dict[str, int | None]) -> Slot:
    return Slot(kind, obj, {tuple(phrase.split()): value for phrase, value in meanings.items()})


def _slots(video: bool = False) -> dict[str, list[Slot]]:
    """Each template placeholder as a list of slots, each phrase with the label value it says."""
    sizes = {w: A.SIZES.index(size) for size, words in C.SIZE_WORDS.items() for w in words}
    colours, shapes = {c: i for i, c in enumerate(A.COLOURS)}, {s: i for i, s in enumerate(A.SHAPES)}

    def obj(index: int) -> list[Slot]:
        return [_slot("size", index, sizes), _slot("colour", index, colours), _slot("shape", index, shapes)]

    slots = {
        "object": obj(0),
        "first": obj(0),
        "second": obj(1),
        "cell": [_slot("cell", 0, {p: cell for cell, phrases in enumerate(C.CELL_PHRASES) for p in phrases})],
        "relation": [
            _slot("relation", None, {p: A.RELATIONS.index(r) for r, ps in C.RELATION_WORDS.items() for p in ps})
        ],
    }
    if video:
        slots["verb"] = [_slot("verb", None, dict.fromkeys(C.MOTION_VERBS))]
        slots["motion"] = [
            _slot("motion", None, {p: A.MOTIONS.index(m) for m, ps in C.MOTION_WORDS.items() for p in ps})
        ]
    return slots


def _pattern(template: str, slots: dict[str, list[Slot]]) -> list[Slot]:
    pattern = []
    for word in template.split():  # a literal word is a slot of one phrase that says nothing
        pattern += slots[word.strip("{}")] if word.startswith("{") else [_slot(None, None, {word: None})]
    return pattern


def _partial_forms(pattern: list[Slot]) -> list[tuple[Slot, ...]]:
    """The pattern with each object's size and colour slots kept or left out (the whole pattern first)."""
    optional = [i for i, slot in enumerate(pattern) if slot.kind in ("size", "colour")]
    forms = []
    for dropped in itertools.product((False, True), repeat=len(optional)):
        gone = {i for i, drop in zip(optional, dropped) if drop}
        forms.append(tuple(slot for i, slot in enumerate(pattern) if i not in gone))
    return forms


@functools.lru_cache(maxsize=4)
def labelled_patterns(video: bool = False, partial: bool = False) -> tuple[tuple[Slot, ...], ...]:
    """Every caption template as a sequence of :class:`Slot`: the grammar with the meaning of each phrase.

    ``video=True``: the video captions, each still template followed by ``{verb} {motion}``
    (:data:`mmjax.data.captions.VIDEO_TEMPLATE`). ``partial=True`` also reads partial captions: any object's
    size or colour, and a single object's cell, may be left out (:data:`mmjax.data.captions.LEAVE_OUT`).
    """
    slots, patterns = _slots(video), []
    templates = (*C.ONE_OBJECT_TEMPLATES, *C.TWO_OBJECT_TEMPLATES, *(C.UNPLACED_TEMPLATES if partial else ()))
    for template in templates:
        if video:
            template = C.VIDEO_TEMPLATE.replace("{still}", template)
        pattern = _pattern(template, slots)
        patterns += _partial_forms(pattern) if partial else [tuple(pattern)]
    return tuple(patterns)  # whole captions first


def caption_patterns(video: bool = False) -> list[list[tuple[tuple[str, ...], ...]]]:
    """Every caption template as a sequence of slots, each the tuple of phrases (word tuples) that may fill it."""
    return [[tuple(slot.phrases) for slot in pattern] for pattern in labelled_patterns(video)]


def start_states(patterns) -> frozenset:
    """The NFA before the first word: before slot 0 of every pattern.

    NFA states are (pattern, slot, phrase, offset): ``offset`` words of ``phrase`` in ``slot`` read so far.
    """
    return frozenset((p, -1, (), 0) for p in range(len(patterns)))


def continuations(patterns, nfa_states: frozenset) -> set:
    """The (pattern, slot, phrase, offset) places the next word may fill: it must be ``phrase[offset]``."""
    out = set()
    for p, s, phrase, offset in nfa_states:
        if offset < len(phrase):  # inside a phrase: only its next word
            out.add((p, s, phrase, offset))
        elif s + 1 < len(patterns[p]):  # at a slot boundary: any phrase of the next slot may start
            out.update((p, s + 1, ph, 0) for ph in patterns[p][s + 1])
    return out


def step(patterns, nfa_states: frozenset, word: str) -> frozenset:
    """The NFA states after reading ``word`` (empty where no caption goes on with it)."""
    return frozenset((p, s, ph, k + 1) for p, s, ph, k in continuations(patterns, nfa_states) if ph[k] == word)


def accepting(patterns, nfa_states: frozenset) -> bool:
    """Whether a whole caption has been read: the last slot of some pattern is complete."""
    return any(s == len(patterns[p]) - 1 and k == len(ph) for p, s, ph, k in nfa_states)


@functools.lru_cache(maxsize=1)
def caption_automaton() -> TokenAutomaton:
    """The deterministic automaton of every still Shapes caption, over :meth:`Tokenizer.default`'s ids.

    Built once per process (a few milliseconds) and cached, so ``DecodeOptions(constraint=...)`` is one
    hashable object and the decoder compiles once.
    """
    tokenizer = Tokenizer.default()
    patterns = caption_patterns()
    start = start_states(patterns)
    ids = {start: START}
    order, transitions, finals = [start], {}, set()
    while len(transitions) < len(order):
        current = order[len(transitions)]
        moves = {}
        for word in {ph[k] for p, s, ph, k in continuations(patterns, current)}:
            target = step(patterns, current, word)
            if target:
                if target not in ids:
                    ids[target] = START + len(order)
                    order.append(target)
                moves[tokenizer.index[word]] = ids[target]
        transitions[ids[current]] = moves
        if accepting(patterns, current):
            finals.add(ids[current])
    num_states, vocab = START + len(order), tokenizer.vocab_size
    next_state = np.full((num_states, vocab), DEAD, np.int32)
    next_state[PRE, tokenizer.bos_id] = START
    next_state[DONE, tokenizer.pad_id] = DONE
    for state, moves in transitions.items():
        for token, target in moves.items():
            next_state[state, token] = target
    for state in finals:
        next_state[state, tokenizer.eos_id] = DONE
    allowed = next_state != DEAD
    allowed[DEAD] = True  # never an all-masked row (a beam hypothesis already below every real one may go here)
    return TokenAutomaton(next_state, allowed, PRE)


def accepts(text: str) -> bool:
    """Whether ``text`` is a still caption of the grammar (what the automaton reads to an accepting state)."""
    automaton, tokenizer = caption_automaton(), Tokenizer.default()
    try:
        ids = tokenizer.encode(text, max_len=None)
    except ValueError:
        return False
    state = automaton.start
    for token in ids.tolist():
        state = int(automaton.next_state[state, token])
        if state == DEAD:
            return False
    return state == DONE
