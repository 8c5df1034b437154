"""The cycle's scoring (mmjax.cycle) with reference models whose agreement is known in advance."""

import numpy as np
import pytest

from mmjax.cycle import caption_agreement, run_cycle
from mmjax.data.captions import describe
from mmjax.data.render import render_image
from mmjax.data.scene import sample_scene
from mmjax.data.shapes import example
from mmjax.metrics.judge.export import load_judge

N = 24


def test_caption_agreement_reads_facts_not_words():
    prompts = ["a big red circle above a small blue square", "a small green cross at the upper left"]
    same_facts = ["there is a small blue square below a large red circle", "a tiny green cross in the top left"]
    other = ["a big red circle above a small blue cross", "a small green cross at the upper right"]
    np.testing.assert_array_equal(caption_agreement(prompts, same_facts), [True, True])
    np.testing.assert_array_equal(caption_agreement(prompts, other), [False, False])
    np.testing.assert_array_equal(caption_agreement(prompts[:1], ["not a caption at all"]), [False])
    with pytest.raises(ValueError, match="one caption per prompt"):
        caption_agreement(prompts, same_facts[:1])


def test_a_perfect_loop_agrees_every_round_and_a_wrong_captioner_shows_in_caption_agreement_only():
    scenes = [sample_scene(0, "test", i) for i in range(N)]
    prompts = [example(0, "test", i, modalities=("caption",))["caption"] for i in range(N)]
    drawn = []

    def perfect(texts, k):  # draws each prompt's own scene, whatever round it is
        drawn.append(k)
        return np.stack([render_image(scene) for scene in scenes])

    def oracle(images):
        return [describe(scene, np.random.default_rng(i)) for i, scene in enumerate(scenes)]

    def shifted(images):  # every caption describes the next scene
        return [describe(scenes[(i + 1) % N], np.random.default_rng(i)) for i in range(N)]

    judge = load_judge()[0]
    history = run_cycle(perfect, oracle, judge, prompts, rounds=2)
    assert drawn == [1, 2] and [h["round"] for h in history] == [1, 2]
    assert all(h["caption_agreement"] == 1.0 and h["image_agreement"] >= 0.95 for h in history)
    wrong = run_cycle(perfect, shifted, judge, prompts, rounds=1)[0]
    assert wrong["caption_agreement"] <= 0.2 and wrong["image_agreement"] == history[0]["image_agreement"]
    with pytest.raises(ValueError, match="rounds"):
        run_cycle(perfect, oracle, judge, prompts, rounds=0)
