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
# use `tfds.testing.mock_data` to stand in for MNIST: nothing is ever downloaded, and the chapter checks
# that by refusing every network connection while TFDS runs.
#
# Prerequisites: chapter 2.1 (the Shapes world). Chapter 2.3 already used the `Loader`; this is where it is
# explained. Run time: a few seconds.

# %%
import contextlib
import socket
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import tensorflow_datasets as tfds

from mmjax.data.loader import Loader
from mmjax.data.shapes import ShapesSource
from mmjax.data.tfds_builder import prepare_shapes
from mmjax.data.tfds_source import TfdsSource
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("07_tools/02_data_sources")
NUM_TRAIN = 32 if chapter.quick else 512

# %% [markdown]
# ## A procedural source: every example is a pure function of its index

# %%
source = ShapesSource("train", num_examples=NUM_TRAIN, modalities=("image", "caption"))
example = source[3]
print({k: (v.shape, v.dtype) if hasattr(v, "shape") else v for k, v in example.items()})
assert np.array_equal(source[3]["image"], example["image"])  # random access, same answer every time

# %% [markdown]
# ## The loader resumes exactly from two integers
# Read 7 batches, remember the state after 3, and restore it in a *new* loader: batches 4..7 match. With
# 32 examples in quick mode an epoch is 4 batches of 8, so the restored loader also crosses into epoch 1
# (a new permutation); the full run's 512 examples give 64 batches per epoch.

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
same = sum(np.array_equal(next(again)["image"], original["image"]) for original in batches[3:])
print(
    f"restored loader reproduces {same} of batches 4..7"
    + (" (across an epoch boundary)" if loader.batches_per_epoch < 7 else "")
)
assert same == 4
chapter.record("batches_per_epoch", loader.batches_per_epoch)
chapter.record("resumed_batches_equal", same)

# %% [markdown]
# ## Shapes as a TFDS data set (array_record files, no TensorFlow)
# `prepare_shapes` runs TFDS's `download_and_prepare` on mmjax's builder, whose `_split_generators`
# downloads nothing: it renders the scenes. TFDS still prints its standard wording for building any data
# set, "Downloading and preparing dataset Unknown size ... downloaded and prepared to ...": the sizes are
# "Unknown" because there is nothing to download. To be sure, the cell runs inside `no_network()`, which
# makes every attempt to open a connection (or to look up a host name) fail and counts it.


# %%
@contextlib.contextmanager
def no_network():
    """Refuse, and count, every socket connection and host-name lookup made inside the block."""
    attempts, saved = [], (socket.socket.connect, socket.getaddrinfo)

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("no_network(): this chapter never uses the network")

    socket.socket.connect, socket.getaddrinfo = refuse, refuse
    try:
        yield attempts
    finally:
        socket.socket.connect, socket.getaddrinfo = saved


tfds.disable_progress_bar()
data_dir = chapter.out / "tfds_data"
with no_network() as attempts:
    prepare_shapes("image", data_dir, {"train": NUM_TRAIN, "test": 8})
    tfds_train = TfdsSource("mmjax_shapes/image", "train", data_dir=str(data_dir))
print("TFDS source:", len(tfds_train), "examples; keys:", sorted(tfds_train[0]))
equal = sum(np.array_equal(tfds_train[i]["image"], source[i]["image"]) for i in range(NUM_TRAIN))
print(f"{equal} of {NUM_TRAIN} images read from disk equal the procedural ones")  # the same world
chapter.record("tfds_equals_procedural", equal / NUM_TRAIN)
batch = next(Loader(tfds_train, batch_size=16, seed=1))

# %% [markdown]
# ## Standard data sets, mocked
# `tfds.testing.mock_data` replaces the files of any registered data set with random examples of the
# right shapes, which is how the code path for MNIST or CIFAR-10 is tested offline. It reads the feature
# shapes from metadata shipped inside the `tensorflow_datasets` package; TFDS's warning that the MNIST
# metadata folder "has no dataset_info.json" only says that it rebuilds that description from the builder's
# code instead. Still no network.

# %%
with no_network() as mock_attempts:
    with tfds.testing.mock_data(num_examples=16):
        mnist = TfdsSource("mnist", "train", keys=("image", "label"))
        mock_batch = next(Loader(mnist, batch_size=8, seed=0))
print("mock MNIST batch:", {k: v.shape for k, v in mock_batch.items()}, "labels", mock_batch["label"])
print("network connections attempted:", len(attempts) + len(mock_attempts))
chapter.record("network_attempts", len(attempts) + len(mock_attempts))
assert mock_batch["image"].shape == (8, 28, 28, 1)

fig, axes = plt.subplots(2, 4, figsize=(11, 8))
for ax, image, caption, index in zip(axes.flat, batch["image"], batch["caption"], batch["index"]):
    ax.imshow(image, interpolation="nearest")
    ax.set_title(f"example {index}", fontsize=9)
    ax.set_xlabel("\n".join(textwrap.wrap(f'"{caption}"', 30)), fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("First 8 of a batch of 16 read from the TFDS (array_record) copy of Shapes, with their captions")
figures.save(fig, chapter.out / "tfds_batch.png")

# %% [markdown]
# Every image read back from disk equals the procedural one (the `tfds_equals_procedural` share is 1.0) and
# TFDS made `network_attempts` = 0 connections.
#
# ## Summary
# * A source is anything with `len` and `[i]`; procedural (`ShapesSource`) or on disk (`TfdsSource`).
# * The loader's state is `(epoch, step)`; the training loop checkpoints it next to the parameters,
#   which is half of what makes a killed run resume bit-exactly.
# * In a multi-host job each process gets `process_index` / `process_count` and reads only its rows
#   of every global batch.
#
# ## Exercises
# 1. Make a `Loader(source, batch_size=4, seed=0, process_index=p, process_count=2)` for `p` = 0 and 1, and
#    one `Loader(source, batch_size=8, seed=0)`. You should observe that the first batch of process 0
#    followed by that of process 1 is exactly the single-process batch:
#    `check(np.abs(np.concatenate([b0["index"], b1["index"]]) - one["index"]).max(), expected=0, tol=0)`
#    (`from mmjax.utils.selfcheck import check`).
# 2. Time `source[i]` for `ShapesSource` and for `TfdsSource` over all `NUM_TRAIN` examples (full mode,
#    512, a few seconds; take the fastest of a few passes). When is reading from disk worth it? You should find
#    both well under a millisecond per example on 2 CPU cores: a 32x32 image renders about as fast as it is
#    read back (measured 0.9 to 1.4 times the read's time; timings vary with the machine and its load). Rendering
#    all four modalities costs about 3 times more than image and caption, since it makes over 4 times the
#    bytes (video frames and a waveform), and real
#    photos cannot be rendered at all: that is when files pay.
#
# ## Expected results
# | figure | full run | quick run |
# |---|---|---|
# | `batches_per_epoch`: batches of 8 in an epoch | 64 ± 0 | 4 ± 0 |
# | `resumed_batches_equal`: batches 4..7 reproduced after a restore | 4 ± 0 | 4 ± 0 |
# | `tfds_equals_procedural`: share of TFDS images equal to the procedural ones | 1 ± 0 | 1 ± 0 |
# | `network_attempts`: connections TFDS tried to open | 0 ± 0 | 0 ± 0 |

# %%
chapter.finish()
