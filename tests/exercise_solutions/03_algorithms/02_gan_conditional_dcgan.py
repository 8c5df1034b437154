# Exercise 1
# The full run's G takes 3 minutes to train; the exercises' small versions run here: a 16 x 16 G of width 8
# trained for 300 steps, which has learned where to draw and roughly how big, not yet the colour.
from mmjax.gan.dcgan.model import condition_from_labels
from mmjax.gan.sampler import to_uint8
from mmjax.utils.selfcheck import check

small = dataclasses.replace(
    config, image_size=16, width=8, latent_dim=32, embed_dim=32, batch_size=32, num_train_examples=4096,
    g_learning_rate=8e-4, d_learning_rate=8e-4,
)  # fmt: skip


def ex_train_small(small_config) -> dict:
    """``small_config`` trained for 300 steps through the shared loop, in a fresh folder: the final state."""
    folder = chapter.out / "runs" / f"small_{small_config.g_learning_rate:g}"
    shutil.rmtree(folder, ignore_errors=True)
    small_settings = dataclasses.replace(settings, steps=300, run_dir=str(folder), checkpoint_every=300, log_every=50)
    return loop.train(TASK, small_config, small_settings, log=lambda message: None).state


def ex_draw(small_config, small_state, labels, s: float = 1.0) -> np.ndarray:
    """G's images for ``labels`` from z = s * N(0, I) (key 5), as uint8."""
    g = small_state["generator"]
    z = s * jax.random.normal(jax.random.key(5), (len(labels["shape"]), small_config.latent_dim))
    generator = dcgan.spec(small_config).generator
    return np.asarray(to_uint8(F.call(generator, {"params": g["params"], "state": g["state"]}, z,
                                      condition_from_labels(labels))[0]))  # fmt: skip


small_state = ex_train_small(small)
held = np.array([(c, s) in A.HELDOUT_PAIR_IDS for c, s in zip(one_object["colour"][:, 0], one_object["shape"][:, 0])])
pairs = {k: v[held] for k, v in one_object.items()}
assert held.sum() == 72
ex1_cell, ex1_colour, ex1_size = measure(ex_draw(small, small_state, one_object))
ex1_held_cell, ex1_seen_cell = (
    np.mean(ex1_cell[held] == wanted["cell"][held]),
    np.mean(ex1_cell[~held] == wanted["cell"][~held]),
)
ex1_rest = {name: np.mean(found == wanted[name]) for name, found in (("colour", ex1_colour), ("size", ex1_size))}
print(f"small G: cell {ex1_held_cell:.3f} on the 72 held-out labels, {ex1_seen_cell:.3f} on the 360 others; "
      f"colour {ex1_rest['colour']:.3f} (chance 0.167), size {ex1_rest['size']:.3f}")  # fmt: skip
assert check(ex1_seen_cell, expected=0.95, tol=0.05, name="cell, seen pairs")
assert check(ex1_held_cell, expected=ex1_seen_cell, tol=0.06, name="cell, held-out pairs (against seen)")

# Exercise 2
ex2_cell, _, ex2_size = measure(ex_draw(small, small_state, one_object, s=0.5))
ex2_before, ex2_after = np.mean(ex1_size == wanted["size"]), np.mean(ex2_size == wanted["size"])
print(f"truncated z (0.5): size {ex2_before:.3f} -> {ex2_after:.3f}, cell {np.mean(ex1_cell == wanted['cell']):.3f} "
      f"-> {np.mean(ex2_cell == wanted['cell']):.3f}")  # fmt: skip
assert check(ex2_before, expected=0.74, tol=0.05, name="size with N(0, I)")
assert check(ex2_after, expected=0.63, tol=0.05, name="size with N(0, 0.5^2 I)")
assert np.mean(ex2_cell == wanted["cell"]) >= np.mean(ex1_cell == wanted["cell"]) - 0.03  # the cell is not lost

# Exercise 3
default = dataclasses.replace(small, g_learning_rate=2e-4, d_learning_rate=2e-4)  # DCGANConfig()'s step sizes
ex3_cell, _, ex3_size = measure(ex_draw(default, ex_train_small(default), one_object))
ex3_cell_accuracy = np.mean(ex3_cell == wanted["cell"])
print(f"300 steps at 2e-4: cell {ex3_cell_accuracy:.3f}, size {np.mean(ex3_size == wanted['size']):.3f}"
      f" (at 8e-4: {np.mean(ex1_cell == wanted['cell']):.3f}, {ex2_before:.3f})")  # fmt: skip
assert check(ex3_cell_accuracy, expected=0.11, tol=0.05, name="cell at 2e-4 (chance 0.11)")
assert ex3_cell_accuracy < np.mean(ex1_cell == wanted["cell"]) - 0.5
