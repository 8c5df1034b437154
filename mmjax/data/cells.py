"""A scene seen on its 3x3 grid: what each cell holds, and where the objects lie (the scene's layout).

Per cell (what a picture shows, with no object order):
    cells[name][b, c] = the value of attribute ``name`` of the object in cell c, or ``count`` if c is empty

Per object, in the picture's order (top to bottom, then left to right: :meth:`mmjax.data.scene.Scene.canonical`):
    a layout says which cells the objects fill, one of LAYOUTS (15): a single object in any of the 9 cells, or
    two objects two cells apart, one above the other in a column (3) or side by side in a row (3).
A caption says the objects in either order ("a blue square below a red circle"); a picture cannot, so
whatever is read *from* a picture, or drawn *into* one, is in the picture's order.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from mmjax.data import attributes as A

NUM_CELLS = A.GRID * A.GRID
# The attributes named per cell; each gets one more class, "empty", for a cell with no object.
CELL_ATTRIBUTES = (("shape", len(A.SHAPES)), ("colour", len(A.COLOURS)), ("size", len(A.SIZES)))

# (cell of the first object, cell of the second or ABSENT), in the picture's order
LAYOUTS = (
    *((cell, A.ABSENT) for cell in range(NUM_CELLS)),  # one object
    *((col, 2 * A.GRID + col) for col in range(A.GRID)),  # one above the other, rows 0 and 2 of a column
    *((A.GRID * row, A.GRID * row + 2) for row in range(A.GRID)),  # side by side, columns 0 and 2 of a row
)
LAYOUT_CELLS = np.array(LAYOUTS, np.int32)  # [15, 2]


def object_cells(labels: dict) -> jax.Array:
    """Each object's grid cell, row-major, ``[B, 2]`` (ABSENT for a missing second object)."""
    row, col = jnp.asarray(labels["row"]), jnp.asarray(labels["col"])
    return jnp.where(row == A.ABSENT, A.ABSENT, A.GRID * row + col)


def cell_targets(labels: dict) -> dict[str, jax.Array]:
    """What each grid cell holds: per attribute, ids ``[B, 9]`` with the extra id ``count`` for an empty cell.

    ``labels``: batched Shapes labels (``shape``, ``colour``, ``size``, ``row``, ``col``, each ``[B, 2]``,
    ``ABSENT`` for a missing second object). Naming cells rather than objects needs no object order.
    """
    cell = object_cells(labels)  # [B, 2]
    in_cell = jax.nn.one_hot(cell, NUM_CELLS, dtype=jnp.int32)  # [B, 2, 9]: an absent object (-1) is nowhere
    occupied = jnp.sum(in_cell, axis=1) > 0  # [B, 9]
    targets = {}
    for name, count in CELL_ATTRIBUTES:
        value = jnp.sum(in_cell * jnp.asarray(labels[name])[:, :, None], axis=1)  # [B, 9]: the object's value
        targets[name] = jnp.where(occupied, value, count).astype(jnp.int32)
    return targets


def picture_order(labels: dict) -> dict[str, jax.Array]:
    """The objects of batched labels in the picture's order: per attribute ids ``[B, 2]`` (``count`` for the
    missing second object of a one-object scene), and ``layout`` ``[B]``, the index into LAYOUTS."""
    cell = object_cells(labels)  # [B, 2]
    swap = (cell[:, 1] != A.ABSENT) & (cell[:, 1] < cell[:, 0])  # [B]: the second object lies first
    order = jnp.where(swap[:, None], jnp.array([1, 0]), jnp.array([0, 1]))  # [B, 2]
    cell = jnp.take_along_axis(cell, order, axis=1)  # [B, 2]
    out = {}
    for name, count in CELL_ATTRIBUTES:
        value = jnp.take_along_axis(jnp.asarray(labels[name]), order, axis=1)  # [B, 2]
        out[name] = jnp.where(cell == A.ABSENT, count, value).astype(jnp.int32)
    matches = jnp.all(cell[:, None, :] == jnp.asarray(LAYOUT_CELLS)[None], axis=-1)  # [B, 15]
    out["layout"] = jnp.argmax(matches, axis=-1).astype(jnp.int32)  # [B]
    return out
