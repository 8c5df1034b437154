"""Per-object slots: G reads a caption into the objects it names, picks where they lie, then draws each in its cell.

A pooled sentence vector cannot say which colour goes with which shape. Here G's caption encoder is read by
one learned query per object, in the picture's order (top to bottom, then left to right), so each object's
slot gathers *its* words:

    h      = Encoder(caption), padding masked                             # [B, T, D] token states
    o_k    = MultiHead(Q_k, h)                        k = 1, 2            # [B, 2, D] one slot per object
    p(y_k^a | t) = softmax(V_a o_k)      a in shape, colour, size; each with one more class, "none",
                                         for the second object of a one-object scene
    p(l | t)     = softmax(U s)          s the pooled caption, l one of the 15 layouts of mmjax.data.cells

These heads are G's *reading* of the caption, trained by maximum likelihood on the scenes of the training
captions (:func:`reading_loss`). What a caption leaves free gets the probability the data give it: "above"
names no column, so the three columns of a layout share it.

Drawing reads only a scene (a layout and each object's attributes): c_j = E_shape[y] + E_colour[y] + E_size[y]
for the object in cell j (0 for an empty cell), s = E_layout[l], and every up-block modulates each place by its
own cell's vector (:class:`mmjax.gan.cells.CellCondition`). Colour and shape have separate tables, so every
pair is a sum of inputs G has seen; its maps still learn colour and shape together, and how often a pair they
never drew comes out right is what ``test_heldout`` measures (chapter 3.6).

Training draws the scene of the training caption (teacher forcing); sampling draws the scene from the
reading. The choices are made by the latent: its first ``NUM_CHOICES`` entries, u = Phi(z_i) uniform on
(0, 1), pick each categorical by its inverse CDF, k = #{j : P_j < u} with P the cumulative probabilities, so
one z gives one picture and different z give the caption's free choices in proportion.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from mmjax.data import attributes as A
from mmjax.data.cells import CELL_ATTRIBUTES, LAYOUT_CELLS, LAYOUTS, NUM_CELLS
from mmjax.nn.attention import MultiHeadAttention

OBJECTS = A.MAX_OBJECTS
NUM_CHOICES = 1 + OBJECTS * len(CELL_ATTRIBUTES)  # the layout, then each object's shape, colour and size


def inverse_cdf(probabilities: jax.Array, u: jax.Array) -> jax.Array:
    """Categorical draws by the inverse CDF: probabilities ``[..., K]``, uniforms ``[...]`` -> ids ``[...]``."""
    below = jnp.cumsum(probabilities, axis=-1) < u[..., None]  # [..., K]
    return jnp.minimum(jnp.sum(below, axis=-1), probabilities.shape[-1] - 1)


def uniforms(z: jax.Array) -> jax.Array:
    """u = Phi(z_i) for the first NUM_CHOICES entries of each latent: ``[B, latent]`` -> ``[B, NUM_CHOICES]``."""
    return jax.scipy.stats.norm.cdf(z[:, :NUM_CHOICES])


class SlotReader(nnx.Module):
    """Token states ``[B, T, D]`` and the pooled caption ``[B, E]`` -> G's reading of the caption's scene."""

    def __init__(self, dim: int, embed_dim: int, num_heads: int, *, rngs: nnx.Rngs):
        self.queries = nnx.Param(jax.random.normal(rngs.params(), (OBJECTS, dim)))  # Q
        self.attention = MultiHeadAttention(dim, num_heads, rngs=rngs)
        self.attributes = nnx.Linear(dim, sum(count + 1 for _, count in CELL_ATTRIBUTES), rngs=rngs)  # V
        self.layout = nnx.Linear(embed_dim, len(LAYOUTS), rngs=rngs)  # U

    def __call__(self, h: jax.Array, mask: jax.Array, s: jax.Array) -> dict[str, jax.Array]:
        """Logits: ``layout`` ``[B, 15]``; per attribute ``[B, 2, values + 1]`` (the last class: none)."""
        queries = jnp.broadcast_to(self.queries[...], (h.shape[0], *self.queries.shape))  # [B, 2, D]
        o = self.attention(queries, h, mask)  # [B, 2, D]: o_k
        logits = self.attributes(o)  # [B, 2, 15]
        sizes = [count + 1 for _, count in CELL_ATTRIBUTES]
        pieces = jnp.split(logits, [sum(sizes[:i]) for i in range(1, len(sizes))], axis=-1)
        reading = {name: piece for (name, _), piece in zip(CELL_ATTRIBUTES, pieces)}
        reading["layout"] = self.layout(s)  # [B, 15]
        return reading


def sample_scene(reading: dict[str, jax.Array], z: jax.Array) -> dict[str, jax.Array]:
    """A scene drawn from G's reading by the latent's uniforms: ``layout`` ``[B]``, attributes ``[B, 2]``.

    The second object's attributes are drawn among its real values ("none" gets no probability); a layout of
    one object leaves them unused.
    """
    u = uniforms(z)  # [B, NUM_CHOICES]
    scene = {"layout": inverse_cdf(jax.nn.softmax(reading["layout"]), u[:, 0])}
    for i, (name, count) in enumerate(CELL_ATTRIBUTES):
        logits = reading[name][..., :count]  # [B, 2, values]: "none" left out
        scene[name] = inverse_cdf(jax.nn.softmax(logits), u[:, 1 + OBJECTS * i : 1 + OBJECTS * (i + 1)])
    return scene


class SceneEmbedding(nnx.Module):
    """A scene -> (s ``[B, E]``, the cells' vectors c ``[B, 9, E]``): what G's blocks are modulated by."""

    def __init__(self, dim: int, *, rngs: nnx.Rngs):
        self.tables = nnx.Dict(
            {name: nnx.Embed(count, dim, rngs=rngs) for name, count in CELL_ATTRIBUTES}  # E_shape, ...
        )
        self.layout = nnx.Embed(len(LAYOUTS), dim, rngs=rngs)  # E_layout

    def __call__(self, scene: dict[str, jax.Array]) -> tuple[jax.Array, jax.Array]:
        layout = scene["layout"]  # [B]
        # c_k = E_shape[y_k] + E_colour[y_k] + E_size[y_k]; "none" (id = count) is clipped: its cell is empty
        objects = sum(
            self.tables[name](jnp.minimum(scene[name], count - 1)) for name, count in CELL_ATTRIBUTES
        )  # [B, 2, E]
        cells = jnp.asarray(LAYOUT_CELLS)[layout]  # [B, 2]: each object's cell, ABSENT for none
        where = jax.nn.one_hot(cells, NUM_CELLS, dtype=objects.dtype)  # [B, 2, 9]: ABSENT is nowhere
        return self.layout(layout), jnp.einsum("bkj,bke->bje", where, objects)  # [B, E], [B, 9, E]


def reading_loss(reading: dict[str, jax.Array], scene: dict[str, jax.Array]) -> tuple[jax.Array, jax.Array]:
    """-log p(scene | caption) averaged over the batch, and how often the most likely attributes are the scene's.

    The layout's term, then each object's attributes ("none" for the absent second object). The accuracy
    leaves the layout out: a caption of two objects leaves their line free, so no reading can name it.
    """
    total = optax.softmax_cross_entropy_with_integer_labels(reading["layout"], scene["layout"])  # [B]
    right = True
    for name, _ in CELL_ATTRIBUTES:
        total = total + jnp.sum(optax.softmax_cross_entropy_with_integer_labels(reading[name], scene[name]), axis=1)
        right = right & jnp.all(jnp.argmax(reading[name], axis=-1) == scene[name], axis=1)
    return jnp.mean(total), jnp.mean(right)


def reading_term(out: dict, batch: dict):
    """G's reading of the batch's captions against their scenes; reports ``reading_loss``, ``reading_accuracy``."""
    value, accuracy = reading_loss(out["reading"], batch["scene"])
    return value, {"reading_loss": value, "reading_accuracy": accuracy}
