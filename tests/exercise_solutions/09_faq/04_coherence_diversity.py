# Exercise 1
import dataclasses

from mmjax.utils.selfcheck import check


def wrong_size(prompts, key):
    """G.real_generator, but every odd prompt of the list is drawn with each object's size swapped."""
    rng = G.rng_from_key(key)
    scenes = []
    for i, scene in enumerate(prompts["scenes"]):
        if i % 2 == 1:
            swapped = tuple(dataclasses.replace(o, size=1 - o.size) for o in scene.objects)
            scene = dataclasses.replace(scene, objects=swapped)
        scenes.append(G.perfect_scene(scene, rng))
    return np.stack([G.render_image(s) for s in scenes])


scores = evaluate_images(wrong_size, judge, "test", 500, seed=0, diversity_prompts=0)  # diversity is not asked
print({k: round(v, 3) for k, v in scores.items()})
assert check(scores["coherence_size"], expected=0.5, tol=0.05)
assert check(scores["coherence_all_correct"], expected=0.5, tol=0.05)
assert check(scores["shapes_fid"], expected=2.7, rtol=0.3)
for ex1_attribute in ("shape", "colour", "row", "col", "num_objects", "relation"):  # nothing else moves
    assert scores[f"coherence_{ex1_attribute}"] > 0.99, ex1_attribute
assert abs(scores["kid"]) < 3 * scores["kid_std"] and scores["precision"] > 0.9 and scores["recall"] > 0.9

# Exercise 2
# The short run of the exercise: a small judge trained without the held-out pairs, 150 steps on frames in memory.
from small_judge import small_judge_reports

report = small_judge_reports(150, (150,))[150]
ex2_test, ex2_heldout = report["test/image"], report["test_heldout/image"]
print("test:", {k: round(v, 3) for k, v in ex2_test.items()})
print("test_heldout:", {k: round(v, 3) for k, v in ex2_heldout.items()})
assert check(ex2_heldout["shape"], expected=0.14, tol=0.1, name="held-out shapes")  # below chance, 1/4 ...
assert ex2_test["shape"] > ex2_heldout["shape"] + 0.2  # ... far below the shapes of seen pairs
assert ex2_heldout["colour"] > 0.6  # the colour it reads: it names a shape it has seen with that colour

# Exercise 3
encoder = load_encoder()[0]  # quick mode left it out; R-precision needs >= 150 prompts
ex3 = evaluate_images(G.BUILTIN["real"][1], judge, "test_heldout", 200, seed=0, encoder=encoder, diversity_prompts=0)
r_precision_heldout = ex3["r_precision"]
print(f"test_heldout: judge all correct {ex3['coherence_all_correct']:.3f}, R-precision {r_precision_heldout:.3f}")
assert ex3["coherence_all_correct"] > 0.99  # the judge, trained on every pair, still reads them all
assert check(r_precision_heldout, expected=0.88, tol=0.06)  # the encoder, trained on train pairs only, drops
# Trust the judge there: it was trained on every composition it reads, the encoder never saw these pairs.

# Exercise 4
import json

from mmjax.eval.generators import load_generator

_, ex4_text2image = load_generator("text2image")  # the shipped GAN, as `mmjax eval text2image` loads it
s = evaluate_images(ex4_text2image, judge, "test", 500, seed=0, diversity_prompts=0)
print("text2image, 500 prompts:", {k: round(v, 3) for k, v in s.items()})
assert check(s["coherence_all_correct"], expected=0.98, tol=0.02)
assert check(s["precision"], expected=0.95, tol=0.04)
assert check(s["recall"], expected=0.94, tol=0.05)
assert check(s["shapes_fid"], expected=3.4, rtol=0.3)
h = evaluate_images(ex4_text2image, judge, "test_heldout", 500, seed=0, diversity_prompts=0)
print("text2image on test_heldout, 500 prompts:", {k: round(v, 3) for k, v in h.items()})
assert check(h["coherence_all_correct"], expected=0.77, tol=0.06)  # coherence exposes it on unseen pairs
assert check(h["coherence_shape"], expected=0.89, tol=0.05) and h["coherence_colour"] > 0.9
# the sixth bar, on the chapter's own prompts and sample size (the report's JSON holds the same dict)
ex4_bar = evaluate_images(ex4_text2image, judge, "test", NUM_SAMPLES, seed=0, encoder=encoder, **DIVERSITY)
ex4_report = json.loads(json.dumps({"results": {"text2image": {"test": ex4_bar}}}))
names.append("text2image")
colours.append("tab:purple")
results["text2image"] = ex4_report["results"]["text2image"]["test"]
fig, axes = plt.subplots(2, columns, figsize=(3.4 * columns, 7))
for ax, (metric, (unit, better)) in zip(axes.ravel(), metrics.items()):
    figures.metric_bars(ax, metric, results, names, unit, better, colours)
for ax in axes.ravel()[len(metrics) :]:
    ax.axis("off")
fig.suptitle(f"Image metrics of {len(names)} generators on {NUM_SAMPLES} prompts of test", fontsize=11)
figures.save(fig, chapter.out / "metrics_with_text2image.png", dpi=110)
