# Exercise 1
from mmjax.utils.selfcheck import check

ex1_tent = np.asarray(tent_by_hand(0.5))
assert np.count_nonzero(np.isclose(ex1_tent[10], 0.5)) == 2 and np.count_nonzero(ex1_tent[10]) == 2
assert check(float(ex1_tent[10].sum()), expected=1.0, tol=1e-6)
# Row 0 reads pixel 0 - 0.5: half of it is pixel 0, the other half lies outside the canvas (black enters), so 0.5.
assert check(float(ex1_tent[0].sum()), expected=0.5, tol=1e-6, name="row 0")


# Exercise 2
def ex2_centroid(frame):
    """The brightness-weighted (row, column) of a frame in [0, 1]."""
    weight = frame.sum(-1)
    rows, cols = np.mgrid[: frame.shape[0], : frame.shape[1]]
    return np.array([(weight * rows).sum(), (weight * cols).sum()]) / weight.sum()


ex2_clips = np.stack([model.generate_video(prompts[0], seed=seed) for seed in range(8)])  # [8, T, 32, 32, 3]
animation.save_gif(animation.tile(ex2_clips, columns=4), chapter.out / "ex2_seeds.gif")  # the 8 seeds side by side
ex2_x = ex2_clips.astype(np.float32) / 255.0
ex2_moves = np.array([ex2_centroid(clip[-1]) - ex2_centroid(clip[0]) for clip in ex2_x])  # [8, 2] (down, right)
print("seed-to-seed first-frame change:", [round(float(np.abs(c[0] - ex2_x[0, 0]).mean()), 4) for c in ex2_x])
print("moves (down, right) px:", np.round(ex2_moves, 2).tolist())
# What never changes: the motion, one cell (9.6 px) to the right, whatever the seed.
assert np.allclose(ex2_moves[:, 0], 0.0, atol=0.3) and np.allclose(ex2_moves[:, 1], float(one_cell_right[1]), atol=0.3)
# What changes: very little, a few pixels at the shape's edge; the seeds draw almost the same picture.
ex2_seed_change = np.abs(ex2_x[1:, 0] - ex2_x[0, 0]).mean(axis=(1, 2, 3))  # [7]
assert (ex2_seed_change > 0).all() and (ex2_seed_change < 0.01).all(), ex2_seed_change

# Exercise 3
from mmjax.metrics.video import temporal_smoothness

ex3_x = clips[0].astype(np.float32) / 255.0  # [T, 32, 32, 3], moving right
ex3_change = float(np.abs(ex3_x[1:] - ex3_x[:-1]).mean())
assert check(ex3_change, expected=temporal_smoothness(clips[:1])["change"], tol=1e-6, name="change by hand")
# Which pixels change: only those at the shape's left and right edges (inside it and the background stay put).
ex3_moved = np.abs(ex3_x[1:] - ex3_x[:-1]).max(-1) > 2 / 255  # [T-1, 32, 32]
ex3_step = np.abs(np.diff(ex3_x[:-1], axis=2)).max(-1) > 2 / 255  # [T-1, 32, 31] columns j, j+1 differ in frame t
ex3_padded = np.pad(ex3_step, ((0, 0), (0, 0), (2, 2)))  # column j of ex3_step at j + 2
# near an edge: a step between columns j-2 .. j+2 (a move of 1.4 px a frame reaches that far)
ex3_near_edge = np.stack([ex3_padded[:, :, k : k + size] for k in range(4)]).any(axis=0)  # [T-1, 32, 32]
print(f"changed pixels per step: {ex3_moved.mean():.3f}; of them near an edge: {ex3_near_edge[ex3_moved].mean():.3f}")
assert ex3_moved.mean() < 0.3 and ex3_near_edge[ex3_moved].mean() > 0.95

# Exercise 4
ex4_clips = [model.generate_video("a small red circle at the top moving up", seed=seed) for seed in range(3)]
ex4_up = cell_steps(size)[A.MOTIONS.index("up")]
for ex4_clip in ex4_clips:
    ex4_x = ex4_clip.astype(np.float32) / 255.0
    ex4_rows = np.array([ex2_centroid(frame)[0] for frame in ex4_x])
    print("centre row per frame:", np.round(ex4_rows, 1).tolist())
    # It still moves up one cell, but it slides *into* the top row: it starts one cell lower and ends at the top.
    assert (np.diff(ex4_rows) < 0).all() and abs(ex4_rows[0] - ex4_rows[-1] - float(-ex4_up[0])) < 0.5
    assert ex4_rows[-1] < size / 3 and ex4_rows[0] > size / 3
    # Nothing leaves the canvas: every frame is as bright as the drawing ...
    assert np.allclose(ex4_x.sum(axis=(1, 2, 3)), ex4_x[-1].sum(), rtol=0.02)
    # ... whereas sliding the drawing (the last frame) up from where it is would push it off the top.
    ex4_off = slide(2.0 * jnp.asarray(ex4_x[-1:]) - 1.0, ex4_up[None], num_frames)[0]
    assert float((ex4_off[-1] + 1.0).sum() / 2.0) < 0.5 * ex4_x[-1].sum()
