# Exercise 1
from mmjax.utils.selfcheck import check

total = held = 0
for ex1_index in range(200):
    ex1_item = example(0, "test_heldout", ex1_index, ())
    for ex1_k in range(int(ex1_item["num_objects"])):
        total += 1
        held += (int(ex1_item["colour"][ex1_k]), int(ex1_item["shape"][ex1_k])) in A.HELDOUT_PAIR_IDS
assert check(total, expected=316, tol=0)
assert check(held / total, expected=1.0, tol=0)

# Exercise 2
from mmjax.data.captions import describe
from mmjax.data.render import render_image
from mmjax.data.scene import sample_scene
from mmjax.data.tokenizer import Tokenizer
from mmjax.metrics.contrastive import load_encoder
from mmjax.metrics.contrastive.inference import embed_images, embed_texts

ex2_encoder, ex2_tokenizer = load_encoder()[0], Tokenizer.default()
ex2_outcomes = []  # per single-object held-out scene: "right", "colour kept", "shape kept" or "both changed"
for ex2_index in range(300):
    ex2_scene = sample_scene(0, "test_heldout", ex2_index)
    if len(ex2_scene.objects) != 1:
        continue
    ex2_object = ex2_scene.objects[0]
    ex2_variants = [
        dataclasses.replace(ex2_scene, objects=(dataclasses.replace(ex2_object, colour=colour, shape=shape),))
        for colour in range(len(A.COLOURS))
        for shape in range(len(A.SHAPES))
    ]
    ex2_texts = embed_texts(
        ex2_encoder, ex2_tokenizer.encode_batch([describe(v, np.random.default_rng(0)) for v in ex2_variants])
    )
    ex2_best = ex2_variants[int(np.argmax(ex2_texts @ embed_images(ex2_encoder, render_image(ex2_scene)[None])[0]))]
    ex2_colour, ex2_shape = ex2_best.objects[0].colour, ex2_best.objects[0].shape
    if (ex2_colour, ex2_shape) == (ex2_object.colour, ex2_object.shape):
        ex2_outcomes.append("right")
    elif ex2_colour == ex2_object.colour:
        ex2_outcomes.append("colour kept")
        assert (ex2_colour, ex2_shape) not in A.HELDOUT_PAIR_IDS  # a pair it saw in training
    else:
        ex2_outcomes.append("shape kept" if ex2_shape == ex2_object.shape else "both changed")
misses = len(ex2_outcomes) - ex2_outcomes.count("right")
colour_kept = ex2_outcomes.count("colour kept")
print(f"{len(ex2_outcomes)} single-object held-out pictures: {ex2_outcomes.count('right')} right, {misses} misses, "
      f"of which {colour_kept} keep the colour")  # fmt: skip
assert check(ex2_outcomes.count("right") / len(ex2_outcomes), expected=0.9, tol=0.06, name="right")
assert misses >= 5 and check(colour_kept / misses, expected=1.0, tol=0.1, name="misses keeping the colour")

# Exercise 3
# A small network that reads RGB pixels (the judge's), trained without the held-out pairs, read after 150 and
# after 300 steps: do its held-out shapes move?
from small_judge import small_judge_reports

ex3_reports = small_judge_reports(300, (150, 300))
ex3_shapes = {}  # steps -> (shape accuracy on test, on test_heldout)
for ex3_step, ex3_report in ex3_reports.items():
    ex3_shapes[ex3_step] = (ex3_report["test/image"]["shape"], ex3_report["test_heldout/image"]["shape"])
    print(f"step {ex3_step}: shapes right on test, held-out:", np.round(ex3_shapes[ex3_step], 3))
assert ex3_shapes[300][0] - ex3_shapes[150][0] > 0.1  # the seen pairs keep improving ...
assert ex3_shapes[150][1] < 0.25 and ex3_shapes[300][1] < 0.25  # ... the held-out shapes stay below chance
assert abs(ex3_shapes[300][1] - ex3_shapes[150][1]) < 0.1  # more training makes the units firmer
