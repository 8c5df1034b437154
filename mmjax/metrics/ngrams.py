"""Tokens and n-gram counts shared by the captioning metrics (BLEU, CIDEr-D, repetition)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def tokens(text) -> list[str]:
    """Whitespace tokens of a caption (captions in mmjax are lower-case words without punctuation)."""
    if not isinstance(text, str):
        raise TypeError(f"a caption must be a str, got {type(text).__name__}")
    return text.split()


def ngram_counts(words: Sequence[str], n: int) -> Counter:
    """Counts of the contiguous n-grams (as tuples) of a token list."""
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def check_corpus(candidates, references) -> tuple[list[list[str]], list[list[list[str]]]]:
    """Tokenise ``candidates`` (list of str) and ``references`` (list of non-empty lists of str)."""
    if isinstance(candidates, str) or not isinstance(candidates, Sequence):
        raise TypeError("candidates must be a list of caption strings (one per example)")
    if isinstance(references, str) or not isinstance(references, Sequence):
        raise TypeError("references must be a list with one list of reference strings per example")
    if len(candidates) != len(references):
        raise ValueError(f"got {len(candidates)} candidates but {len(references)} reference lists")
    if len(candidates) == 0:
        raise ValueError("need at least one candidate caption")
    refs = []
    for i, group in enumerate(references):
        if isinstance(group, str) or not isinstance(group, Sequence) or len(group) == 0:
            raise ValueError(f"references[{i}] must be a non-empty list of strings, got {group!r}")
        refs.append([tokens(r) for r in group])
    return [tokens(c) for c in candidates], refs
