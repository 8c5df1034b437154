"""The caption grammar as a finite automaton over the tokenizer's vocabulary, for constrained decoding.

Every still caption :func:`mmjax.data.captions.describe` can say is a path through the templates of
:mod:`mmjax.data.captions` with each ``{slot}`` filled by one of its phrases. This module turns those
templates and phrase tables into a deterministic automaton over token ids:

    next_state [S, V]   the state after feeding token v in state s (DEAD where the grammar forbids v)
    allowed    [S, V]   whether the grammar allows token v next in state s

State ``PRE`` (before ``<bos>``) goes to ``START`` on ``<bos>``; a state where a whole caption has been read
allows ``<eos>``, which leads to ``DONE`` (only ``<pad>`` after it). The decoder masks the logits of the
tokens ``allowed`` forbids (:func:`mmjax.nn.decoding.constrain`), so every decoded caption parses.
"""

from __future__ import annotations

import functools

import numpy as np

from mmjax.data import attributes as A
from mmjax.data import captions as C
from mmjax.data.tokenizer import Tokenizer
from mmjax.nn.decoding import TokenAutomaton

PRE, DEAD, DONE, START = 0, 1, 2, 3  # fixed states; the grammar's own states follow START


def _phrases(table) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(p.split()) for p in table)


def _slots() -> dict[str, list[tuple[tuple[str, ...], ...]]]:
    """Each template placeholder as a list of slots; a slot is the set of phrases (word tuples) that may fill it."""
    sizes = _phrases(w for words in C.SIZE_WORDS.values() for w in words)
    obj = [sizes, _phrases(A.COLOURS), _phrases(A.SHAPES)]
    return {
        "object": obj,
        "first": obj,
        "second": obj,
        "cell": [_phrases(p for phrases in C.CELL_PHRASES for p in phrases)],
        "relation": [_phrases(p for phrases in C.RELATION_WORDS.values() for p in phrases)],
    }


def caption_patterns() -> list[list[tuple[tuple[str, ...], ...]]]:
    """Every still-caption template as a sequence of slots (a literal word is a slot of one phrase)."""
    slots, patterns = _slots(), []
    for template in (*C.ONE_OBJECT_TEMPLATES, *C.TWO_OBJECT_TEMPLATES):
        pattern = []
        for word in template.split():
            if word.startswith("{"):
                pattern += slots[word.strip("{}")]
            else:
                pattern.append(((word,),))
        patterns.append(pattern)
    return patterns


def _step(patterns, nfa_states: frozenset, word: str) -> frozenset:
    """NFA states are (pattern, slot, phrase, offset): ``offset`` words of ``phrase`` in ``slot`` read so far."""
    out = set()
    for p, s, phrase, offset in nfa_states:
        if offset == len(phrase):  # at a slot boundary: any phrase of the next slot may start
            candidates = [(p, s + 1, ph, 0) for ph in patterns[p][s + 1]] if s + 1 < len(patterns[p]) else []
        else:
            candidates = [(p, s, phrase, offset)]
        for q, t, ph, k in candidates:
            if ph[k] == word:
                out.add((q, t, ph, k + 1))
    return frozenset(out)


def _accepting(patterns, nfa_states: frozenset) -> bool:
    return any(s == len(patterns[p]) - 1 and k == len(ph) for p, s, ph, k in nfa_states)


@functools.lru_cache(maxsize=1)
def caption_automaton() -> TokenAutomaton:
    """The deterministic automaton of every still Shapes caption, over :meth:`Tokenizer.default`'s ids.

    Built once per process (a few milliseconds) and cached, so ``DecodeOptions(constraint=...)`` is one
    hashable object and the decoder compiles once.
    """
    tokenizer = Tokenizer.default()
    patterns = caption_patterns()
    start = frozenset((p, -1, (), 0) for p in range(len(patterns)))  # before slot 0 of every pattern
    ids = {start: START}
    order, transitions, accepting = [start], {}, set()
    while len(transitions) < len(order):
        current = order[len(transitions)]
        moves = {}
        words = {ph[k] if k < len(ph) else None for p, s, ph, k in current}
        for word in {w for w in words if w is not None} | {
            ph[0] for p, s, phr, k in current if k == len(phr) and s + 1 < len(patterns[p]) for ph in patterns[p][s + 1]
        }:
            target = _step(patterns, current, word)
            if target:
                if target not in ids:
                    ids[target] = START + len(order)
                    order.append(target)
                moves[tokenizer.index[word]] = ids[target]
        transitions[ids[current]] = moves
        if _accepting(patterns, current):
            accepting.add(ids[current])
    num_states, vocab = START + len(order), tokenizer.vocab_size
    next_state = np.full((num_states, vocab), DEAD, np.int32)
    next_state[PRE, tokenizer.bos_id] = START
    next_state[DONE, tokenizer.pad_id] = DONE
    for state, moves in transitions.items():
        for token, target in moves.items():
            next_state[state, token] = target
    for state in accepting:
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
