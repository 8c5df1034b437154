"""Prompts for the shipped Shapes models: normalised, checked word by word, parsed, then turned into token ids.

The text-to-image model has only ever read Shapes captions, so a word outside them would be an embedding
it never learned: it would draw a confident picture of nothing in particular. A prompt with such a word
is refused with :class:`UnknownWordsError`, which names the words, suggests close known ones and lists
what the model can draw, e.g. for the source text's own prompt::

    >>> encode_prompt("A cat sitting on the table.")
    UnknownWordsError: the Shapes model does not know the words 'cat', 'sitting', 'on', 'table' ...

Known words are not enough: the model learned whole captions only (every attribute stated, in the
templates' order), so "a red circle" or "red blue green" would come out as garbage. The prompt must parse
with the caption grammar (:func:`mmjax.data.caption_parse.parse_prompt`, the grammar that writes the
captions); otherwise :class:`UnparsedPromptError` says where reading stopped and suggests a caption::

    >>> encode_prompt("a red circle")
    UnparsedPromptError: the Shapes model cannot draw "a red circle": it reads "a", then stops at word 2, ...
    Try "a small red circle in the centre" (size and position not stated: filled with small and centre).

A model trained on partial captions as well (``partial_captions`` > 0, so that it learned what an unstated
attribute may be) reads them: with ``partial=True`` "a red circle" or "a circle at the top" parses
(``parse_prompt(..., partial=True)``), and only what the partial grammar cannot read is refused.

Normalising (:func:`normalise`) forgives what does not change the meaning: case, punctuation and spacing.
Every character that is not a letter, digit or white space becomes a space, so "upper-left" reads as
"upper left" (the captions' own two words) and "circle," as "circle"; then runs of spaces collapse.
:func:`resolve` then rewrites everyday phrasing into the captions' words ("center", "on the left", "next to",
"and", "two green circles"), the seed picking a relation where the phrasing leaves it free.
"""

from __future__ import annotations

import difflib
import re

import numpy as np

from mmjax.data import attributes as A
from mmjax.data import captions as C
from mmjax.data.caption_parse import DEFAULTS, KIND_NAMES, CaptionStopError, complete, describe_stop, parse_prompt
from mmjax.data.tokenizer import MAX_TOKENS, Tokenizer

MAX_WORDS = MAX_TOKENS - 2  # the tokenizer frames a prompt as <bos> words <eos>
EXAMPLES = ("a big red circle at the upper left", "a small blue square above a large yellow triangle")

# Everyday words a user may reach for, and the Shapes word closest in meaning (spelling is difflib's job).
NEAR_MEANINGS = {
    "purple": "magenta",
    "pink": "magenta",
    "violet": "magenta",
    "turquoise": "cyan",
    "teal": "cyan",
    "aqua": "cyan",
    "rectangle": "square",
    "box": "square",
    "plus": "cross",
    "x": "cross",
    "ball": "circle",
    "dot": "circle",
    "disc": "circle",
    "round": "circle",
    "huge": "large",
    "center": "centre",
    "on": "above",
    "beside": "left of",
    "near": "left of",
}


def _words_of(phrases) -> set[str]:
    return {word for phrase in phrases for word in phrase.split() if not word.startswith("{")}


def drawable_words() -> frozenset[str]:
    """Every word of a still Shapes caption: the words the text-to-image model was trained on.

    Motion words ("moving left") belong to video captions only; the image model never read them.
    """
    phrases = [*C.ONE_OBJECT_TEMPLATES, *C.TWO_OBJECT_TEMPLATES, *A.COLOURS, *A.SHAPES]
    for table in (C.SIZE_WORDS, C.RELATION_WORDS):
        phrases += [phrase for options in table.values() for phrase in options]
    phrases += [phrase for options in C.CELL_PHRASES for phrase in options]
    return frozenset(_words_of(phrases))


def vocabulary_summary() -> str:
    """What the model can draw and the words that say it, one line per kind of fact."""
    sizes = ", ".join(f"{size} ({' / '.join(words)})" for size, words in C.SIZE_WORDS.items())
    cells = ", ".join(" / ".join(phrases) for phrases in C.CELL_PHRASES)
    relations = ", ".join(" / ".join(phrases) for phrases in C.RELATION_WORDS.values())
    return "\n".join(
        [
            "It draws one or two shapes on a black 3 x 3 grid, described with these words:",
            f"  sizes: {sizes}",
            f"  colours: {', '.join(A.COLOURS)}",
            f"  shapes: {', '.join(A.SHAPES)}",
            f"  positions of one shape ('in the ...' / 'at the ...'): {cells}",
            f"  relations of two shapes: {relations}",
            "For example: " + "; ".join(f'"{example}"' for example in EXAMPLES),
        ]
    )


class UnknownWordsError(ValueError):
    """A prompt holds words the model was not trained on; ``unknown`` lists them, ``suggestions`` maps each
    to close known words (possibly none)."""

    def __init__(self, prompt: str, unknown: list[str], suggestions: dict[str, list[str]], summary: str = ""):
        """``summary``: what the model can draw (default: :func:`vocabulary_summary`, the still pictures')."""
        self.prompt, self.unknown, self.suggestions = prompt, unknown, suggestions
        names = ", ".join(repr(word) for word in unknown)
        hints = "; ".join(f"{word} -> {' or '.join(close)}" for word, close in suggestions.items() if close)
        motion = [word for word in unknown if word in C.all_words()]
        lines = [f'the Shapes model does not know the words {names} (in "{prompt}").']
        if hints:
            lines.append(f"Close known words: {hints}.")
        if motion:
            lines.append(f"{', '.join(motion)}: words of video captions; the model draws still pictures.")
        super().__init__("\n".join([*lines, summary or vocabulary_summary()]))


SHAPE_OF_A_CAPTION = (
    "a <size> <colour> <shape> in the <position>, or a <size> <colour> <shape> <relation> a <size> <colour> <shape>"
)
WHOLE_CAPTIONS = "It was trained on whole captions only and needs every attribute stated, in order"
PARTIAL_CAPTIONS = "It reads one or two shapes; size, colour and one shape's position may be left out"
SHAPE_OF_A_PARTIAL_CAPTION = (
    "a [size] [colour] <shape> [in the <position>], or a [size] [colour] <shape> <relation> a [size] [colour] "
    "<shape> (relations: above, below, left of, right of, next to, and)"
)


class UnparsedPromptError(ValueError):
    """A prompt of known words that is no caption the model can draw. ``stop`` is the index of the first
    word not understood (the number of words where the prompt ends too early), ``expected`` what could come
    there (see :class:`mmjax.data.caption_parse.CaptionStopError`), ``suggestion`` a prompt that works."""

    def __init__(
        self,
        prompt: str,
        error: CaptionStopError,
        suggestion: str,
        why: str,
        shape: str = SHAPE_OF_A_CAPTION,
        needs: str = WHOLE_CAPTIONS,
    ):
        """``error``: where the grammar stopped; ``why``: how ``suggestion`` was found; ``shape``: the
        captions the model reads, in words; ``needs``: what the model needs of a prompt, in words."""
        self.prompt, self.stop, self.expected, self.suggestion = prompt, error.stop, error.expected, suggestion
        stopped = describe_stop(error.words, error.stop, error.expected)
        super().__init__(
            "\n".join(
                [
                    f'the Shapes model cannot draw "{prompt}": {stopped}.',
                    f"{needs}: {shape}.",
                    f'Try "{suggestion}" ({why}).',
                ]
            )
        )


def _suggestion(prompt: str) -> tuple[str, str]:
    """A caption close to ``prompt`` and how it was found: the prompt's own attributes completed with the
    defaults where it states some, else the example with as many shapes."""
    completed = complete(prompt)
    if completed is None:
        two = any(f" {p} " in f" {prompt} " for phrases in C.RELATION_WORDS.values() for p in phrases)
        return EXAMPLES[1 if two else 0], "an example the model draws"
    caption, filled = completed
    if not filled:
        return caption, "the same attributes in the caption's order"
    return caption, f"{_and(KIND_NAMES[k] for k in filled)} not stated: filled with {_and(DEFAULTS[k] for k in filled)}"


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def parse_or_explain(prompt: str, video: bool = False, motion: str = "", shape: str = SHAPE_OF_A_CAPTION):
    """The :class:`~mmjax.data.caption_parse.ParsedCaption` of a normalised prompt, or UnparsedPromptError.

    ``video``: ``prompt`` is a video prompt whose motion words ``motion`` (already checked) end it; the
    suggestion is the still part's, followed by ``motion``.
    """
    try:
        return parse_prompt(prompt, video=video)
    except CaptionStopError as error:
        still = prompt[: len(prompt) - len(motion)].strip() if motion else prompt
        suggestion, why = _suggestion(still)
        raise UnparsedPromptError(prompt, error, f"{suggestion} {motion}".strip(), why, shape) from None


def normalise(text: str) -> str:
    """Lower-case ``text``, turn every character but letters, digits and white space into a space, and
    collapse runs of white space: ``"  A BIG red Circle, at the upper-left! "`` -> ``"a big red circle at
    the upper left"``."""
    if not isinstance(text, str):
        hint = " (decode bytes first: text.decode())" if isinstance(text, bytes) else ""
        raise TypeError(f"a prompt must be a string, got {type(text).__name__}{hint}")
    kept = "".join(char if char.isalnum() or char.isspace() else " " for char in text.lower())
    return " ".join(kept.split())


PLURALS = {f"{shape}es" if shape.endswith("s") else f"{shape}s": shape for shape in A.SHAPES}  # crosses, circles
TWO = re.compile(rf"\b(?:there are )?two ((?:\w+ )*?)({'|'.join(PLURALS)})\b")
PLAIN_RELATIONS = tuple(phrases[0] for phrases in C.RELATION_WORDS.values())  # above, ..., to the right of
NEXT_TO = ("left of", "right of")
CELL_WORDS = sorted({phrase.split()[0] for phrases in C.CELL_PHRASES for phrase in phrases})
ON_THE = re.compile(rf" on the (?=(?:{'|'.join(CELL_WORDS)}) )")  # "on the left", not "on the table"


def resolve(prompt: str, rng: np.random.Generator | None = None, partial: bool = False) -> str:
    """Everyday phrasing the captions say otherwise, rewritten into the grammar's words; where the phrasing
    leaves a relation free, ``rng`` picks one (the caller seeds it with the picture's seed):

        "center" -> "centre";  "on the left" -> "at the left";  "there are" -> "there is"
        "red circle"        -> "a red circle"   (``partial``: for a model that reads partial captions)
        "X next to Y"       -> "X left of Y" or "X right of Y"
        "X and Y"           -> "X <relation> Y", any of above, below, left of, right of
        "two green circles" -> "a green circle <relation> a green circle"
    """
    rng = np.random.default_rng(0) if rng is None else rng
    text = ON_THE.sub(" at the ", f" {prompt} ".replace(" center ", " centre "))
    match = TWO.search(text)
    if match:  # the same object twice
        obj = f"{match.group(1)}{PLURALS[match.group(2)]}"
        text = text.replace(match.group(0), f"a {obj} {PLAIN_RELATIONS[rng.integers(4)]} a {obj}", 1)
    text = text.replace(" there are ", " there is ")
    if partial and text.split() and text.split()[0] not in ("a", "there"):  # "red circle": add the article
        text = f" a{text}"
    if " next to " in text:
        text = text.replace(" next to ", f" {NEXT_TO[rng.integers(2)]} ", 1)
    if " and " in text:
        text = text.replace(" and ", f" {PLAIN_RELATIONS[rng.integers(4)]} ", 1)
    return " ".join(text.split())


def suggest(word: str, known=None) -> list[str]:
    """Up to three known words close to ``word``: its everyday meaning, then close spellings (difflib)."""
    known = sorted(drawable_words() if known is None else known)
    close = [NEAR_MEANINGS[word]] if word in NEAR_MEANINGS else []
    return close + [match for match in difflib.get_close_matches(word, known, n=3) if match not in close][:3]


def check_prompt(text: str, partial: bool = False, rng: np.random.Generator | None = None) -> str:
    """The normalised prompt (everyday phrasing :func:`resolve`d, its free relations picked by ``rng``), or a
    clear error: not a string, empty, unknown words, too long, not a caption. ``partial``: the model reads
    partial captions ("a red circle"), so the prompt may leave size, colour and a single object's cell out."""
    said = normalise(text)
    prompt = resolve(said, rng, partial)
    if not prompt:
        raise ValueError(f"the prompt {text!r} has no words; try e.g. {EXAMPLES[0]!r}")
    known = drawable_words()
    unknown = list(dict.fromkeys(word for word in prompt.split() if word not in known))  # in order, once each
    if unknown:  # quoted as the user said it
        raise UnknownWordsError(said, unknown, {word: suggest(word, known) for word in unknown})
    num_words = len(prompt.split())
    if num_words > MAX_WORDS:
        raise ValueError(
            f"the prompt has {num_words} words; the model reads at most {MAX_WORDS}: describe one or two shapes, "
            f'e.g. "{EXAMPLES[1]}"'
        )
    if not partial:
        parse_or_explain(prompt)  # known words in no caption's order would be drawn as garbage
        return prompt
    try:
        parse_prompt(prompt, partial=True)
    except CaptionStopError as error:
        suggestion, why = _suggestion(prompt)
        raise UnparsedPromptError(
            prompt, error, suggestion, why, SHAPE_OF_A_PARTIAL_CAPTION, PARTIAL_CAPTIONS
        ) from None
    return prompt


def encode_prompt(text: str, partial: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
    """Token ids int32 ``[MAX_TOKENS]`` of a checked, normalised prompt (see :func:`check_prompt`)."""
    return Tokenizer.default().encode(check_prompt(text, partial, rng))


def encode_prompts(texts, partial: bool = False, seed: int = 0) -> np.ndarray:
    """Token ids int32 ``[N, MAX_TOKENS]`` of a list of prompts; an error names the prompt it is about.

    Where prompt i leaves a relation free ("and", "next to", "two ..."), ``(seed, i)`` picks it."""
    if isinstance(texts, str) or not isinstance(texts, (list, tuple)):
        raise TypeError(f"prompts must be a list of strings, got {type(texts).__name__}; for one use encode_prompt")
    if not texts:
        raise ValueError("no prompts given: pass at least one")
    rows = []
    for index, text in enumerate(texts):
        try:
            rows.append(encode_prompt(text, partial, np.random.default_rng([seed, index])))
        except (UnknownWordsError, UnparsedPromptError):
            raise  # its message already quotes the prompt
        except (ValueError, TypeError) as error:
            raise type(error)(f"prompt {index}: {error}") from None
    return np.stack(rows)  # [N, MAX_TOKENS]
