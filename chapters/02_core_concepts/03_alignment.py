# %% [markdown]
# # Chapter 2.3: aligning modalities through the scene
#
# Multimodal learning needs *paired* data: this image goes with that caption. In the Shapes world pairs are
# aligned by construction, and we can check the alignment exactly: parse the caption back into labels,
# decode the audio back into labels, measure the image, and compare all of them with the scene.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from mmjax.data import attributes as A
from mmjax.data.audio import decode_audio
from mmjax.data.captions import caption_matches_scene, parse_caption
from mmjax.data.loader import Loader
from mmjax.data.scene import scene_from_labels
from mmjax.data.shapes import ShapesSource
from mmjax.utils.chapter import output_dir, quick_mode

OUT = output_dir("02_core_concepts")
N = 100 if quick_mode() else 2000

# %% [markdown]
# ## Three views, one truth
# For each example: does the caption describe the scene? does the sound decode to the scene?

# %%
source = ShapesSource("test", N, ("caption", "audio"))
caption_ok = audio_ok = 0
for i in range(N):
    ex = source[i]
    scene = scene_from_labels(ex)
    caption_ok += caption_matches_scene(parse_caption(ex["caption"]), scene)
    decoded = decode_audio(ex["audio"])
    truth = scene.canonical()
    audio_ok += [(o.shape, o.colour, o.size, o.cell) for o in decoded.objects] == [
        (o.shape, o.colour, o.size, o.cell) for o in truth.objects
    ]
print(f"caption agrees with scene: {caption_ok}/{N}")
print(f"audio decodes to scene:    {audio_ok}/{N}")

# %% [markdown]
# ## Aligned batches
# The loader stacks examples, so row `b` of every array in a batch belongs to the same scene.
# A text-to-image model reads `tokens[b]` and is trained to produce `image[b]`; its output can be judged
# against `shape[b]`, `colour[b]`, ... directly.

# %%
loader = Loader(ShapesSource("train", 64, ("image", "caption")), batch_size=6, seed=0)
batch = next(loader)
print({k: v.shape for k, v in batch.items()})
fig, axes = plt.subplots(1, 6, figsize=(15, 3))
for b, ax in enumerate(axes):
    ax.imshow(batch["image"][b], interpolation="nearest")
    labels = f"{A.COLOURS[batch['colour'][b, 0]]} {A.SHAPES[batch['shape'][b, 0]]}"
    ax.set_title(f"{batch['caption'][b]}\n[labels: {labels} ...]", fontsize=7)
    ax.axis("off")
fig.savefig(OUT / "aligned_batch.png", dpi=90, bbox_inches="tight")
plt.close(fig)
print("loader position to save for an exact resume:", loader.state)

# %% [markdown]
# ## Summary
# * Every modality is a view of one scene, so alignment can be *verified*, not assumed.
# * The same checks (caption parser, audio decoder) become evaluation metrics for generated captions
#   and sounds in later chapters.
#
# ## Exercises
# 1. Corrupt 10% of the captions by swapping two words. What fraction does the parser still accept, and
#    how many of those are still true descriptions?
# 2. Add white noise to the audio at decreasing signal-to-noise ratios. At what level does decoding fail?
