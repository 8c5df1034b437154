"""Video prompts: a still Shapes caption followed by how the scene moves, checked before any model loads.

"a big red circle in the centre moving right": the still words are the image model's
(:func:`mmjax.pretrained.prompts.drawable_words`), then a motion verb ("moving", "sliding", "drifting") and a
direction ("left", "to the right", "upwards", ...). A word outside them raises the image model's
:class:`~mmjax.pretrained.prompts.UnknownWordsError`, listing what the video model can draw. Known words
must also make a video caption: the still part is read by the same caption grammar as an image prompt
(:func:`mmjax.pretrained.prompts.parse_or_explain`), so "a red circle moving left" raises
:class:`~mmjax.pretrained.prompts.UnparsedPromptError` and suggests "a small red circle in the centre moving left".
"""

from __future__ import annotations

from mmjax.data import captions as C
from mmjax.pretrained.prompts import (
    MAX_WORDS,
    SHAPE_OF_A_CAPTION,
    UnknownWordsError,
    drawable_words,
    normalise,
    parse_or_explain,
    suggest,
)
from mmjax.pretrained.prompts import vocabulary_summary as still_summary

DEFAULT_VIDEO_PROMPT = "a big red circle in the centre moving right"
MOTION_PHRASES = tuple(phrase for phrases in C.MOTION_WORDS.values() for phrase in phrases)


def animated_words() -> frozenset[str]:
    """The words of video captions: every still caption's word, the motion verbs and the directions."""
    return drawable_words() | {word for phrase in (*C.MOTION_VERBS, *MOTION_PHRASES) for word in phrase.split()}


def video_summary() -> str:
    """What the video model can draw and the words that say it: the still words, then the motion."""
    verbs, directions = " / ".join(C.MOTION_VERBS), ", ".join(" / ".join(p) for p in C.MOTION_WORDS.values())
    still = [line for line in still_summary().splitlines() if not line.startswith("For example")]
    return "\n".join([*still, f"  then how it moves: {verbs} + {directions}", f'For example: "{DEFAULT_VIDEO_PROMPT}"'])


def check_video_prompt(text: str) -> str:
    """The normalised prompt, or a clear error: not a string, empty, unknown words, too long, no motion, not
    a caption."""
    prompt = normalise(text)
    if not prompt:
        raise ValueError(f"the prompt {text!r} has no words; try e.g. {DEFAULT_VIDEO_PROMPT!r}")
    known = animated_words()
    unknown = list(dict.fromkeys(word for word in prompt.split() if word not in known))  # in order, once each
    if unknown:
        suggestions = {word: suggest(word, known) for word in unknown}
        raise UnknownWordsError(prompt, unknown, suggestions, summary=video_summary())
    words = prompt.split()
    if len(words) > MAX_WORDS:
        raise ValueError(f"the prompt has {len(words)} words; the model reads at most {MAX_WORDS}")
    verbs = [i for i, word in enumerate(words) if word in C.MOTION_VERBS]
    if not verbs or " ".join(words[verbs[-1] + 1 :]) not in MOTION_PHRASES:
        raise ValueError(
            f'a video prompt ends with how the scene moves, e.g. "{DEFAULT_VIDEO_PROMPT}"; got "{prompt}" '
            f"(verbs: {', '.join(C.MOTION_VERBS)}; directions: {', '.join(MOTION_PHRASES)})"
        )
    motion = " ".join(words[verbs[-1] :])
    parse_or_explain(prompt, video=True, motion=motion, shape=f"{SHAPE_OF_A_CAPTION}, then <verb> <direction>")
    return prompt
