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
#
# Prerequisites: NumPy and matplotlib. Run time: a few seconds (quick and full mode).

# %%

import matplotlib.pyplot as plt
import numpy as np

from mmjax.data import attributes as A
from mmjax.data.audio import NUM_SAMPLES, SAMPLE_RATE, SLOT
from mmjax.data.preview import spectrogram
from mmjax.data.scene import sample_scene
from mmjax.data.shapes import example
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("02_core_concepts/01_one_scene_four_modalities")
NUM_EXAMPLES = 200 if chapter.quick else 5000  # scenes counted per split in the last section

# %% [markdown]
# ## The scene: integers all the way down
# Example `i` of a split is a pure function of `(seed, split, i)`: no files are stored, and any example can
# be regenerated on any machine.

# %%
scene = sample_scene(seed=0, split="train", index=1)
print(scene)
for key, value in scene.labels().items():
    print(f"{key:12s} {value}")
assert scene == sample_scene(seed=0, split="train", index=1)  # the same integers give the same scene

# %% [markdown]
# ## Rendered four ways
# * **image**: signed-distance shapes, anti-aliased, 32x32 RGB;
# * **caption**: one of several paraphrases;
# * **video**: 8 frames in which the scene slides one grid cell;
# * **audio**: one note per object, 0.576 s at 8 kHz in 9 slots of 64 ms, one slot per grid cell:
#   cell -> onset, colour -> pitch, shape -> timbre, size -> loudness.

# %%
ex = example(0, "train", 1, ("image", "caption", "video", "audio"))
print("caption:      ", ex["caption"])
print("video caption:", ex["video_caption"])
chapter.record("image_pixels", ex["image"].shape[0])
chapter.record("video_frames", len(ex["video"]))
chapter.record("audio_seconds", len(ex["audio"]) / SAMPLE_RATE)
assert len(ex["audio"]) == NUM_SAMPLES == 9 * SLOT

fig, axes = plt.subplots(1, 4, figsize=(17, 3.8), gridspec_kw={"width_ratios": [1, 3, 2, 2.3]})
axes[0].imshow(ex["image"], interpolation="nearest")
figures.label(axes[0], "image (32x32 pixels)", "x (pixels)", "y (pixels)")
axes[1].imshow(figures.strip(ex["video"], gap=2), interpolation="nearest")  # white gaps separate the frames
axes[1].set_xticks([i * (32 + 2) + 16 for i in range(len(ex["video"]))], range(len(ex["video"])))
axes[1].set_yticks([])
figures.label(axes[1], f"video: {len(ex['video'])} frames, sliding {A.MOTIONS[scene.motion]}", "frame")
t = np.arange(len(ex["audio"])) / SAMPLE_RATE
axes[2].plot(t, ex["audio"], lw=0.5, label="waveform")
for cell in range(1, 9):
    axes[2].axvline(cell * SLOT / SAMPLE_RATE, color="grey", lw=0.3, label="slot boundary" if cell == 1 else None)
figures.label(axes[2], "audio: one 64 ms slot per grid cell", "time (s)", "amplitude")
image = figures.heatmap(
    fig,
    axes[3],
    spectrogram(ex["audio"]),
    "magnitude (dB)",
    origin="lower",
    aspect="auto",
    cmap="magma",
    extent=(0, t[-1], 0, SAMPLE_RATE / 2),
)
axes[3].set_ylim(0, 2000)  # every note's fundamental and harmonics lie below 2.5 kHz; most below 2
figures.label(axes[3], "spectrogram: pitch = colour", "time (s)", "frequency (Hz)")
fig.suptitle(f'caption: "{ex["caption"]}"')
figures.save(fig, chapter.out / "one_scene_four_modalities.png", dpi=90)

# %% [markdown]
# Two notes sound, in slot 0 (cell 0, top left) and slot 6 (cell 6, bottom left): the little green circle
# is quieter (size -> loudness) and lower (green sounds at 297 Hz, blue at 344 Hz) than the big blue
# triangle, whose spectrogram also shows its 4th harmonic (triangle -> timbre) at 4 x 344 = 1375 Hz.
#
# ## What the world contains
# Counting attributes over many examples shows the data distribution a model will learn. The split
# `test_heldout` contains only the colour x shape pairs that `train` never shows: a model that truly
# composes "red" and "triangle" should still draw a red triangle. The counts below check that promise
# over `NUM_EXAMPLES` scenes per split (200 in quick mode, 5000 in full mode).


# %%
def pair_counts(split: str, n: int) -> tuple[np.ndarray, int]:
    """Objects per (colour, shape) over the first ``n`` scenes of ``split``, and the number of objects."""
    counts = np.zeros((len(A.COLOURS), len(A.SHAPES)), int)
    for i in range(n):
        for obj in sample_scene(0, split, i).objects:
            counts[obj.colour, obj.shape] += 1
    return counts, int(counts.sum())


heldout = np.zeros((len(A.COLOURS), len(A.SHAPES)), bool)
for colour, shape in A.HELDOUT_PAIR_IDS:
    heldout[colour, shape] = True
train_counts, train_objects = pair_counts("train", NUM_EXAMPLES)
heldout_counts, heldout_objects = pair_counts("test_heldout", NUM_EXAMPLES)
chapter.record("heldout_objects_in_train", train_counts[heldout].sum())
chapter.record("pairs_seen_in_train", (train_counts > 0).sum())
chapter.record("heldout_share_of_test_heldout", heldout_counts[heldout].sum() / heldout_objects)
chapter.record("objects_per_scene", train_objects / NUM_EXAMPLES)
chapter.record("train_pair_spread", train_counts[~heldout].max() / train_counts[~heldout].min())
print(
    f"train: {train_objects} objects in {NUM_EXAMPLES} scenes, {(train_counts > 0).sum()} of 24 pairs seen, "
    f"{train_counts[heldout].sum()} objects of a held-out pair"
)
print(f"test_heldout: {heldout_counts[heldout].sum()} of {heldout_objects} objects are of a held-out pair")
assert train_counts[heldout].sum() == 0 and heldout_counts[~heldout].sum() == 0

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for ax, split, counts in zip(axes, ("train", "test_heldout"), (train_counts, heldout_counts)):
    figures.heatmap(fig, ax, counts, "objects", cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(A.SHAPES)), A.SHAPES)
    ax.set_yticks(range(len(A.COLOURS)), A.COLOURS)
    for (r, c), value in np.ndenumerate(counts):
        ax.text(
            c, r, value, ha="center", va="center", color="white" if value < counts.max() / 2 else "black", fontsize=8
        )
    figures.label(ax, f"{split}: objects per colour x shape ({NUM_EXAMPLES} scenes)", "shape", "colour")
figures.save(fig, chapter.keep("colour_shape_pairs.png"), dpi=90)
print("held-out pairs:", A.HELDOUT_PAIRS)
print(f"most / least frequent allowed pair in train: {train_counts[~heldout].max() / train_counts[~heldout].min():.2f}")
if chapter.quick:  # 300 objects over 20 pairs is too few to look uniform; the full run counts 5000 scenes
    chapter.full_run_figure("colour_shape_pairs.png")

# %% [markdown]
# In `train` the 20 allowed pairs are drawn uniformly: the most frequent pair occurs only slightly more
# often than the least frequent, over 5000 scenes the `train_pair_spread` (their ratio) is about 1.2. Quick mode
# counts 200 scenes, where chance alone makes that ratio several times larger, so it points at the
# committed full-run figure instead.
# Each scene holds one or two objects (the `objects_per_scene` is 1.5 on average); the four held-out
# pairs (the four zeros of the left map) appear only in `test_heldout`, which holds nothing else.
#
# ## Summary
# * A scene is a handful of integers; image, caption, video and audio are deterministic renderings of it.
# * Because the truth is known, every generated sample can later be scored exactly.
# * `test_heldout` measures compositional generalisation: new colour x shape pairs.
#
# ## Exercises
# 1. Add a fifth shape, `"diamond"`, to `A.SHAPES` and a branch for it in `shape_sdf`
#    (`mmjax/data/render.py`; `(abs(dy) + abs(dx) - radius) / sqrt(2)` is a diamond's signed distance), then
#    run `pytest -p no:xdist tests/test_data_render.py tests/test_data_audio.py tests/test_data_text.py`
#    (10 s). You should observe 4 failures that name what else has to grow with the shape list: two audio
#    tests fail with an IndexError in `note` (`TIMBRES` in `mmjax/data/audio.py` has one row per shape), two
#    text tests because "diamond" is not in the tokenizer's vocabulary (`mmjax/data/vocab.json`). Undo the
#    change afterwards.
# 2. Render one **small** object of each shape at `image_size=16` (build the scene with
#    `mmjax.data.scene.scene_from_labels`, one object in the centre cell) and measure the area it covers in
#    pixels: the sum over pixels of `image.max(-1) / max(colour's RGB)`. You should find that the small
#    triangle covers only about 5.9 pixels (the circle about 10): shapes this small differ by a pixel or two, which
#    is why `MIN_IMAGE_SIZE` is 16. Check the triangle:
#    `check(area_triangle, expected=5.9, tol=0.3, hint="a small object's half-extent is 0.11 * image_size")`
#    (`from mmjax.utils.selfcheck import check`).
# 3. Listen to `ex["audio"]` (`scipy.io.wavfile.write("scene.wav", 8000, ex["audio"])`): the two notes
#    differ in pitch. Find the pitch of the first note: take `np.fft.rfft` of the first 512 samples and the
#    frequency of its largest peak (`np.fft.rfftfreq(512, 1 / 8000)`). You should find the green circle's
#    297 Hz: `check(peak_hz, expected=296.9, tol=1, hint="slot 0 holds the object in cell 0")`.
#
# Graded: `mmjax assignment new stft_mel --dir hw` writes stubs (docstrings and equations kept) of
# the short-time Fourier transform and the mel filterbank; `mmjax assignment grade hw` then scores your code
# test by test.
#
# ## Expected results
# | figure | full run | quick run |
# |---|---|---|
# | `image_pixels`: side of the image | 32 ± 0 | 32 ± 0 |
# | `video_frames`: frames per video | 8 ± 0 | 8 ± 0 |
# | `audio_seconds`: length of a clip | 0.576 ± 0.001 | 0.576 ± 0.001 |
# | `heldout_objects_in_train`: objects of a held-out pair in `train` | 0 ± 0 | 0 ± 0 |
# | `pairs_seen_in_train`: colour x shape pairs in `train` (of 24) | 20 ± 0 | 20 ± 0 |
# | `heldout_share_of_test_heldout`: share of held-out pairs in `test_heldout` | 1 ± 0 | 1 ± 0 |
# | `objects_per_scene`: mean objects per scene | 1.5 ± 0.03 | 1.5 ± 0.15 |
# | `train_pair_spread`: most / least frequent allowed pair in `train` | 1 .. 1.5 | - (200 scenes are too few) |

# %%
chapter.finish()
