"""The vocabulary of the Shapes world: every attribute a scene can have, as integer labels.

A scene holds one or two objects. Each object has a shape, a colour, a size and a cell on a 3x3 grid.
Two-object scenes also have a spatial relation (object 0 *relation* object 1), and every scene has one
motion direction used by its video. All labels are small integers indexing the tuples below, so a
model's prediction can be compared with the truth exactly.
"""

from __future__ import annotations

SHAPES = ("circle", "square", "triangle", "cross")

# Colours chosen far apart in RGB so that they stay distinct after anti-aliasing and resizing.
COLOURS = ("red", "green", "blue", "yellow", "magenta", "cyan")
COLOUR_RGB = (
    (230, 40, 40),  # red
    (40, 200, 60),  # green
    (50, 90, 240),  # blue
    (240, 220, 40),  # yellow
    (220, 60, 220),  # magenta
    (50, 215, 225),  # cyan
)

SIZES = ("small", "large")

# Grid cells are numbered row-major: cell = 3 * row + col, row 0 at the top, col 0 at the left.
GRID = 3
ROWS = ("top", "middle", "bottom")
COLS = ("left", "centre", "right")

# Relation of object 0 to object 1 in a two-object scene ("a red circle ABOVE a blue square").
RELATIONS = ("above", "below", "left of", "right of")
NO_RELATION = -1  # single-object scenes

# Direction in which the whole scene moves in its video.
MOTIONS = ("left", "right", "up", "down")
MOTION_STEP = {  # (d_row, d_col) in grid cells over the whole clip
    "left": (0, -1),
    "right": (0, 1),
    "up": (-1, 0),
    "down": (1, 0),
}

# Colour x shape pairs that never occur in the ``train`` split (nor in ``test``). They are the whole
# content of ``test_heldout``, which therefore measures compositional generalisation: every colour and
# every shape is seen in training, only these combinations are new.
HELDOUT_PAIRS = (
    ("red", "triangle"),
    ("green", "cross"),
    ("blue", "circle"),
    ("yellow", "square"),
)
HELDOUT_PAIR_IDS = frozenset((COLOURS.index(c), SHAPES.index(s)) for c, s in HELDOUT_PAIRS)

SPLITS = ("train", "test", "test_heldout")

MAX_OBJECTS = 2
ABSENT = -1  # label value of the missing second object in a one-object scene


def index_of(name: str, options: tuple[str, ...], what: str) -> int:
    """Return ``options.index(name)`` or raise a ValueError that lists what is accepted."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a string, got {type(name).__name__}")
    try:
        return options.index(name)
    except ValueError:
        raise ValueError(f"unknown {what} {name!r}; expected one of {', '.join(options)}") from None


def split_id(split: str) -> int:
    """The integer that identifies a split in the random seed of its examples."""
    return index_of(split, SPLITS, "split")
