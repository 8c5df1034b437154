# %% [markdown]
# # Chapter 7.2: Data: random-access sources, a resumable loader, and TFDS
#
# Training that can be resumed exactly needs data that can be resumed exactly. mmjax reads data
# through **random-access sources** (`len(source)` and `source[i]` -> dict of NumPy arrays) and a
# **Loader** whose whole state is two integers `(epoch, step)`: epoch `e` visits the source in the
# order of the permutation drawn from `default_rng([seed, e])`, so batch `step` of epoch `e` is a pure
# function of `(seed, e, step)`. A checkpoint stores those two integers; nothing else is needed.
#
# TensorFlow Datasets fits this model without TensorFlow: `tfds.data_source` reads `array_record`
# files with random access. Here we build the Shapes data set as a TFDS data set, read it back, and
# use `tfds.testing.mock_data` to stand in for MNIST (nothing is ever downloaded).

# %%

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import tensorflow_datasets as tfds

from mmjax.data.loader import Loader
from mmjax.data.shapes import ShapesSource
from mmjax.data.tfds_builder import prepare_shapes
from mmjax.data.tfds_source import TfdsSource
from mmjax.utils.chapter import output_dir, quick_mode

QUICK = quick_mode()
OUT = output_dir("07_tools")
NUM_TRAIN = 32 if QUICK else 512

# %% [markdown]
# ## A procedural source: every example is a pure function of its index

# %%
source = ShapesSource("train", num_examples=NUM_TRAIN, modalities=("image", "caption"))
example = source[3]
print({k: (v.shape, v.dtype) if hasattr(v, "shape") else v for k, v in example.items()})
assert np.array_equal(source[3]["image"], example["image"])  # random access, same answer every time

# %% [markdown]
# ## The loader resumes exactly from two integers
# Read 7 batches, remember the state after 3, and restore it in a *new* loader: batches 4..7 match.

# %%
loader = Loader(source, batch_size=8, seed=0)
batches, saved = [], None
for i in range(7):
    batches.append(next(loader))
    if i == 2:
        saved = loader.state
print("state after 3 batches:", saved, "| batches per epoch:", loader.batches_per_epoch)
again = Loader(source, batch_size=8, seed=0)
again.restore(saved)
for original in batches[3:]:
    assert np.array_equal(next(again)["image"], original["image"])
print("restored loader reproduces batches 4..7 (across an epoch boundary)")

# %% [markdown]
# ## Shapes as a TFDS data set (array_record files, no TensorFlow)

# %%
tfds.disable_progress_bar()
data_dir = OUT / "tfds_data"
prepare_shapes("image", data_dir, {"train": NUM_TRAIN, "test": 8})
tfds_train = TfdsSource("mmjax_shapes/image", "train", data_dir=str(data_dir))
print("TFDS source:", len(tfds_train), "examples; keys:", sorted(tfds_train[0]))
assert np.array_equal(tfds_train[5]["image"], source[5]["image"])  # the same world, read from disk
batch = next(Loader(tfds_train, batch_size=16, seed=1))

# %% [markdown]
# ## Standard data sets, mocked
# `tfds.testing.mock_data` replaces the files of any registered data set with random examples of the
# right shapes, which is how the code path for MNIST or CIFAR-10 is tested offline.

# %%
with tfds.testing.mock_data(num_examples=16):
    mnist = TfdsSource("mnist", "train", keys=("image", "label"))
    mock_batch = next(Loader(mnist, batch_size=8, seed=0))
print("mock MNIST batch:", {k: v.shape for k, v in mock_batch.items()})

fig, axes = plt.subplots(2, 8, figsize=(10, 3))
for ax, image, caption in zip(axes.flat, batch["image"], batch["caption"]):
    ax.imshow(image)
    ax.set_title(caption[:18], fontsize=6)
    ax.axis("off")
fig.suptitle("A batch read from the TFDS (array_record) copy of Shapes")
fig.tight_layout()
fig.savefig(OUT / "tfds_batch.png", dpi=100)

# %% [markdown]
# ## Summary
# * A source is anything with `len` and `[i]`; procedural (`ShapesSource`) or on disk (`TfdsSource`).
# * The loader's state is `(epoch, step)`; the training loop checkpoints it next to the parameters,
#   which is half of what makes a killed run resume bit-exactly.
# * In a multi-host job each process gets `process_index` / `process_count` and reads only its rows
#   of every global batch.
#
# ## Exercises
# 1. Make a `Loader` with `process_count=2` for each `process_index`; check that the two halves
#    together are the single-process batch.
# 2. Time `source[i]` for `ShapesSource` and for `TfdsSource`. When is reading from disk worth it?
