# %% [markdown]
# # Chapter 2.3: aligning modalities through the scene
#
# Multimodal learning needs *paired* data: this image goes with that caption. In the Shapes world pairs are
# aligned by construction, and we can check the alignment exactly: parse the caption back into labels,
# decode the audio back into labels, measure the image, and compare all of them with the scene.
#
# Prerequisites: chapters 2.1 and 2.2. Run time: a few seconds (quick and full mode).

# %%
import textwrap

import matplotlib.pyplot as plt
import numpy as np
from scipy import ndimage

from mmjax.data import attributes as A
from mmjax.data.audio import decode_audio
from mmjax.data.captions import caption_matches_scene, parse_caption
from mmjax.data.loader import Loader
from mmjax.data.render import RADIUS, cell_centre, render_image
from mmjax.data.scene import scene_from_labels
from mmjax.data.shapes import ShapesSource
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("02_core_concepts/03_alignment")
N = 100 if chapter.quick else 2000  # test examples checked

# %% [markdown]
# ## Measuring the image
# Captions and sounds can be read back with a parser and a decoder. An image needs a measurement: the
# renderer paints each object's colour with coverage $\alpha(p) \in [0, 1]$ on a black canvas, so a pixel's
# brightness $b(p) = \max_c \text{image}(p, c) = \alpha(p) \max_c \text{rgb}_c$ tells how much of it the
# object covers. The two objects of a scene sit two grid cells apart and never touch, so
#
# * each **object** is a connected region of lit pixels $\{p : b(p) > 0\}$;
# * its **cell** is the grid cell whose centre $c_k$ is nearest to the region's centre of mass
#   $m = \sum_p b(p)\, p \,/\, \sum_p b(p)$, i.e. the cell that holds the object's mass;
# * its **colour** is the palette colour nearest to the pixel at $m$ (inside every shape, where $\alpha = 1$);
# * its **size** follows from its area $\sum_p \alpha(p) = \sum_p b(p) / \max_c \text{rgb}_c$ in pixels: the
#   largest small shape (a circle, $\pi (0.11 \cdot 32)^2 \approx 39$ px) is far below the smallest large
#   one (a triangle, $1.87\,(0.18 \cdot 32)^2 \approx 62$ px), so "large" means an area above 50 px.
#
# The shape is not measured here (exercise 3 tries it from the area alone); later chapters measure
# generated images with a learned classifier instead. (`scipy`, which finds the connected regions, comes
# with JAX.)

# %%
SIZE_THRESHOLD = 50.0  # pixels of area between the largest small and the smallest large shape
PALETTE = np.asarray(A.COLOUR_RGB, np.float64)
CELL_CENTRES = np.array([cell_centre(r, c, 32) for r in range(A.GRID) for c in range(A.GRID)]) - 0.5  # pixel index
assert np.pi * (RADIUS[0] * 32) ** 2 < SIZE_THRESHOLD < 1.87 * (RADIUS[1] * 32) ** 2


def measure_image(image: np.ndarray) -> list[tuple[int, int, int, tuple[float, float]]]:
    """``(cell, colour, size, centre of mass (y, x))`` of every object in a 32x32 Shapes image, by cell."""
    brightness = image.max(-1).astype(np.float64)  # alpha(p) * max(rgb)
    regions, count = ndimage.label(brightness > 0, structure=np.ones((3, 3)))  # 8-connected regions
    objects = []
    for k in range(1, count + 1):
        ys, xs = np.nonzero(regions == k)
        weight = brightness[ys, xs]
        mass_centre = np.array([ys @ weight, xs @ weight]) / weight.sum()
        cell = int(np.argmin(((CELL_CENTRES - mass_centre) ** 2).sum(1)))
        y, x = np.round(mass_centre).astype(int)
        colour = int(np.argmin(((PALETTE - image[y, x]) ** 2).sum(1)))
        area = weight.sum() / PALETTE[colour].max()
        objects.append((cell, colour, int(area > SIZE_THRESHOLD), tuple(mass_centre)))
    return sorted(objects)


def labelled_objects(scene) -> list[tuple[int, int, int]]:
    """The same triples from the labels."""
    return sorted((o.cell, o.colour, o.size) for o in scene.objects)


# A check of the few lines above: a large red circle in the centre cell, without jitter, covers
# pi * (0.18 * 32)^2 = 104.2 pixels around the canvas centre, pixel index (15.5, 15.5).
circle = {
    "num_objects": 1,
    "shape": [0],
    "colour": [0],
    "size": [1],
    "row": [1],
    "col": [1],
    "relation": -1,
    "motion": 0,
}
image = render_image(scene_from_labels(circle))
[(cell, colour, size, centre)] = measure_image(image)
assert (cell, A.COLOURS[colour], A.SIZES[size]) == (4, "red", "large") and np.allclose(centre, 15.5)
assert abs(image.max(-1).sum() / max(A.COLOUR_RGB[0]) - np.pi * (0.18 * 32) ** 2) < 1.0


# %% [markdown]
# ## Three views, one truth
# For each of `N` test examples (100 in quick mode, 2000 in full mode): does the caption describe the
# scene? does the sound decode to the scene? does the image measure as the scene (same number of objects,
# and each one's cell, colour and size)?

# %%
source = ShapesSource("test", N, ("image", "caption", "audio"))
caption_ok = audio_ok = 0
image_ok = {"objects": 0, "cell": 0, "colour": 0, "size": 0}
for i in range(N):
    ex = source[i]
    scene = scene_from_labels(ex)
    caption_ok += caption_matches_scene(parse_caption(ex["caption"]), scene)
    decoded = decode_audio(ex["audio"])
    truth = scene.canonical()
    audio_ok += [(o.shape, o.colour, o.size, o.cell) for o in decoded.objects] == [
        (o.shape, o.colour, o.size, o.cell) for o in truth.objects
    ]
    measured, labelled = measure_image(ex["image"]), labelled_objects(scene)
    if len(measured) == len(labelled):
        image_ok["objects"] += 1
        for j, attribute in enumerate(("cell", "colour", "size")):
            image_ok[attribute] += [m[j] for m in measured] == [t[j] for t in labelled]  # both ordered by cell
print(f"caption agrees with scene:   {caption_ok}/{N}")
print(f"audio decodes to scene:      {audio_ok}/{N}")
print("image measures as scene:    ", ", ".join(f"{k} {v}/{N}" for k, v in image_ok.items()))
chapter.record("caption_agreement", caption_ok / N)
chapter.record("audio_agreement", audio_ok / N)
chapter.record("image_agreement", min(image_ok.values()) / N)
assert caption_ok == audio_ok == N and min(image_ok.values()) == N

# %% [markdown]
# Every caption, every sound and every image agrees with its scene: the `caption_agreement`, the
# `audio_agreement` and the `image_agreement` are all 1.0.
#
# ## Aligned batches
# The loader (see chapter 7.2) stacks examples, so row `b` of every array in a batch belongs to the same
# scene. A text-to-image model reads `tokens[b]` and is trained to produce `image[b]`; its output can be
# judged against `shape[b]`, `colour[b]`, ... directly. Below each image: its labels, and what the
# measurement above reads from its pixels (a white + marks each measured centre of mass).

# %%
loader = Loader(ShapesSource("train", 64, ("image", "caption")), batch_size=6, seed=0)
batch = next(loader)
print({k: v.shape for k, v in batch.items()})


def describe(cell, colour, size, shape=None) -> str:
    return f"cell {cell} {A.SIZES[size]} {A.COLOURS[colour]}" + (f" {A.SHAPES[shape]}" if shape is not None else "")


fig, axes = plt.subplots(2, 3, figsize=(12, 10))
for b, ax in enumerate(axes.flat):
    ax.imshow(batch["image"][b], interpolation="nearest")
    scene = scene_from_labels(
        {k: batch[k][b] for k in ("num_objects", "shape", "colour", "size", "row", "col", "relation", "motion")}
    )
    labelled = sorted(scene.objects, key=lambda o: o.cell)
    measured = measure_image(batch["image"][b])
    for *_, (y, x) in measured:
        ax.plot(x, y, "+", color="white", markersize=10)
    lines = [f"{describe(o.cell, o.colour, o.size, o.shape)} -> {describe(*m[:3])}" for o, m in zip(labelled, measured)]
    ax.set_title("\n".join(textwrap.wrap(f'"{batch["caption"][b]}"', 40)), fontsize=9)
    ax.set_xlabel("labels -> measured from the pixels\n" + "\n".join(lines), fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("One batch: caption (title), labels and image measurement (below) of the same row b")
figures.save(fig, chapter.out / "aligned_batch.png", dpi=90)
print("loader position to save for an exact resume:", loader.state)

# %% [markdown]
# ## Summary
# * Every modality is a view of one scene, so alignment can be *verified*, not assumed.
# * The same checks (caption parser, audio decoder, image measurement) become evaluation metrics for
#   generated captions, sounds and images in later chapters.
#
# ## Exercises
# 1. Corrupt every caption by swapping two words: for each of the first 2000 `test` captions, swap the
#    words at two distinct positions drawn with `rng.choice(len(words), 2, replace=False)`
#    (`rng = np.random.default_rng(0)`, one draw per caption, in order). What fraction does `parse_caption`
#    still accept, and what fraction is still a true description (`caption_matches_scene`)? You should find
#    that only 69 of 2000 parse and 39 of 2000 are still true: 33 of those swapped two equal words (the two
#    a's of a two-object caption), 6 two synonyms of one size ("big" and "large" of two large objects), and
#    30 parse into a false description: `check(parsed / 2000, expected=0.0345, tol=0.002)` and
#    `check(still_true / 2000, expected=0.0195, tol=0.002)` (`from mmjax.utils.selfcheck import check`).
# 2. Add white noise to the audio at decreasing signal-to-noise ratios: for the first 200 `test` clips, add
#    `sigma * rng.standard_normal(4608)` with `sigma = sqrt(mean(clip**2) / 10**(snr / 10))` and a fresh
#    `rng = np.random.default_rng(0)` per SNR, for `snr` = 20, 18, ..., -10 dB; count a clip as decoded
#    when `decode_audio` returns the true (canonical) objects (a ValueError counts as a failure). You should
#    find every clip decoded down to 14 dB, and 87.5% at 12 dB, the first level below 90%:
#    `check(first_snr_below_90_percent, expected=12, tol=0)`. (About 10 s.)
# 3. Measure the shape too: the area of a shape of half-extent $r$ is $\pi r^2$ (circle), $(1.7 r)^2$
#    (square), $1.87 r^2$ (triangle) and $2.36 r^2$ (cross), with $r$ = `RADIUS[size] * 32`. Classify every
#    object of the first 2000 `test` images as the (shape, size) whose area is nearest to its measured area.
#    You should find 3015 of 3017 objects right, `check(accuracy, expected=0.9993, tol=0.0004)`; the two
#    misses are large circles read as large squares. Why? (Look at where they are on the canvas.)
#
# ## Expected results
# | figure | full run | quick run |
# |---|---|---|
# | `caption_agreement`: captions that describe their scene | 1 ± 0 | 1 ± 0 |
# | `audio_agreement`: clips that decode to their scene | 1 ± 0 | 1 ± 0 |
# | `image_agreement`: images whose objects, cells, colours and sizes measure as labelled | 1 ± 0 | 1 ± 0 |

# %%
chapter.finish()
