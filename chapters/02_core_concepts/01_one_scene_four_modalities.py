# %% [markdown]
# # Chapter 2.1: one scene, four modalities
#
# Multimodal generation maps one *modality* (a way of showing information) to another: text to image,
# image to text, text to video, audio to image. To learn it we need data in which the same content appears
# in every modality. Photo data sets pair an image with a human caption, but nobody knows the exact truth
# of a photo. mmjax's **Shapes world** starts from the truth instead: a *scene* (objects with a shape,
# colour, size and grid cell) from which every modality is rendered.
#
# $$\text{scene} \;\longrightarrow\; (\text{image},\ \text{caption},\ \text{video},\ \text{audio})$$

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from mmjax.data import attributes as A
from mmjax.data.audio import SAMPLE_RATE, SLOT
from mmjax.data.preview import spectrogram
from mmjax.data.scene import sample_scene
from mmjax.data.shapes import example
from mmjax.utils.chapter import output_dir, quick_mode

OUT = output_dir("02_core_concepts")
NUM_EXAMPLES = 200 if quick_mode() else 5000

# %% [markdown]
# ## The scene: integers all the way down
# Example `i` of a split is a pure function of `(seed, split, i)`: no files are stored, and any example can
# be regenerated on any machine.

# %%
scene = sample_scene(seed=0, split="train", index=1)
print(scene)
for key, value in scene.labels().items():
    print(f"{key:12s} {value}")

# %% [markdown]
# ## Rendered four ways
# * **image**: signed-distance shapes, anti-aliased, 32x32 RGB;
# * **caption**: one of several paraphrases;
# * **video**: 8 frames in which the scene slides one grid cell;
# * **audio**: one note per object: cell -> onset, colour -> pitch, shape -> timbre, size -> loudness.

# %%
ex = example(0, "train", 1, ("image", "caption", "video", "audio"))
print("caption:      ", ex["caption"])
print("video caption:", ex["video_caption"])

fig, axes = plt.subplots(1, 4, figsize=(16, 3.5), gridspec_kw={"width_ratios": [1, 3, 2, 2]})
axes[0].imshow(ex["image"], interpolation="nearest")
axes[0].set_title("image")
axes[1].imshow(np.concatenate(list(ex["video"]), axis=1), interpolation="nearest")
axes[1].set_title("video frames 0..7")
t = np.arange(len(ex["audio"])) / SAMPLE_RATE
axes[2].plot(t, ex["audio"], lw=0.5)
for cell in range(1, 9):
    axes[2].axvline(cell * SLOT / SAMPLE_RATE, color="grey", lw=0.3)
axes[2].set_title("waveform (one slot per grid cell)")
axes[2].set_xlabel("seconds")
axes[3].imshow(spectrogram(ex["audio"]), origin="lower", aspect="auto", cmap="magma",
               extent=(0, t[-1], 0, SAMPLE_RATE / 2))
axes[3].set_title("spectrogram")
axes[3].set_xlabel("seconds")
for ax in axes[:2]:
    ax.axis("off")
fig.suptitle(ex["caption"])
fig.savefig(OUT / "one_scene_four_modalities.png", dpi=90, bbox_inches="tight")
plt.close(fig)

# %% [markdown]
# ## What the world contains
# Counting attributes over many examples shows the data distribution a model will learn. The split
# `test_heldout` contains only the colour x shape pairs that `train` never shows: a model that truly
# composes "red" and "triangle" should still draw a red triangle.

# %%
def pair_counts(split: str, n: int) -> np.ndarray:
    counts = np.zeros((len(A.COLOURS), len(A.SHAPES)), int)
    for i in range(n):
        for obj in sample_scene(0, split, i).objects:
            counts[obj.colour, obj.shape] += 1
    return counts


fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, split in zip(axes, ("train", "test_heldout")):
    counts = pair_counts(split, NUM_EXAMPLES)
    ax.imshow(counts, cmap="viridis")
    ax.set_xticks(range(len(A.SHAPES)), A.SHAPES)
    ax.set_yticks(range(len(A.COLOURS)), A.COLOURS)
    ax.set_title(f"{split}: objects per colour x shape")
    for (r, c), value in np.ndenumerate(counts):
        ax.text(c, r, value, ha="center", va="center", color="white", fontsize=8)
fig.savefig(OUT / "colour_shape_pairs.png", dpi=90, bbox_inches="tight")
plt.close(fig)
print("held-out pairs:", A.HELDOUT_PAIRS)

# %% [markdown]
# ## Summary
# * A scene is a handful of integers; image, caption, video and audio are deterministic renderings of it.
# * Because the truth is known, every generated sample can later be scored exactly.
# * `test_heldout` measures compositional generalisation: new colour x shape pairs.
#
# ## Exercises
# 1. Add a fifth shape (e.g. a diamond) to `mmjax/data/render.py`. Which tests tell you what else to update?
# 2. Render at `image_size=16`. Which shapes become hard to tell apart, and why?
# 3. Listen to `ex["audio"]` (e.g. `scipy.io.wavfile.write`). Can you hear the colour of each object?
