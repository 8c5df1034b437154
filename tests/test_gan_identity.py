"""The three shipped GANs draw bit-identical pictures for fixed prompts and seeds, whatever the code's layout.

``tests/data/gan_reference_outputs.npz`` holds the uint8 outputs of :func:`reference_outputs` (text to image,
text to video, sound to image, each through ``mmjax.load_pretrained``), written by

    python tests/test_gan_identity.py --write

at commit a70a65d, *before* the conditional GANs were moved onto the shared ``mmjax.gan`` parts (issue 21),
under the test session's XLA flags (``--xla_backend_optimization_level=1``, set by ``conftest.py`` and by the
script); its text-to-image outputs were written again when that shipped model was replaced (the per-object
generator), the video and sound outputs left byte for byte as they were. The test draws the same pictures
with the code as it is now and compares every byte. A refactor that renames parameters, reorders a sum or
changes the rounding rule fails here with the count of pixels that moved.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).parent / "data" / "gan_reference_outputs.npz"
IMAGE_PROMPTS = [
    "a big red circle at the upper left",
    "a small blue square above a large yellow triangle",
    "a tiny green cross in the centre",
]
VIDEO_PROMPTS = ["a small red circle in the left moving right", "a big blue square at the top moving down"]
SEEDS = (0, 7)
AUDIO_EXAMPLES = (0, 1, 2)  # Shapes test examples whose sounds are drawn


def reference_outputs() -> dict[str, np.ndarray]:
    """Every picture the test pins, by name: uint8 arrays from the shipped models' public API."""
    import mmjax
    from mmjax.data.shapes import example

    out = {}
    images = mmjax.load_pretrained("shapes")
    videos = mmjax.load_pretrained("shapes-video")
    sounds = mmjax.load_pretrained("shapes-audio")
    clips = [example(0, "test", i, modalities=("audio",))["audio"] for i in AUDIO_EXAMPLES]
    for seed in SEEDS:
        out[f"generate_images_seed{seed}"] = images.generate_images(IMAGE_PROMPTS, seed)  # [3, 32, 32, 3]
        out[f"generate_image_seed{seed}"] = np.asarray(images.generate_image(IMAGE_PROMPTS[1], seed))
        out[f"generate_videos_seed{seed}"] = videos.generate_videos(VIDEO_PROMPTS, seed)  # [2, 8, 32, 32, 3]
        out[f"generate_video_seed{seed}"] = videos.generate_video(VIDEO_PROMPTS[0], seed)  # [8, 32, 32, 3]
        out[f"generate_image_from_audio_seed{seed}"] = np.stack(
            [np.asarray(sounds.generate_image_from_audio(clip, seed)) for clip in clips]
        )  # [3, 32, 32, 3]
    return out


def test_shipped_gans_draw_the_reference_pictures_bit_for_bit():
    with np.load(REFERENCE) as stored:
        expected = {name: stored[name] for name in stored.files}
    drawn = reference_outputs()
    assert sorted(drawn) == sorted(expected)
    moved = {}
    for name, pixels in drawn.items():
        assert pixels.dtype == np.uint8 and pixels.shape == expected[name].shape, name
        differ = int(np.sum(pixels != expected[name]))
        if differ:
            moved[name] = differ
    assert not moved, f"values that differ from the reference, per output: {moved}"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):  # as conftest.py sets it
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=1").strip()
    REFERENCE.parent.mkdir(exist_ok=True)
    np.savez_compressed(REFERENCE, **reference_outputs())
    print(f"wrote {REFERENCE}")
