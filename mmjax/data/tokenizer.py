"""A word-level tokenizer with a fixed, saved vocabulary.

Text becomes integers in three steps: lower-case and split on white space, look each word up in the
vocabulary, then frame the sequence as ``<bos> w_1 ... w_n <eos>`` and pad it with ``<pad>`` to a fixed
length (fixed shapes are what ``jax.jit`` wants). Ids 0..3 are the special tokens.

Unknown words raise a ``ValueError`` by default (a typo in a prompt should not silently change its
meaning); ``unknown="unk"`` maps them to ``<unk>`` instead, which is what a model reading free text wants.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

import numpy as np

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
MAX_TOKENS = 24  # longest Shapes caption (19 words) + <bos> + <eos>, rounded up
VOCAB_FILE = "vocab.json"


def build_vocabulary() -> list[str]:
    """Special tokens, then every caption word in sorted order (the content of ``vocab.json``)."""
    from mmjax.data.captions import all_words

    return [*SPECIALS, *sorted(all_words())]


class Tokenizer:
    def __init__(self, vocabulary: Sequence[str]):
        vocabulary = list(vocabulary)
        if tuple(vocabulary[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"vocabulary must start with the special tokens {SPECIALS}")
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError("vocabulary has duplicate words")
        self.vocabulary = vocabulary
        self.index = {word: i for i, word in enumerate(vocabulary)}
        self.pad_id, self.bos_id, self.eos_id, self.unk_id = range(4)

    @classmethod
    def default(cls) -> Tokenizer:
        """The tokenizer of the Shapes captions, from the vocabulary file shipped with mmjax."""
        return _default_tokenizer()

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        return cls(json.loads(Path(path).read_text()))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.vocabulary, indent=0) + "\n")

    @property
    def vocab_size(self) -> int:
        return len(self.vocabulary)

    def encode(self, text: str, max_len: int | None = MAX_TOKENS, unknown: str = "error") -> np.ndarray:
        """``text`` -> int32 ids ``[<bos>, w_1, ..., w_n, <eos>, <pad>, ...]`` of length ``max_len``.

        With ``max_len=None`` the result is not padded. ``unknown`` is ``"error"`` or ``"unk"``.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        if unknown not in ("error", "unk"):
            raise ValueError(f"unknown must be 'error' or 'unk', got {unknown!r}")
        ids = [self.bos_id]
        for word in text.lower().split():
            if word in self.index and word not in SPECIALS:
                ids.append(self.index[word])
            elif unknown == "unk":
                ids.append(self.unk_id)
            else:
                raise ValueError(
                    f"word {word!r} is not in the vocabulary of {self.vocab_size} words "
                    "(pass unknown='unk' to map unknown words to <unk>)"
                )
        ids.append(self.eos_id)
        if max_len is not None:
            if len(ids) > max_len:
                raise ValueError(f"text has {len(ids)} tokens with <bos>/<eos>, more than max_len={max_len}")
            ids += [self.pad_id] * (max_len - len(ids))
        return np.asarray(ids, np.int32)

    def encode_batch(self, texts: Iterable[str], max_len: int = MAX_TOKENS, unknown: str = "error") -> np.ndarray:
        return np.stack([self.encode(t, max_len, unknown) for t in texts])

    def decode(self, ids: Iterable[int], strip_special: bool = True) -> str:
        """ids -> text. Stops at the first ``<eos>``; with ``strip_special`` drops ``<bos>``/``<pad>``."""
        words = []
        for token in np.asarray(ids).reshape(-1).tolist():
            if not 0 <= token < self.vocab_size:
                raise ValueError(f"token id {token} is outside the vocabulary [0, {self.vocab_size})")
            if token == self.eos_id and strip_special:
                break
            if strip_special and token in (self.pad_id, self.bos_id):
                continue
            words.append(self.vocabulary[token])
        return " ".join(words)


@functools.lru_cache(maxsize=1)
def _default_tokenizer() -> Tokenizer:
    # Read once per process: the tokenizer is immutable in use and the file never changes at run time.
    return Tokenizer(json.loads(resources.files("mmjax.data").joinpath(VOCAB_FILE).read_text()))
