"""The text-to-image GAN's per-object slots: the scene in the picture's order, G's reading, the sampled choices."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from test_text2image import TINY, one_train_step  # the text-to-image tests' tiny players and one step

from mmjax.data import attributes as A
from mmjax.data.cells import CELL_ATTRIBUTES, LAYOUTS, NUM_CELLS, picture_order
from mmjax.data.scene import sample_scene as world_scene
from mmjax.data.shapes import example
from mmjax.text2image.config import TextToImageConfig
from mmjax.text2image.model import TextToImageGenerator
from mmjax.text2image.slots import NUM_CHOICES, SceneEmbedding, inverse_cdf, reading_loss, sample_scene

SLOTS = dataclasses.replace(TINY, slots=True)
SHAPE, COLOUR, SIZE = (A.SHAPES.index("circle"), A.COLOURS.index("red"), A.SIZES.index("large"))


def labels(*objects, relation=A.NO_RELATION) -> dict:
    """Batched labels of one scene: objects (shape, colour, size, row, col), padded with ABSENT."""
    padded = list(objects) + [(A.ABSENT,) * 5] * (2 - len(objects))
    out = {k: np.array([[o[i] for o in padded]]) for i, k in enumerate(("shape", "colour", "size", "row", "col"))}
    return {**out, "num_objects": np.array([len(objects)]), "relation": np.array([relation])}


def test_picture_order_by_hand():
    # One object in the centre: layout 4, the second object "none" (id = count) for every attribute.
    one = {k: np.asarray(v) for k, v in picture_order(labels((SHAPE, COLOUR, SIZE, 1, 1))).items()}
    assert one["layout"].tolist() == [4]
    assert [one[name][0].tolist() for name, _ in CELL_ATTRIBUTES] == [[SHAPE, 4], [COLOUR, 6], [SIZE, 2]]
    # "a small blue square below a large red circle": the circle (row 0) comes first in the picture.
    square = (A.SHAPES.index("square"), A.COLOURS.index("blue"), A.SIZES.index("small"), 2, 1)
    below = labels(square, (SHAPE, COLOUR, SIZE, 0, 1), relation=A.RELATIONS.index("below"))
    two = {k: np.asarray(v) for k, v in picture_order(below).items()}
    assert LAYOUTS[int(two["layout"][0])] == (1, 7)  # column 1, rows 0 and 2
    assert two["shape"][0].tolist() == [SHAPE, square[0]] and two["colour"][0].tolist() == [COLOUR, square[1]]
    # Side by side in row 2: cells 6 and 8.
    right = labels((SHAPE, COLOUR, SIZE, 2, 2), square[:3] + (2, 0), relation=A.RELATIONS.index("right of"))
    side = {k: np.asarray(v) for k, v in picture_order(right).items()}
    assert LAYOUTS[int(side["layout"][0])] == (6, 8) and side["shape"][0].tolist() == [square[0], SHAPE]


def test_every_scene_of_the_world_has_its_layout():
    scenes = [world_scene(0, "train", i) for i in range(300)]
    batch = {k: np.stack([s.labels()[k] for s in scenes]) for k in ("shape", "colour", "size", "row", "col")}
    order = {k: np.asarray(v) for k, v in picture_order(batch).items()}
    assert len(set(LAYOUTS)) == 15
    for i, scene in enumerate(scenes):
        canonical = scene.canonical().objects
        cells = [o.cell for o in canonical] + [A.ABSENT] * (2 - len(canonical))
        assert LAYOUTS[order["layout"][i]] == tuple(cells)
        assert order["colour"][i, : len(canonical)].tolist() == [o.colour for o in canonical]
    assert set(order["layout"].tolist()) == set(range(15))  # 300 scenes reach every layout


def test_inverse_cdf_matches_searchsorted_and_draws_in_proportion():
    p = np.array([0.1, 0.0, 0.6, 0.3], np.float32)
    u = jax.random.uniform(jax.random.key(0), (20000,))
    ids = np.asarray(inverse_cdf(jnp.broadcast_to(jnp.asarray(p), (20000, 4)), u))
    np.testing.assert_array_equal(ids, np.minimum(np.searchsorted(np.cumsum(p), np.asarray(u), side="left"), 3))
    np.testing.assert_allclose(np.bincount(ids, minlength=4) / 20000, p, atol=0.01)  # 4 sigma of 20000 draws


def test_a_sure_reading_is_drawn_as_read_and_a_free_one_spreads():
    reading = {"layout": jnp.full((512, 15), -30.0).at[:, 9:12].set(0.0)}  # "above": any of three columns
    for name, count in CELL_ATTRIBUTES:
        sure = jnp.full((512, 2, count + 1), -30.0).at[:, :, 0].set(30.0)  # value 0 for both objects
        reading[name] = sure.at[:, 1, count].set(60.0) if name == "colour" else sure  # "none" the likeliest
    scene = {
        k: np.asarray(v) for k, v in sample_scene(reading, jax.random.normal(jax.random.key(0), (512, 16))).items()
    }
    assert all((scene[name] == 0).all() for name, _ in CELL_ATTRIBUTES)  # never "none", though it was likeliest
    counts = np.bincount(scene["layout"], minlength=15)
    assert counts[:9].sum() == counts[12:].sum() == 0 and counts[9:12].min() > 512 / 3 - 60


def test_the_scene_embedding_puts_each_object_in_its_cell_and_leaves_the_rest_empty():
    embedding = SceneEmbedding(8, rngs=nnx.Rngs(0))
    scene = {"layout": jnp.array([10, 2]), "shape": jnp.array([[1, 2], [3, 4]])}
    scene |= {"colour": jnp.array([[0, 5], [2, 6]]), "size": jnp.array([[1, 0], [0, 2]])}
    s, cells = embedding(scene)  # [2, 8], [2, 9, 8]
    assert s.shape == (2, 8) and cells.shape == (2, NUM_CELLS, 8)

    def obj(b, k):
        return sum(embedding.tables[n](scene[n][b, k]) for n in ("shape", "colour", "size"))

    np.testing.assert_allclose(cells[0, 1], obj(0, 0), atol=1e-6)  # layout 10: cells 1 and 7
    np.testing.assert_allclose(cells[0, 7], obj(0, 1), atol=1e-6)
    np.testing.assert_allclose(cells[1, 2], obj(1, 0), atol=1e-6)  # layout 2: one object in cell 2
    empty = np.ones((2, NUM_CELLS), bool)
    empty[0, [1, 7]] = empty[1, 2] = False
    assert np.all(np.asarray(cells)[empty] == 0.0)


def test_reading_loss_is_the_summed_cross_entropy():
    rng = np.random.default_rng(0)
    reading = {"layout": rng.normal(size=(3, 15))} | {
        name: rng.normal(size=(3, 2, count + 1)) for name, count in CELL_ATTRIBUTES
    }
    scene = {"layout": np.array([0, 9, 14])} | {
        name: rng.integers(0, count + 1, size=(3, 2)) for name, count in CELL_ATTRIBUTES
    }

    def nll(logits, label):
        return -(logits[label] - np.log(np.exp(logits).sum()))

    by_hand = np.mean(
        [
            nll(reading["layout"][b], scene["layout"][b])
            + sum(nll(reading[n][b, k], scene[n][b, k]) for n, _ in CELL_ATTRIBUTES for k in range(2))
            for b in range(3)
        ]
    )
    value, _ = reading_loss(jax.tree.map(jnp.asarray, reading), jax.tree.map(jnp.asarray, scene))
    np.testing.assert_allclose(float(value), by_hand, rtol=1e-5)


def test_slots_config_checks():
    with pytest.raises(ValueError, match="word_attention"):
        dataclasses.replace(SLOTS, word_attention=True)
    with pytest.raises(ValueError, match="latent_dim"):
        dataclasses.replace(SLOTS, latent_dim=NUM_CHOICES)
    with pytest.raises(ValueError, match="dataset shapes"):
        TextToImageConfig(slots=True, dataset="mnist")


def test_the_reading_ignores_padding_and_the_drawing_reads_only_the_scene():
    g = TextToImageGenerator(SLOTS, rngs=nnx.Rngs(0))
    tokens = np.stack([example(0, "train", i, modalities=("caption",))["tokens"] for i in range(2)])
    graph, variables = nnx.split(g)

    @jax.jit
    def outputs(variables, tokens, z):
        g = nnx.merge(graph, variables)
        scene = sample_scene(g.read(tokens), z)
        return {"read": g.read(tokens), "scene": scene, "image": g(z, tokens), "drawn": g.draw_scene(z, scene)}

    z = jax.random.normal(jax.random.key(1), (2, SLOTS.latent_dim))
    out = outputs(variables, jnp.asarray(tokens), z)
    np.testing.assert_array_equal(out["image"], out["drawn"])  # G(z, t) draws the scene its reading gives
    assert out["read"]["layout"].shape == (2, 15) and out["read"]["shape"].shape == (2, 2, len(A.SHAPES) + 1)
    used = int((tokens != 0).sum(axis=1).max())
    assert used < tokens.shape[1] - 2  # the captions end with padding
    shorter = tokens[:, : used + 1]  # less padding at the end: the same reading
    np.testing.assert_allclose(
        outputs(variables, jnp.asarray(shorter), z)["read"]["layout"], out["read"]["layout"], atol=1e-5
    )


def test_a_train_step_with_slots_trains_the_reading_and_both_cell_heads():
    state, new, metrics = one_train_step(SLOTS)
    for name in ("reading_loss", "reading_accuracy", "cell_loss", "cell_accuracy", "g_cell_loss"):
        assert np.isfinite(float(metrics[name])), name
    moved = jax.tree.map(
        lambda a, b: bool(jnp.any(a != b)),
        state["generator"]["params"]["reader"],
        new["generator"]["params"]["reader"],
    )
    assert all(jax.tree.leaves(moved))  # the reading term reaches every weight of the reader
