"""Pretrained models mmjax ships, loaded offline: ``model = mmjax.load_pretrained("shapes")``.

* ``model.py``: ``ShapesModel``, text -> image (``generate_image``, ``generate_images``) and
  image -> text (``generate_text``, ``generate_texts``) with the two shipped Shapes models;
* ``prompts.py``: normalising and checking prompts (``UnknownWordsError`` names words the model lacks);
* ``images.py``: any picture (PIL, path, HWC or ToTensor-style CHW array) -> the uint8 array models read;
* ``agreement.py``: whether a caption states the facts a prompt states;
* ``demo.py``: both directions and a sheet of samples, run by ``mmjax demo [TEXT]`` (``cli.py``);
* ``video.py``: ``VideoModel``, text -> clip (``generate_video``), and ``mmjax demo --video TEXT``;
* ``audio.py``: ``AudioImageModel``, sound -> image (``generate_image_from_audio``), and ``mmjax demo --audio``.

The weights are package data (``mmjax/artifacts/shapes/``, or ``$MMJAX_ARTIFACTS/shapes/``): safe
``.npz`` files with each model's config beside its arrays, read without any network access.
"""

from __future__ import annotations

AVAILABLE = {
    "shapes": "the Shapes world: text -> 32 x 32 image (a GAN) and image -> caption (a Transformer)",
    "shapes-video": "the Shapes world in motion: text -> a clip of 32 x 32 frames (a video GAN; video.py)",
    "shapes-audio": "the Shapes world's sounds: a WAV clip -> the 32 x 32 image it describes (a GAN)",
}


def load_pretrained(name: str = "shapes"):
    """The shipped model ``name`` (see ``AVAILABLE``): a :class:`mmjax.pretrained.model.ShapesModel`, or for
    "shapes-video" a :class:`mmjax.pretrained.video.VideoModel`, for
    "shapes-audio" a :class:`mmjax.pretrained.audio.AudioImageModel`.

    Raises ValueError for a name mmjax does not ship, and FileNotFoundError naming the command that makes a
    missing weights file.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if name not in AVAILABLE:
        listing = "; ".join(f"{key!r}: {text}" for key, text in AVAILABLE.items())
        raise ValueError(f"no pretrained model named {name!r}; available: {listing}")
    # Imported here so that ``import mmjax`` and the CLI's start-up stay free of JAX.
    if name == "shapes-video":
        from mmjax.pretrained.video import load_video_model

        return load_video_model()
    if name == "shapes-audio":
        from mmjax.pretrained.audio import load_audio_model

        return load_audio_model()
    from mmjax.captioner import export as captioner_export
    from mmjax.pretrained.model import ShapesModel
    from mmjax.text2image import export as text2image_export

    return ShapesModel(text2image_export.load(), captioner_export.load())
