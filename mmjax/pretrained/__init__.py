"""Pretrained models mmjax ships, loaded offline: ``model = mmjax.load_pretrained("shapes")``.

* ``model.py``: ``ShapesModel``, text -> image (``generate_image``, ``generate_images``) and
  image -> text (``generate_text``, ``generate_texts``) with the two shipped Shapes models;
* ``prompts.py``: normalising and checking prompts (``UnknownWordsError`` names words the model lacks,
  ``UnparsedPromptError`` a prompt that is no whole caption);
* ``images.py``: any picture (PIL, path, HWC or ToTensor-style CHW array) -> the uint8 array models read;
* ``agreement.py``: whether a caption states the facts a prompt states;
* ``demo.py``: both directions and a sheet of samples, run by ``mmjax demo [TEXT]`` (``cli.py``);
* ``video.py``: ``VideoModel``, text -> clip (``generate_video``), and ``mmjax demo --video TEXT``;
* ``audio.py``: ``AudioImageModel``, sound -> image (``generate_image_from_audio``), and ``mmjax demo --audio``.

The weights are package data (``mmjax/artifacts/shapes/``, or ``$MMJAX_ARTIFACTS/shapes/``): safe
``.npz`` files with each model's config beside its arrays, read without any network access.
"""

from __future__ import annotations


def available() -> dict[str, tuple[str, str]]:
    """``{name: (what it is, "module:function" that loads it)}`` of every shipped model, as the tasks that make
    them declare (``Task.pretrained``); reading the declarations imports the model packages (and JAX)."""
    from mmjax.train import registry

    entries = {}
    for task in map(registry.get_task, registry.available_tasks()):
        entries.update(task.pretrained)
    return dict(sorted(entries.items()))


def load_pretrained(name: str = "shapes"):
    """The shipped model ``name`` (see :func:`available`): a :class:`mmjax.pretrained.model.ShapesModel`, or for
    "shapes-video" a :class:`mmjax.pretrained.video.VideoModel`, for
    "shapes-audio" a :class:`mmjax.pretrained.audio.AudioImageModel`.

    Raises ValueError for a name mmjax does not ship, and FileNotFoundError naming the command that makes a
    missing weights file.
    """
    import importlib

    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    # Looked up here, not at import, so that ``import mmjax`` and the CLI's start-up stay free of JAX.
    shipped = available()
    if name not in shipped:
        listing = "; ".join(f"{key!r}: {text}" for key, (text, _) in shipped.items())
        raise ValueError(f"no pretrained model named {name!r}; available: {listing}")
    module, function = shipped[name][1].split(":")
    return getattr(importlib.import_module(module), function)()
