# Exercise 1
from mmjax.data.attributes import HELDOUT_PAIR_IDS
from mmjax.utils.selfcheck import check

pairs, triples = set(), set()
for ex1_index in range(64):
    ex1_item = example(0, "train", ex1_index, ())
    for ex1_k in range(int(ex1_item["num_objects"])):
        ex1_colour, ex1_shape, ex1_size = (int(ex1_item[name][ex1_k]) for name in ("colour", "shape", "size"))
        pairs.add((ex1_colour, ex1_shape))
        triples.add((ex1_colour, ex1_shape, ex1_size))
assert check(len(pairs), expected=20, tol=0)
assert not pairs & HELDOUT_PAIR_IDS  # none of the 4 held-out pairs: 24 - 4 = 20
assert check(len(triples), expected=38, tol=0)

# Exercise 2
ex2_items = [example(0, "test", i, image_size=32) for i in range(256)]
score = judged(np.stack([item["image"] for item in ex2_items]), [item["caption"] for item in ex2_items])
assert check(score["all_correct"], expected=1.0, tol=0.01)
# the same 256 captions at 16 x 16: the judge misses a few shapes there
ex2_items_16 = [example(CONFIG.data_seed, "test", i, image_size=CONFIG.image_size) for i in range(256)]
ex2_ceiling_16 = judged(np.stack([item["image"] for item in ex2_items_16]), [item["caption"] for item in ex2_items_16])
print(f"judge at 32 x 32: {score['all_correct']:.3f}; at 16 x 16: shape {ex2_ceiling_16['shape']:.3f}, "
      f"all correct {ex2_ceiling_16['all_correct']:.3f}")  # fmt: skip
assert check(ex2_ceiling_16["shape"], expected=0.98, tol=0.01, name="16 x 16 shapes")
assert check(score["all_correct"] - ex2_ceiling_16["all_correct"], expected=0.02, tol=0.015, name="ceiling lost")

# Exercise 3
import mmjax

ex3_model = mmjax.load_pretrained("shapes")  # the shipped text-to-image GAN: one generator, measured twice
ex3_scores = []
for ex3_start in (0, 256):
    ex3_captions = [example(0, "test", i, ("caption",))["caption"] for i in range(ex3_start, ex3_start + 256)]
    ex3_pictures = ex3_model.generate_images(ex3_captions, seed=0)  # uint8 [256, 32, 32, 3]
    ex3_scores.append(judged(ex3_pictures, ex3_captions)["all_correct"])
first, second = ex3_scores
ex3_noise = np.sqrt(2 * first * (1 - first) / 256)  # standard error of a difference of two such fractions
print(f"all correct on captions 0-255: {first:.3f}, on 256-511: {second:.3f}; noise of a difference {ex3_noise:.3f}")
assert check(first, expected=0.98, tol=0.02) and check(second, expected=0.98, tol=0.02)
assert check(ex3_noise, expected=0.01, tol=0.003, name="noise of a difference")
assert check(np.sqrt(2 * 0.35 * 0.65 / 256), expected=0.042, tol=0.001, name="the noise at this chapter's scores")
assert check(abs(first - second), expected=0.0, tol=0.025)
