"""The judge network: conv features, then one classification head per attribute and object slot.

Objects are read in canonical order (slot 0 is the top / left object, as in ``Scene.canonical``), so
every label is a plain classification:

    num_objects in {1, 2};  for each slot k in {0, 1}: shape, colour, size, row, col

and the relation follows from the predicted cells: ``above`` when both objects share a column, else
``left of`` (the only two relations a canonical two-object scene has).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mmjax.data import attributes as A
from mmjax.metrics.judge.config import JudgeConfig
from mmjax.nn.layers import conv_stack, relu_stack

# Classes per object slot for each per-object attribute.
OBJECT_HEADS = {"shape": len(A.SHAPES), "colour": len(A.COLOURS), "size": len(A.SIZES), "row": A.GRID, "col": A.GRID}
NUM_LOGITS = A.MAX_OBJECTS + A.MAX_OBJECTS * sum(OBJECT_HEADS.values())  # count head + every slot head


class Judge(nnx.Module):
    def __init__(self, config: JudgeConfig, *, rngs: nnx.Rngs):
        self.convs, flat = conv_stack(config.widths, config.image_size, rngs=rngs)
        self.hidden = nnx.Linear(flat, config.feature_dim, rngs=rngs)
        self.heads = nnx.Linear(config.feature_dim, NUM_LOGITS, rngs=rngs)

    def features(self, images: jax.Array) -> jax.Array:
        """Images ``[B, H, W, 3]`` in [-1, 1] -> penultimate features ``[B, feature_dim]``."""
        return jax.nn.relu(self.hidden(relu_stack(self.convs, images)))  # [B, F]

    def __call__(self, images: jax.Array) -> tuple[dict[str, jax.Array], jax.Array]:
        """Logits per attribute (``num_objects [B, 2]``, ``<attribute> [B, 2, classes]``) and the features."""
        features = self.features(images)  # [B, F]
        return split_logits(self.heads(features)), features


def split_logits(flat: jax.Array) -> dict[str, jax.Array]:
    """Cut the ``[B, NUM_LOGITS]`` head output into one named block per attribute."""
    logits, start = {"num_objects": flat[:, : A.MAX_OBJECTS]}, A.MAX_OBJECTS
    for name, classes in OBJECT_HEADS.items():
        size = A.MAX_OBJECTS * classes
        logits[name] = flat[:, start : start + size].reshape(-1, A.MAX_OBJECTS, classes)  # [B, 2, classes]
        start += size
    return logits


def decode_labels(logits: dict[str, jax.Array]) -> dict[str, np.ndarray]:
    """Arg-max labels in the layout of ``Scene.labels()`` (batched, canonical, ABSENT-padded)."""
    num_objects = np.asarray(jnp.argmax(logits["num_objects"], -1), np.int32) + 1  # [B]
    present = np.arange(A.MAX_OBJECTS)[None, :] < num_objects[:, None]  # [B, 2]
    labels = {"num_objects": num_objects}
    for name in OBJECT_HEADS:
        labels[name] = np.where(present, np.asarray(jnp.argmax(logits[name], -1), np.int32), A.ABSENT)
    same_column = labels["col"][:, 0] == labels["col"][:, 1]
    relation = np.where(same_column, A.RELATIONS.index("above"), A.RELATIONS.index("left of"))
    labels["relation"] = np.where(num_objects == 2, relation, A.NO_RELATION).astype(np.int32)
    return labels
