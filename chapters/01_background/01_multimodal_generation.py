# %% [markdown]
# # Chapter 1.1: what multimodal generation is
#
# A *modality* is one way of showing information: a picture, a sentence, a video, a sound. **Multimodal
# generation** is making content in one modality from content in another: a picture from a sentence, a
# sentence from a picture, a clip from a sentence, a picture from a sound. mmjax ships a model for each of these
# on the Shapes world (coloured shapes on a 3 x 3 grid, chapter 2.1), so this book starts by running them, and
# by counting what each gets right and wrong. When the first two both work, a sentence goes round like this:
#
# $$\text{"a big red circle at the upper left"} \;\xrightarrow{\ G\ }\; \text{image}
#   \;\xrightarrow{\ C\ }\; \text{"a large red circle at the top left"}$$
#
# $G$ is a GAN that draws a 32 x 32 picture for a caption, $C$ a Transformer that writes a caption for a
# picture. Both are loaded from the package, offline, in a second or two; every call below runs on a CPU.
#
# Prerequisites: none (this is the first chapter). Run time: about half a minute in quick mode, a minute or two
# in full mode (they differ only in how many prompts are counted at the end).

# %%
import textwrap

import matplotlib.pyplot as plt
import numpy as np

import mmjax
from mmjax.cycle import caption_agreement
from mmjax.data.audio import SAMPLE_RATE, decode_audio
from mmjax.data.preview import spectrogram
from mmjax.data.scene import sample_scene
from mmjax.data.shapes import example
from mmjax.metrics.coherence import attribute_accuracy, caption_targets, right_by_object_count
from mmjax.metrics.judge.export import load_judge
from mmjax.metrics.judge.inference import judge_labels, judge_videos
from mmjax.metrics.video import video_accuracy
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("01_background/01_multimodal_generation")
COUNT = 16 if chapter.quick else 256  # prompts, pictures, videos and sounds counted in the last section

# %% [markdown]
# ## Both directions in four lines
# `mmjax.load_pretrained("shapes")` returns one object with both directions: `generate_image(text, seed)`
# draws a `PIL.Image`, `generate_text(image)` writes a caption for a picture.

# %%
model = mmjax.load_pretrained("shapes")
prompts = [
    "a big red circle at the upper left",
    "a small blue square above a large yellow triangle",
    "there is a large green cross in the centre",
    "a tiny magenta triangle to the right of a big cyan circle",
]
drawn = [model.generate_image(prompt, seed=0) for prompt in prompts]  # four 32 x 32 RGB PIL images
read_back = [model.generate_text(image) for image in drawn]  # and a caption for each
for prompt, caption in zip(prompts, read_back):
    print(f'"{prompt}"  ->  picture  ->  "{caption}"')
assert all(image.size == (32, 32) and image.mode == "RGB" for image in drawn)

# %% [markdown]
# The other direction starts from pictures nobody generated: real renders of the `test` split, whose true
# captions we know, so we can see whether the caption $C$ writes states the same facts (sizes, colours,
# shapes, where they are; `mmjax.cycle.caption_agreement` compares them fact by fact, whatever the wording).

# %%
real = [example(0, "test", i) for i in range(4)]
captions = model.generate_texts([item["image"] for item in real])
agrees = caption_agreement([item["caption"] for item in real], captions)
for item, caption, ok in zip(real, captions, agrees):
    print(f'real test image, true caption "{item["caption"]}"  ->  "{caption}" ({"agrees" if ok else "differs"})')


def wrapped(text: str, width: int = 30) -> str:
    return "\n".join(textwrap.wrap(text, width))


fig, axes = plt.subplots(2, 4, figsize=(11, 8.2))
for ax, prompt, image, caption, ok in zip(axes[0], prompts, drawn, read_back, caption_agreement(prompts, read_back)):
    ax.imshow(np.asarray(image), interpolation="nearest")
    ax.set_title(wrapped(f'text: "{prompt}"'), fontsize=8)
    ax.set_xlabel(wrapped(f'read back: "{caption}"'), fontsize=8, color="tab:green" if ok else "tab:red")
for ax, item, caption, ok in zip(axes[1], real, captions, agrees):
    ax.imshow(item["image"], interpolation="nearest")
    ax.set_title(wrapped(f'real image; true: "{item["caption"]}"'), fontsize=8)
    ax.set_xlabel(wrapped(f'caption: "{caption}"'), fontsize=8, color="tab:green" if ok else "tab:red")
for ax in axes.flat:
    ax.set_xticks([]), ax.set_yticks([])
axes[0, 0].set_ylabel("text -> image\n(the GAN G)", fontsize=9)
axes[1, 0].set_ylabel("image -> text\n(the captioner C)", fontsize=9)
fig.suptitle(
    "The shipped Shapes models in both directions\n"
    "(a caption in green states the facts of its prompt or of the true caption, in red it does not)"
)
figures.save(fig, chapter.out / "both_directions.png", dpi=90)

# %% [markdown]
# The bottom row is the captioner at its usual level: all four real pictures are named right. The top row is
# the text-to-image GAN at *its* usual level: every prompt is drawn with the right objects, colours, sizes and
# places, two-object prompts included, and every caption read back states the prompt's facts. Its generator
# reads the caption into one slot per object and draws each object in its own cell (chapter 3.6). What it
# does not yet draw as the renderer does is the outline: edges are soft and the cross is ragged. The last
# section counts both models over 256 test prompts.
#
# ## The four tasks and where each lives in mmjax
# The source text's section 2.2 names four tasks. mmjax ships a trained model for each, all on the Shapes
# world and all loaded offline:
#
# | task | input -> output | in mmjax (the chapter that builds or runs it) |
# |---|---|---|
# | text-to-image | caption -> 32 x 32 picture | `load_pretrained("shapes")`, `generate_image`: a GAN (5.2) |
# | image-to-text | picture -> caption | `load_pretrained("shapes")`, `generate_text`: a Transformer (5.3) |
# | text-to-video | "... moving left" -> 8 frames | `load_pretrained("shapes-video")`, `generate_video`: a GAN (6.1) |
# | audio-to-image | a 0.576 s sound -> picture | `load_pretrained("shapes-audio")`, `generate_image_from_audio` (6.2) |
#
# Every Shapes example carries all four modalities of one scene (`example(..., modalities=("image", "caption",
# "video", "audio"))`): that is where each model's training pairs come from, and why each one's output can be
# scored exactly. Each has a reference to be scored against: the real picture or clip of a caption, and for a
# sound also `decode_audio`, an exact inverse of this sonification written by hand. The figure puts the four
# tasks side by side on one scene, each done by its shipped model.

# %%
video_model = mmjax.load_pretrained("shapes-video")
audio_model = mmjax.load_pretrained("shapes-audio")
item = example(0, "test", 7, ("image", "caption", "video", "audio"))
generated = model.generate_image(item["caption"], seed=0)
from_sound = audio_model.generate_image_from_audio(item["audio"], seed=0)  # the learned model, not the decoder
clip = video_model.generate_video(item["video_caption"], seed=0)  # uint8 [8, 32, 32, 3]
fig, axes = plt.subplot_mosaic([["t2i", "i2t", "sound", "a2i"], ["video"] * 4, ["real"] * 4], figsize=(12, 8.2),
                               height_ratios=[2.2, 1, 1])  # fmt: skip
axes["t2i"].imshow(np.asarray(generated), interpolation="nearest")
axes["t2i"].set_title(wrapped(f'text -> image (G):\n"{item["caption"]}"'), fontsize=8)
axes["i2t"].imshow(item["image"], interpolation="nearest")
axes["i2t"].set_title(wrapped(f'image -> text (C):\n"{model.generate_text(item["image"])}"'), fontsize=8)
figures.heatmap(
    fig, axes["sound"], spectrogram(item["audio"]), "magnitude (dB)", origin="lower", aspect="auto", cmap="magma",
    extent=(0, len(item["audio"]) / SAMPLE_RATE, 0, SAMPLE_RATE / 2),
)  # fmt: skip
axes["sound"].set_ylim(0, 2000)
figures.label(axes["sound"], "audio -> image: the sound in", "time (s)", "frequency (Hz)")
axes["a2i"].imshow(np.asarray(from_sound), interpolation="nearest")
heard = audio_model.heard(item["audio"])  # what the exact decoder reads in the sound
axes["a2i"].set_title(wrapped(f"... and the picture out (G); the exact decoder hears: {heard}", 28), fontsize=8)
for name, frames, title in (
    ("video", clip, f'text -> video (G): "{item["video_caption"]}"'),
    ("real", item["video"], "the real clip of that caption (what the video model learned from)"),
):
    axes[name].imshow(figures.strip(frames, gap=2), interpolation="nearest")
    axes[name].set_xticks([i * (32 + 2) + 16 for i in range(len(frames))], range(len(frames)))
    axes[name].set_yticks([])
    figures.label(axes[name], title, "frame")
for name in ("t2i", "i2t", "a2i"):
    axes[name].set_xticks([]), axes[name].set_yticks([])
fig.suptitle("The four tasks of section 2.2 on one Shapes scene (example 7 of the test split)")
figures.save(fig, chapter.out / "four_tasks.png", dpi=90)

# %% [markdown]
# On this scene, two objects, the four models do as well as they usually do. The captioner names the real
# picture right. The audio-to-image GAN draws both objects, each in its cell, with the right shape, colour and
# size. The text-to-image GAN draws the yellow triangle below the cyan square, the square's colour mottled.
# The video GAN slides one picture to the left, two blobs where the real clip has a square and a triangle: its
# motion is right, its drawing is not. Its frames come from mmjax's earlier text-to-image GAN, which reads the
# caption as one pooled vector (the shapes-video model card), and that GAN could not draw two objects.
#
# ## How well do they do?
# Because every Shapes picture comes from a known scene, each model is scored exactly, on prompts, pictures and
# sounds it never trained on (`COUNT` of the `test` split: 16 in quick mode, 256 in full mode). The judge
# (chapter 9.2) reads every attribute off a picture or a frame:
#
# * `one_object_right` and `two_object_right`: of the test captions that name one object, and of those that
#   name two, the fraction for which $G$'s picture shows every attribute the caption states;
# * `round_trip`: the fraction of test captions for which text -> image -> text gives back a caption that
#   states the same facts (both models have to be right);
# * `captions_right`: the fraction of real test pictures whose caption states their true facts ($C$ alone);
# * `video_one_object_right` and `video_two_object_right`: the same split for the shipped text-to-video GAN,
#   where every frame must show the caption's objects and the scene must move one cell the caption's way
#   (`mmjax.metrics.video.video_accuracy`);
# * `video_judged`: that score for the real test clips. The judge must read them right, or the instrument
#   fails, not the model;
# * `sound_right`: the fraction of test sounds whose picture, drawn by the shipped audio-to-image GAN, shows
#   every object of the scene with its shape, colour, size and cell;
# * `sound_decoded`: the fraction of test sounds from which `decode_audio` recovers the scene's objects and
#   cells exactly. It is a rule written by hand for this one sonification, so it is exact (1.0): the ceiling
#   of a learned audio-to-image model.
#
# Chapters 9.2 to 9.4 explain these measurements and what they miss.

# %%
items = [example(0, "test", i, ("image", "caption", "video", "audio")) for i in range(COUNT)]
texts = [item["caption"] for item in items]
judge = load_judge()[0]
pictures = model.generate_images(texts, seed=0)  # uint8 [COUNT, 32, 32, 3]
by_count = right_by_object_count(judge_labels(judge, pictures), caption_targets(texts))
round_trip = caption_agreement(texts, model.generate_texts(pictures)).mean()
captions_right = caption_agreement(texts, model.generate_texts([item["image"] for item in items])).mean()
labels = {key: np.stack([item[key] for item in items]) for key in ("num_objects", "shape", "colour", "size")}
labels.update({key: np.stack([item[key] for item in items]) for key in ("row", "col", "relation", "motion")})
videos = np.stack([item["video"] for item in items])  # the real clips [COUNT, 8, 32, 32, 3]
video_judged = video_accuracy(judge_videos(judge, videos), labels)["all_correct"]
video_texts = [item["video_caption"] for item in items]
clips = video_model.generate_videos(video_texts, seed=0)  # uint8 [COUNT, 8, 32, 32, 3]


def clips_right(rows) -> float:
    """All correct (every frame and the motion) among the generated clips ``rows``."""
    return video_accuracy(judge_videos(judge, clips[rows]), caption_targets([video_texts[i] for i in rows]))[
        "all_correct"
    ]


one_object = [i for i, item in enumerate(items) if item["num_objects"] == 1]
two_objects = [i for i, item in enumerate(items) if item["num_objects"] == 2]
from_sounds = np.stack([np.asarray(audio_model.generate_image_from_audio(item["audio"], seed=0)) for item in items])
sound_right = attribute_accuracy(judge_labels(judge, from_sounds), labels)["all_correct"]  # every label, cells too


def facts(scene) -> tuple:
    """What a sound can say: every object's shape, colour, size and cell (no sub-cell jitter, no motion)."""
    canonical = scene.canonical()
    return tuple((o.shape, o.colour, o.size, o.row, o.col) for o in canonical.objects), canonical.relation


scenes = [sample_scene(0, "test", i) for i in range(COUNT)]
sound_decoded = np.mean([facts(decode_audio(item["audio"])) == facts(s) for item, s in zip(items, scenes)])
print(f"{len(one_object)} test examples name one object, {len(two_objects)} name two")
for name, value in [
    ("one_object_right", by_count["one_object_right"]),
    ("two_object_right", by_count["two_object_right"]),
    ("round_trip", round_trip),
    ("captions_right", captions_right),
    ("video_one_object_right", clips_right(one_object)),
    ("video_two_object_right", clips_right(two_objects)),
    ("video_judged", video_judged),
    ("sound_right", sound_right),
    ("sound_decoded", sound_decoded),
]:
    print(f"{name:22s} {chapter.record(name, value):.3f}")
assert sound_decoded == 1.0  # the hand-written inverse is exact by construction

# %% [markdown]
# What the full run finds (the table at the end holds every figure's band):
#
# * **Text to image: one object and two.** $G$ draws nearly every one-object prompt right
#   (`one_object_right` 1.00) and nearly every two-object one (`two_object_right` 0.98). Where it fails
#   instead is colour and shape pairs its training captions never showed together (`test_heldout`, the model
#   card). The round trip needs both models right, and is right a little less often than either
#   (`round_trip` 0.94): the captioner misreads some of $G$'s soft shapes.
# * **Image to text is nearly solved**: the captioner names the facts of `captions_right` = 0.98 of real test
#   pictures, one object or two.
# * **Text to video inherits the text-to-image GAN it was built on.** Every clip is one picture of a frozen
#   text-to-image generator, slid one cell (chapter 6.1); the slide is nearly always the caption's way, so a
#   clip is right about as often as its picture. That generator is mmjax's earlier pooled one, right on one
#   object and rarely on two: `video_one_object_right` 0.91 against `video_two_object_right` 0.05.
# * **Audio to image is right on both**: `sound_right` = 0.97 of test sounds, beside the decoder's exact 1.0.
#   A sound gives each object its own time slot, so two objects are no harder than one; where this model
#   fails instead is colour x shape pairs it never heard (chapter 6.2).
#
# The instruments hold on real data (`video_judged` for the judge on real clips, `sound_decoded` for the
# decoder), so every miss above is the model's. Exercise 3 fits the simplest learned sound reader by hand.
#
# The rest of the book builds up to the shipped models: the data (chapters 2.1 to 2.3), the GAN and the
# Transformer (chapters 3 and 4), the source text's own code listings made real (chapter 5.1), how the
# text-to-image GAN and the captioner are built and trained (chapters 5.2 and 5.3), the cycle text -> image ->
# text that section 3.3 describes (chapter 3.5), video and sound (chapters 6.1 and 6.2), and how each number
# above is measured (chapters 9.2 to 9.4).
#
# ## Summary
# * Multimodal generation turns content in one modality into another; mmjax ships a model for each of section
#   2.2's four tasks on the Shapes world: text -> image and image -> text (`mmjax.load_pretrained("shapes")`),
#   text -> video (`"shapes-video"`) and sound -> image (`"shapes-audio"`), each run on a CPU.
# * They are not equally good. The text-to-image GAN, the captioner and the audio model are right on nearly
#   every scene like those they trained on; the video GAN, built on an earlier text-to-image GAN that reads
#   the caption as one pooled vector, draws one object right and two rarely.
# * Because every picture comes from a known scene, each model is scored exactly, on examples it never saw,
#   and split where it matters (one object or two): an average can hide a failure.
#
# ## Exercises
# Use `from mmjax.utils.selfcheck import check`.
# 1. **Seeds.** Draw `"a small blue square above a large yellow triangle"` with seeds 0 to 7
#    (`model.generate_images([prompt] * 8, seed=0)` draws the eight from the same seed and different rows; or
#    call `generate_image(prompt, seed=s)`). A two-object caption fixes the relation but not where the pair
#    sits, so real pictures put the pair in any column, and the seed should choose one. Count the distinct
#    pictures, `len({image.tobytes() for image in images})`, `check(distinct, expected=8, tol=0)`, then the
#    distinct columns of the pair, by eye or with the judge (`judge_labels(judge, pictures)["col"][:, 0]`):
#    all three, `check(len(columns), expected=3, tol=0)`. The model card measures this free choice over many
#    prompts (`distinct_free_line`: 0.93 for the shipped GAN against 0.98 for real data; 0.35 for mmjax's
#    earlier pooled GAN, whose pairs kept their column whatever the seed: a collapsed mode).
# 2. **Words the model does not know.** Call `model.generate_image("A cat sitting on the table.")` inside a
#    `try` / `except ValueError as error: print(error)`. You should see the unknown words named, close known
#    words suggested (`on -> above`) and the list of what the model can draw. Chapter 5.1 starts from this.
# 3. **Audio to image as a learning problem.** `decode_audio` is a rule written for this sonification. Fit a
#    learned one instead: for 2000 `train` scenes with one object, take the magnitude spectrum of the occupied
#    slot (`np.abs(np.fft.rfft(clip.reshape(9, 512)[cell]))`), and fit a least-squares linear map
#    (`np.linalg.lstsq`) from it to the one-hot colour (6 classes). On 500 `test` scenes the argmax should give
#    the colour almost always, since pitch is the colour: `check(colour_accuracy, expected=1.0, tol=0.02)`
#    (a few seconds on 2 CPU cores). Shape (timbre) and size (loudness) are the harder half.
#
# ## Expected results
# | figure | full run | quick run |
# |---|---|---|
# | `one_object_right`: G's pictures of one-object test captions, every attribute right | 0.93 .. 1 | >= 0.7 |
# | `two_object_right`: the same for two-object captions | 0.9 .. 1 | >= 0.7 |
# | `round_trip`: text -> image -> text states the prompt's facts | 0.85 .. 1 | - (16 prompts) |
# | `captions_right`: real test pictures captioned with their facts | 0.93 .. 1 | - (16 pictures) |
# | `video_one_object_right`: the video GAN's one-object clips, frames and motion all right | 0.8 .. 1 | - (16 clips) |
# | `video_two_object_right`: the same for two objects | < 0.2 | - (16 clips) |
# | `video_judged`: real test videos whose every frame and motion the judge reads right | 0.97 .. 1 | >= 0.9 |
# | `sound_right`: the audio GAN's pictures of test sounds, every object right in its cell | 0.93 .. 1 | >= 0.8 |
# | `sound_decoded`: test sounds decoded to their exact objects and cells | 1 ± 0 | 1 ± 0 |

# %%
chapter.finish()
