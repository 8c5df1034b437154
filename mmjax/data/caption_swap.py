"""Hard negatives for a matching-aware discriminator: a caption with its binding broken, on token ids.

A pooled sentence vector says which words a caption uses but not which colour goes with which object, and
"real image, another example's caption" (GAN-INT-CLS) rarely asks D to know: another caption almost always
names other words too. The swapped caption names the same words, bound differently:

    two objects, colours differ:   "a small blue square above a large yellow triangle"
                                -> "a small yellow square above a large blue triangle"
    else shapes differ:            the two shape words trade places
    else sizes differ:             the two size words trade places ("small" and "big")
    identical objects, one object: every colour word becomes its partner (red-green, blue-yellow,
                                   magenta-cyan): "a big red circle at the top" -> "a big green circle at the top"

so t~ = swap(t) states another scene than t, still in the caption grammar (each attribute word is replaced
by a word of the same kind). swap is an involution, swap(swap(t)) = t: which rule applies depends only on
attributes the rule leaves alike or unlike. It works on padded id arrays ``[B, T]`` inside ``jit``; ids of
no Shapes attribute (templates' words, relations, cells, specials) never change.

The relation reversed ("above" -> "below") is not here: the relation words have no one-to-one partners
("over", "under", "beneath"), so no reversal of words is its own inverse.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from mmjax.data import attributes as A
from mmjax.data.captions import SIZE_WORDS
from mmjax.data.tokenizer import Tokenizer

NONE, SIZE, COLOUR, SHAPE = 0, 1, 2, 3  # the kind of attribute a token states


@functools.cache
def tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per vocabulary id: ``kind`` (NONE, SIZE, COLOUR, SHAPE), ``value`` (the label it says, -1 for none) and
    ``partner`` (the id of its partner colour; itself for any other word), each ``[V]`` int32."""
    tokenizer = Tokenizer.default()
    size = tokenizer.vocab_size
    kind, value, partner = np.zeros(size, np.int32), np.full(size, -1, np.int32), np.arange(size, dtype=np.int32)
    for label, words in SIZE_WORDS.items():
        for word in words:
            kind[tokenizer.index[word]], value[tokenizer.index[word]] = SIZE, A.SIZES.index(label)
    for i, colour in enumerate(A.COLOURS):
        kind[tokenizer.index[colour]], value[tokenizer.index[colour]] = COLOUR, i
        partner[tokenizer.index[colour]] = tokenizer.index[A.COLOURS[i ^ 1]]  # pairs (0, 1), (2, 3), (4, 5)
    for i, shape in enumerate(A.SHAPES):
        kind[tokenizer.index[shape]], value[tokenizer.index[shape]] = SHAPE, i
    return kind, value, partner


def _swap_one(tokens: jax.Array, kind: jax.Array, value: jax.Array, partner: jax.Array) -> jax.Array:
    """One caption's ids ``[T]`` -> its swapped ids ``[T]`` (the rules above)."""
    kinds, values = kind[tokens], value[tokens]  # [T], [T]
    two_objects = jnp.sum(kinds == SHAPE) == 2  # every object has exactly one shape word
    out = jnp.where(kinds == COLOUR, partner[tokens], tokens)  # one object, or two alike in every attribute
    for code in (SIZE, SHAPE, COLOUR):  # later rules override earlier ones: colour first, then shape, size
        here = kinds == code
        first = jnp.argmax(here)  # the first object's word of this kind
        last = tokens.shape[0] - 1 - jnp.argmax(here[::-1])  # the second object's
        traded = tokens.at[first].set(tokens[last]).at[last].set(tokens[first])
        out = jnp.where(two_objects & (values[first] != values[last]), traded, out)
    return out


def swap_binding(tokens: jax.Array) -> jax.Array:
    """t~ for each caption: Shapes caption ids ``[B, T]`` -> ids ``[B, T]`` (see the module's docstring)."""
    kind, value, partner = (jnp.asarray(table) for table in tables())
    return jax.vmap(_swap_one, in_axes=(0, None, None, None))(jnp.asarray(tokens), kind, value, partner)
