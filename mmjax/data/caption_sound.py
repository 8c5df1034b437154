"""``mmjax data sound CAPTION --out scene.wav``: the Shapes sound of a caption, e.g. for ``mmjax demo --audio``.

The caption is read into a scene (:func:`mmjax.data.captions.parse_caption`), the scene is sonified
(:func:`mmjax.data.audio.sonify`: one note per shape; cell -> onset, colour -> pitch, shape -> timbre,
size -> loudness) and written as a 16-bit WAV file; then the file is read back and decoded with the exact
decoder, so what is printed as heard is what the file itself says, after 16-bit rounding.

A caption of two shapes names their relation but not the column (``above``/``below``) or row (``left of``
/``right of``) they share, and a sound needs cells: they share the middle one, as in
"a small red circle above a large blue square" -> top centre and bottom centre. A sound holds no motion,
so a video caption ("... moving left") is refused rather than silently stilled.
"""

from __future__ import annotations

from pathlib import Path

from mmjax.data import attributes as A
from mmjax.data import captions as C
from mmjax.data.scene import Scene, ShapeObject

MIDDLE = 1  # the shared column or row of two shapes: a caption does not say which
EXAMPLES = ("a big red circle at the upper left", "a small blue square above a large yellow triangle")
FORMS = (
    "a caption reads 'a <size> <colour> <shape> at the <position>' or "
    "'a <size> <colour> <shape> <relation> a <size> <colour> <shape>', e.g. " + " or ".join(map(repr, EXAMPLES))
)


def _checked_words(text: str) -> str:
    """The normalised caption, or a ValueError naming the words no Shapes caption uses."""
    from mmjax.pretrained.prompts import normalise, suggest  # case, punctuation; close spellings

    caption = normalise(text)
    if not caption:
        raise ValueError(f"the caption {text!r} has no words; {FORMS}")
    known = C.all_words()
    unknown = list(dict.fromkeys(word for word in caption.split() if word not in known))
    if unknown:
        hints = [
            f"{word!r} (did you mean {' or '.join(map(repr, close))}?)" if close else repr(word)
            for word, close in ((word, suggest(word, known)) for word in unknown)
        ]
        raise ValueError(f"not understood in {text!r}: the word{'s' * (len(unknown) > 1)} {', '.join(hints)}; {FORMS}")
    return caption


def scene_of_caption(text: str) -> Scene:
    """The scene a still Shapes caption describes (canonical order; two shapes share the middle column or
    row). A ValueError says what was not understood: a word, the structure, or a motion."""
    caption = _checked_words(text)
    words = caption.split()
    verbs = [word for word in words if word in C.MOTION_VERBS]
    if verbs:
        raise ValueError(
            f"{text!r} describes motion ({verbs[0]} ...), which a sound does not hold; give the still caption"
        )
    shape_only = words[2:] if words[:2] == ["there", "is"] else words
    if len(shape_only) == 4:  # "a big red circle": a shape, but not where
        raise ValueError(f"not understood: {text!r} says no position; {FORMS}")
    try:
        parsed = C.parse_caption(caption)
    except C.CaptionParseError as error:
        raise ValueError(f"not understood: {error}; {FORMS}") from None
    objects = parsed["objects"]
    if parsed["num_objects"] == 1:
        obj = objects[0]
        return Scene((ShapeObject(obj["shape"], obj["colour"], obj["size"], obj["row"], obj["col"]),), A.NO_RELATION, 0)
    relation = A.RELATIONS[parsed["relation"]]
    # object 0 <relation> object 1, two cells apart on the shared middle line (as the data sets lay them out)
    near, far = (0, 2) if relation in ("above", "left of") else (2, 0)
    if relation in ("above", "below"):
        cells = [(near, MIDDLE), (far, MIDDLE)]
    else:
        cells = [(MIDDLE, near), (MIDDLE, far)]
    pair = tuple(ShapeObject(o["shape"], o["colour"], o["size"], row, col) for o, (row, col) in zip(objects, cells))
    return Scene(pair, parsed["relation"], 0).canonical()


def scene_words(scene: Scene) -> str:
    """What a scene states, in the words of ``mmjax demo --audio``'s "heard" line: "large red circle, top left"."""
    return " + ".join(
        f"{A.SIZES[o.size]} {A.COLOURS[o.colour]} {A.SHAPES[o.shape]}, {A.ROWS[o.row]} {A.COLS[o.col]}"
        for o in scene.objects
    )


def same_scene(a: Scene, b: Scene) -> bool:
    """Whether two scenes state the same shapes in the same cells (motion and jitter are not sonified)."""
    key = lambda scene: [(o.shape, o.colour, o.size, o.row, o.col) for o in scene.canonical().objects]  # noqa: E731
    return key(a) == key(b)


def write_caption_sound(text: str, out: str | Path = "scene.wav") -> dict:
    """Write the sound of caption ``text`` to ``out`` and decode the file back: ``{"path", "scene", "heard",
    "samples", "rate"}`` where ``heard`` is the scene the exact decoder reads in the written file."""
    from mmjax.audio.wav import read_wav, write_wav
    from mmjax.data.audio import SAMPLE_RATE, decode_audio, sonify

    scene = scene_of_caption(text)  # a bad caption fails before anything is written
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clip = sonify(scene)  # float32 [4608]
    write_wav(out, clip, SAMPLE_RATE)
    heard = decode_audio(read_wav(out, SAMPLE_RATE))
    return {"path": out, "scene": scene, "heard": heard, "samples": len(clip), "rate": SAMPLE_RATE}


def run_sound(text: str, out: str | Path = "scene.wav", echo=print) -> int:
    """``mmjax data sound``: write the file, print what it holds and what the decoder hears; 1 if they differ."""
    result = write_caption_sound(text, out)
    scene, heard = result["scene"], result["heard"]
    seconds, notes = result["samples"] / result["rate"], "1 note" if len(scene.objects) == 1 else "2 notes"
    echo(f"wrote   {result['path']} ({seconds:.3f} s at {result['rate']} Hz, mono 16-bit; {notes})")
    echo(f"scene:  {scene_words(scene)}")
    agree = same_scene(scene, heard)
    verdict = "the caption's scene" if agree else "NOT the caption's scene"
    echo(f"heard:  {scene_words(heard)} (the exact decoder's reading of the file: {verdict})")
    echo(f"next:   mmjax demo --audio {result['path']}")
    return 0 if agree else 1
