"""The grid cells of a Shapes picture in a GAN: per-place conditions for G, a per-cell classifier for D.

G: each place p of a size x size map is conditioned on what *its* cell should hold,

    e(p) = s + W c_{cell(p)} + P_p        cell(p): the grid cell whose centre is nearest to place p

with c_k ``[B, 9, E]`` one vector per cell and P_p (learned, one per place) where in its cell p lies, so
the convolutions can draw the outline round the cell's centre (:class:`CellCondition`).

D: p(y | x, c) = softmax(W_c phi(x)) per cell and attribute, each attribute's values then "empty"
(AC-GAN, Odena et al. 2017, on the labels every Shapes picture carries), scored by

    CE_cells(x, y) = sum_{cells c} sum_{k in shape, colour, size} -log p_k(y_ck | x, c)
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from mmjax.data import attributes as A
from mmjax.data.cells import CELL_ATTRIBUTES, NUM_CELLS
from mmjax.data.render import cell_centre

CELL_CLASSES = tuple(count + 1 for _, count in CELL_ATTRIBUTES)  # each attribute's values, then "empty"


def split_cells(logits: jax.Array) -> dict[str, jax.Array]:
    """Logits ``[B, N, 15]`` -> per attribute ``[B, N, values + 1]`` (the last class of each: empty)."""
    pieces = jnp.split(logits, np.cumsum(CELL_CLASSES)[:-1].tolist(), axis=-1)
    return {name: piece for (name, _), piece in zip(CELL_ATTRIBUTES, pieces)}


def cell_logits(head: nnx.Linear, phi: jax.Array) -> dict[str, jax.Array]:
    """D's per-cell classifier W_c (``head``, ``F -> 9 * 15``) on features ``[B, F]``: per attribute logits
    ``[B, 9, values + 1]`` (the last class of each: empty)."""
    return split_cells(head(phi).reshape(phi.shape[0], NUM_CELLS, sum(CELL_CLASSES)))


@functools.cache
def place_cells(size: int) -> np.ndarray:
    """``[size * size, 9]`` one-hot: the grid cell whose centre is nearest to each place of a size x size map."""
    centres = np.array([cell_centre(r, 0, size)[0] for r in range(A.GRID)])  # [3]: rows' (and cols') centres
    nearest = np.argmin(np.abs((np.arange(size) + 0.5)[:, None] - centres[None, :]), axis=1)  # [size]
    cell = A.GRID * nearest[:, None] + nearest[None, :]  # [size, size]: row-major cell ids
    return np.eye(NUM_CELLS, dtype=np.float32)[cell.reshape(-1)]


class CellCondition(nnx.Module):
    """The condition of each place of a size x size map: e(p) = s + W c_{cell(p)} + P_p, ``[B, size, size, E]``."""

    def __init__(self, size: int, dim: int, *, rngs: nnx.Rngs):
        self.slot = nnx.Linear(dim, dim, rngs=rngs)  # W
        self.places = nnx.Param(jnp.zeros((size * size, dim)))  # P: where in its cell each place lies
        self.size = size

    def __call__(self, s: jax.Array, cells: jax.Array) -> jax.Array:
        """``s`` ``[B, E]``, ``cells`` ``[B, 9, E]`` (c_k) -> ``[B, size, size, E]``."""
        placed = jnp.einsum("pk,bke->bpe", place_cells(self.size), self.slot(cells))  # [B, size^2, E]
        e = s[:, None, :] + placed + self.places[...]  # [B, size^2, E]
        return e.reshape(s.shape[0], self.size, self.size, -1)


class HeardCells(nnx.Module):
    """Each cell's vector from what is heard in it, one table per attribute (factorised):

        c_k = sum_{a in shape, colour, size} E_a^T softmax(l_{a,k})        E_a: [values + 1, E]

    with l_{a,k} ``[B, 9, values + 1]`` the logits of attribute a in cell k (the last class: empty). Colour and
    shape reach the cell through separate tables, so a pair never heard together is the sum of two known rows.
    """

    def __init__(self, dim: int, *, rngs: nnx.Rngs):
        init = nnx.initializers.normal(1.0)
        self.tables = nnx.Dict(
            {
                name: nnx.Param(init(rngs.params(), (classes, dim)))
                for (name, _), classes in zip(CELL_ATTRIBUTES, CELL_CLASSES)
            }
        )

    def __call__(self, logits: dict[str, jax.Array]) -> jax.Array:
        """Per attribute logits ``[B, 9, values + 1]`` -> the cells' vectors ``[B, 9, E]``."""
        return sum(jax.nn.softmax(logits[name], axis=-1) @ self.tables[name][...] for name, _ in CELL_ATTRIBUTES)


def cell_loss(cell_logits: dict, targets: dict) -> tuple[jax.Array, jax.Array]:
    """CE_cells averaged over the batch, and how often an object's cell is read right (all three attributes).

    The accuracy counts occupied cells only: 7 or 8 of the 9 cells are empty, and "empty" is easy to read.
    """
    total, right = 0.0, True
    for name, _ in CELL_ATTRIBUTES:
        logits, wanted = cell_logits[name], targets[name]  # [B, 9, K], [B, 9]
        total = total + jnp.sum(optax.softmax_cross_entropy_with_integer_labels(logits, wanted), axis=1)  # [B]
        right = right & (jnp.argmax(logits, axis=-1) == wanted)  # [B, 9]
    occupied = targets[CELL_ATTRIBUTES[0][0]] != CELL_ATTRIBUTES[0][1]  # [B, 9]
    return jnp.mean(total), jnp.sum(right & occupied) / jnp.maximum(jnp.sum(occupied), 1)


def cells(group: str, head: str, prefix: str):
    """A term: CE_cells of ``out[group][head]`` against ``batch["cells"]``; reports ``{prefix}_loss`` and
    ``{prefix}_accuracy``."""

    def term(out: dict, batch: dict):
        value, accuracy = cell_loss(out[group][head], batch["cells"])
        return value, {f"{prefix}_loss": value, f"{prefix}_accuracy": accuracy}

    return term
