# Exercise 1
from mmjax.utils.selfcheck import check


def ex1_real_floor(num):
    """What `mmjax eval real --splits test --num-samples num` reports as shapes_fid and kid: the real generator
    on test prompts 0 .. num-1 against renders of test num .. 2 num-1, KID on 10 subsets of half the samples."""
    generated = G.BUILTIN["real"][1](prompt_batch("test", 0, num), jax.random.key(0))
    others = np.stack([render_image(s) for s in prompt_batch("test", num, num)["scenes"]])
    real_features, fake_features = judge_features(judge, others), judge_features(judge, generated)
    kid, kid_std = kernel_distance(real_features, fake_features, num_subsets=10, subset_size=num // 2, seed=0)
    return frechet_distance(real_features, fake_features), kid, kid_std


ex1_predicted = fid_at["real"][-1] * SIZES[-1] / 1000  # the dashed c / N line, read at N = 1000
fid_100, _, _ = ex1_real_floor(100)
fid_1000, kid_1000, ex1_kid_std = ex1_real_floor(1000)
print(f"predicted {ex1_predicted:.2f}; measured FID floor {fid_100:.2f} (N = 100), {fid_1000:.2f} (N = 1000)")
print(f"KID at N = 1000: {kid_1000:+.4f} ± {ex1_kid_std:.4f}")
assert check(fid_1000, expected=1.5, rtol=0.3)
assert check(fid_100 / fid_1000, expected=10, rtol=0.35)
assert check(kid_1000, expected=0, tol=0.01)
assert check(ex1_predicted, expected=fid_1000, rtol=0.5, name="the 1/N prediction")

# Exercise 2
ex2_fid_narrow = frechet_distance(real_2d, fake_2d)  # the narrow cloud of the chapter's cell, before real_2d changes
rng = np.random.default_rng(1)
real_2d = rng.normal(size=(400, 2))
wide = 3.0 * rng.normal(size=(400, 2))
p, r = precision_recall(real_2d, wide, k=3)
print(f"too wide: precision {p:.3f} (falls), recall {r:.3f}")
assert check(p, expected=0.53, tol=0.05) and check(r, expected=0.97, tol=0.03)
# FID alone: both the wide and the narrow cloud are far from the real one, with no word on which way they are
# wrong; precision and recall say it (narrow: recall falls, wide: precision falls).
ex2_fid_wide = frechet_distance(real_2d, wide)
print(f"FID: wide {ex2_fid_wide:.2f}, narrow {ex2_fid_narrow:.2f}")
assert ex2_fid_wide > 1 and ex2_fid_narrow > 0.5
assert precision_by_hand > recall_by_hand and p < r  # narrow loses recall, wide loses precision
