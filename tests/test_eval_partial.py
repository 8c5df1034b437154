"""``mmjax eval --partial``: stated attributes right, and the spread of unstated ones against the world's.

Two generators that need no training bound the scores: one that draws every prompt as the world would
(unstated attributes at random) and one that always fills them the same way.
"""

import jax
import numpy as np
import pytest

from mmjax.data import attributes as A
from mmjax.data.caption_parse import parse_prompt
from mmjax.data.render import render_image
from mmjax.data.scene import Scene, ShapeObject, _object_cells
from mmjax.eval.partial import partial_prompts
from mmjax.metrics.judge import load_judge


def drawer(random: bool):
    """generate(prompts, key): each prompt's stated facts, the rest drawn at random (or always the first value)."""

    def generate(prompts: dict, key: jax.Array) -> np.ndarray:
        rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).tolist())
        pictures = []
        for caption in prompts["caption"]:
            parsed = parse_prompt(caption, partial=True)

            def pick(value, count):
                return value if value != A.ABSENT else (int(rng.integers(count)) if random else 0)

            two = len(parsed.objects) == 2
            if two:
                cells = (
                    _object_cells(parsed.relation, rng)
                    if random
                    else _object_cells(parsed.relation, np.random.default_rng(0))
                )
            else:
                obj = parsed.objects[0]
                cell = pick(A.GRID * obj.row + obj.col if obj.row != A.ABSENT else A.ABSENT, 9)
                cells = [divmod(cell, A.GRID)]
            objects = tuple(
                ShapeObject(o.shape, pick(o.colour, len(A.COLOURS)), pick(o.size, len(A.SIZES)), *cell)
                for o, cell in zip(parsed.objects, cells)
            )
            pictures.append(render_image(Scene(objects, parsed.relation if two else A.NO_RELATION, 0)))
        return np.stack(pictures)

    return generate


@pytest.fixture(scope="module")
def judge():
    return load_judge()[0]


def test_partial_prompts_state_less_than_their_scenes():
    prompts = partial_prompts("test", 50)
    assert all(prompts["unstated"]) and len(prompts["caption"]) == 50
    assert (prompts["targets"]["size"] == A.ABSENT).any() and (prompts["targets"]["colour"] == A.ABSENT).any()
    assert prompts["tokens"].shape == (50, 24)


def test_a_world_like_drawer_spreads_as_the_world_and_a_constant_one_does_not(judge):
    from mmjax.eval.partial import evaluate_partial

    world = evaluate_partial(drawer(True), judge, "test", 24, 8, seed=0, batch_size=64)
    fixed = evaluate_partial(drawer(False), judge, "test", 24, 8, seed=0, batch_size=64)
    assert world["stated_right"] > 0.95 and fixed["stated_right"] > 0.95  # both draw what is stated
    for kind in ("size", "colour", "cell"):
        assert 0.8 < world[f"spread_ratio_{kind}"] < 1.25, (kind, world)
        assert fixed[f"spread_{kind}"] == 1.0 and fixed[f"spread_ratio_{kind}"] < 0.6, (kind, fixed)
        assert world[f"real_spread_{kind}"] == fixed[f"real_spread_{kind}"]  # the world's side does not move
