"""Scenes: the single source of truth from which every modality is rendered.

Example ``i`` of split ``s`` is a pure function of ``(seed, s, i)``: its random generator is
``np.random.default_rng([seed, split_id(s), i])``, so any example can be regenerated on demand and two
machines agree on it without sharing files.

Layout. Two-object scenes put their objects two cells apart on one axis (``above`` means the same
column, rows 0 and 2), so they never overlap and their relation is unambiguous in the picture.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mmjax.data import attributes as A


@dataclasses.dataclass(frozen=True)
class ShapeObject:
    shape: int  # index into SHAPES
    colour: int  # index into COLOURS
    size: int  # index into SIZES
    row: int  # grid row 0..2 (top to bottom) at frame 0
    col: int  # grid column 0..2 (left to right) at frame 0
    jitter: tuple[float, float] = (0.0, 0.0)  # sub-cell offset (d_row, d_col) in pixels at 32x32

    @property
    def cell(self) -> int:
        return A.GRID * self.row + self.col


@dataclasses.dataclass(frozen=True)
class Scene:
    objects: tuple[ShapeObject, ...]
    relation: int  # index into RELATIONS: objects[0] <relation> objects[1]; NO_RELATION for one object
    motion: int  # index into MOTIONS: the direction the whole scene moves in its video

    def canonical(self) -> Scene:
        """The same picture with objects ordered top-to-bottom, left-to-right.

        An image cannot tell "A above B" from "B below A"; the canonical form (relation only ``above``
        or ``left of``) is what a model that reads images or sounds can be asked to recover.
        """
        if len(self.objects) < 2:
            return self
        first, second = self.objects
        if (second.row, second.col) < (first.row, first.col):
            first, second = second, first
        relation = A.RELATIONS.index("above" if first.col == second.col else "left of")
        return Scene((first, second), relation, self.motion)

    def labels(self) -> dict[str, np.ndarray]:
        """Integer labels of fixed shape (objects padded with ABSENT) for batching."""
        padded = list(self.objects) + [None] * (A.MAX_OBJECTS - len(self.objects))

        def per_object(field: str) -> np.ndarray:
            return np.array([A.ABSENT if o is None else getattr(o, field) for o in padded], np.int32)

        return {
            "num_objects": np.int32(len(self.objects)),
            "shape": per_object("shape"),
            "colour": per_object("colour"),
            "size": per_object("size"),
            "row": per_object("row"),
            "col": per_object("col"),
            "relation": np.int32(self.relation),
            "motion": np.int32(self.motion),
        }


def _allowed_motions(cells: list[tuple[int, int]]) -> list[int]:
    """Directions that keep every object inside the grid after moving one cell."""
    allowed = []
    for index, name in enumerate(A.MOTIONS):
        d_row, d_col = A.MOTION_STEP[name]
        if all(0 <= r + d_row < A.GRID and 0 <= c + d_col < A.GRID for r, c in cells):
            allowed.append(index)
    return allowed


def _object_cells(relation: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Grid cells of objects 0 and 1 such that ``object0 <relation> object1`` holds."""
    across = int(rng.integers(A.GRID))  # the shared column (above/below) or row (left/right)
    name = A.RELATIONS[relation]
    if name == "above":
        return [(0, across), (2, across)]
    if name == "below":
        return [(2, across), (0, across)]
    if name == "left of":
        return [(across, 0), (across, 2)]
    return [(across, 2), (across, 0)]  # right of


def _colour_shape_pairs(split: str) -> list[tuple[int, int]]:
    pairs = [(c, s) for c in range(len(A.COLOURS)) for s in range(len(A.SHAPES))]
    if split == "test_heldout":
        return [p for p in pairs if p in A.HELDOUT_PAIR_IDS]
    return [p for p in pairs if p not in A.HELDOUT_PAIR_IDS]


_PAIRS = {split: _colour_shape_pairs(split) for split in A.SPLITS}


def sample_scene(seed: int, split: str, index: int, max_jitter: float = 1.5) -> Scene:
    """Draw example ``index`` of ``split``: a pure function of ``(seed, split, index)``."""
    split_number = A.split_id(split)
    for name, value in (("seed", seed), ("index", index)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    rng = np.random.default_rng([int(seed), split_number, int(index)])
    num_objects = int(rng.integers(1, A.MAX_OBJECTS + 1))
    if num_objects == 1:
        relation = A.NO_RELATION
        cells = [(int(rng.integers(A.GRID)), int(rng.integers(A.GRID)))]
    else:
        relation = int(rng.integers(len(A.RELATIONS)))
        cells = _object_cells(relation, rng)
    pairs = _PAIRS[split]
    objects = []
    for row, col in cells:
        colour, shape = pairs[int(rng.integers(len(pairs)))]
        jitter = tuple(float(j) for j in rng.uniform(-max_jitter, max_jitter, size=2))
        objects.append(ShapeObject(shape, colour, int(rng.integers(len(A.SIZES))), row, col, jitter))
    motions = _allowed_motions(cells)
    motion = motions[int(rng.integers(len(motions)))]
    return Scene(tuple(objects), relation, motion)


def scene_from_labels(labels: dict[str, np.ndarray]) -> Scene:
    """Inverse of ``Scene.labels`` (without jitter): build a scene from integer labels, e.g. a prompt's."""
    count = int(labels["num_objects"])
    objects = tuple(
        ShapeObject(*(int(labels[k][i]) for k in ("shape", "colour", "size", "row", "col"))) for i in range(count)
    )
    return Scene(objects, int(labels["relation"]), int(labels["motion"]))
