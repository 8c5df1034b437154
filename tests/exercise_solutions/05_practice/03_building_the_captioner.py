# Exercise 1
from mmjax.data.render import render_image
from mmjax.data.scene import scene_from_labels
from mmjax.utils.selfcheck import check

ex1_patches = {p: (32 // p) ** 2 for p in (2, 4, 8, 16)}
ex1_cost = {p: n**2 for p, n in ex1_patches.items()}  # self-attention compares every pair of patches
print("patches:", ex1_patches, "attention cost ~ N^2:", ex1_cost)
assert ex1_patches[4] == 64 and ex1_patches[2] == 4 * ex1_patches[4] and ex1_patches[8] == 16
assert check(((32 // 2) ** 2) ** 2 / ((32 // 4) ** 2) ** 2, expected=16, tol=0)
assert check(ex1_cost[2] / ex1_cost[4], expected=16, tol=0, name="cost ratio")
# Why P = 16 cannot tell a small shape: 4 patches for 9 grid cells, so a patch holds parts of several cells, and
# a small object (about 7 pixels) in the centre cell is cut into all four patches, a corner of it in each.
ex1_small = {"num_objects": 1, "shape": [2, 0], "colour": [0, 0], "size": [0, 0], "row": [1, 0], "col": [1, 0]}
ex1_lit = render_image(scene_from_labels({**ex1_small, "relation": -1, "motion": 0})).max(-1) > 0
ex1_ys, ex1_xs = np.nonzero(ex1_lit)
ex1_width = ex1_xs.max() - ex1_xs.min() + 1
ex1_touched = {(y // 16, x // 16) for y, x in zip(ex1_ys, ex1_xs)}
print(f"a small triangle in the centre is {ex1_width} pixels wide and lies in {len(ex1_touched)} of 4 patches of 16")
assert 5 <= ex1_width <= 9 and len(ex1_touched) == 4
assert {(y // 8, x // 8) for y, x in zip(ex1_ys, ex1_xs)} != ex1_touched  # (at P = 8 the cut falls elsewhere)

# Exercise 2
tiny = step.evaluate(result.state, config)
print(f"teacher-forced next-word accuracy {float(metrics['token_accuracy']):.3f}, "
      f"whole captions right by greedy decoding {tiny['test_all_correct']:.3f}")  # fmt: skip
assert check(float(metrics["token_accuracy"]) > tiny["test_all_correct"], expected=1, tol=0)
assert float(metrics["token_accuracy"]) > tiny["test_all_correct"] + 0.2  # far higher, not just higher

# Exercise 3


def ex3_fastest(fn, repeats: int = 3) -> float:
    fn()  # warm-up: compiles
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return min(times)


ex3_by_hand = ex3_fastest(lambda: greedy_by_hand(images))
ex3_cached = ex3_fastest(lambda: step.caption_images(shipped_config, shipped, images))
print(f"greedy by hand {ex3_by_hand * 1e3:.0f} ms, cached decoder {ex3_cached * 1e3:.0f} ms: "
      f"{ex3_by_hand / ex3_cached:.1f} times")  # fmt: skip
assert greedy_by_hand(images) == step.caption_images(shipped_config, shipped, images)  # the same captions
# The times depend on the machine and its load: printed, not checked.
