"""Turning whatever a user holds into the uint8 ``[32, 32, 3]`` picture the captioner reads.

Accepted, for one picture (every form of the same picture gives the same array, hence the same caption):

* a ``PIL.Image`` of any mode: PIL's own ``convert("RGB")`` (grey ``L`` is copied to the three channels,
  a palette ``P`` is looked up); a picture with transparency (``RGBA``, ``LA``, ``PA``, a ``P`` with a
  transparent colour) is first composited on black, the Shapes background, so transparent pixels read as
  empty canvas;
* a path (``str`` or ``pathlib.Path``) of an image file PIL can open, treated as the ``PIL.Image`` in it;
* an ``H x W x 3`` array (numpy, JAX, or anything with ``__array__``): integers in 0..255 (uint8 as
  ``np.asarray(pil_image)`` gives) or floats in [0, 1];
* a ``3 x H x W`` array, channel-first, as torchvision's ``ToTensor()`` makes (floats in [0, 1]) or
  ``torchvision.io.read_image`` (uint8): recognised by ``shape[0] == 3`` and ``shape[-1] != 3``;
* a batch of one, ``1 x H x W x 3`` or ``1 x 3 x H x W``, is taken as its one picture.

Floats become ``round(255 x)``, so ``ToTensor()``'s ``x / 255`` comes back exactly. A picture of another
size is resized with PIL: shrinking averages the pixels each output pixel covers (``BOX``, an antialiased
filter that exactly undoes a whole-number ``NEAREST`` enlargement such as ``generate_image(size=256)``),
enlarging interpolates (``BILINEAR``). A picture that is not square is stretched to a square rather than
cropped: positions are read relative to the frame, and a crop could cut an object out.

Anything else is refused with a ValueError or TypeError saying what was wrong and how to convert it; a path
that is not a regular file (a FIFO, a device) or whose header announces more than ``MAX_FILE_PIXELS`` is
refused before anything is decoded.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from mmjax.data.render import MIN_IMAGE_SIZE, check_image_size
from mmjax.utils.safe_files import regular_file

IMAGE_SIZE = 32  # side of the pictures the shipped captioner reads
MAX_FILE_PIXELS = 4096 * 4096  # a larger file would take over 50 MB decoded, to be shrunk to 32 x 32 anyway
BACKGROUND = (0, 0, 0)  # the Shapes canvas: transparent pixels are composited on it
ACCEPTED = (
    "a PIL.Image, a path to an image file, an H x W x 3 array (uint8 0..255 or float in [0, 1]) or a "
    "3 x H x W float array in [0, 1] as torchvision's ToTensor() makes"
)


def _from_pil(image: Image.Image) -> np.ndarray:
    """PIL's RGB conversion; transparency composited on the Shapes background first."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
        image = Image.alpha_composite(canvas, rgba)
    return np.asarray(image.convert("RGB"))  # [H, W, 3] uint8


def _from_path(path: Path) -> np.ndarray:
    path = regular_file(path, "image file")  # a FIFO or a device would block PIL's read forever
    try:
        with Image.open(path) as image:
            width, height = image.size  # from the header: nothing is decoded yet
            if width * height > MAX_FILE_PIXELS:
                raise ValueError(
                    f"{path} is a {width} x {height} picture, more than the {MAX_FILE_PIXELS:,} pixels mmjax "
                    f"decodes (it reads {IMAGE_SIZE} x {IMAGE_SIZE}); shrink it first"
                )
            image.load()
            return _from_pil(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:  # not an image, or a damaged one
        raise ValueError(f"{path} is not an image file PIL can read ({error}); expected e.g. a PNG or JPEG") from None


def _channels_last(array: np.ndarray) -> np.ndarray:
    """``[H, W, 3]`` from ``[H, W, 3]``, ``[3, H, W]`` or a batch of one of either; a clear error otherwise."""
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]  # a batch of one picture is that picture
    elif array.ndim == 4:
        raise ValueError(
            f"got a batch of {array.shape[0]} images {array.shape}; pass one image, or use the batched API "
            "(as_image_batch, generate_texts) for several"
        )
    if array.ndim == 2:
        raise ValueError(
            f"got a 2-D array {array.shape}: a grey picture has no colour, and colour is what the captions "
            "describe; if it really is grey, copy it to three channels with np.stack([a, a, a], axis=-1)"
        )
    if array.ndim != 3:
        raise ValueError(f"an image must be H x W x 3 or 3 x H x W, got an array of rank {array.ndim} {array.shape}")
    if array.shape[-1] == 3:
        return array
    if array.shape[0] == 3:
        return np.moveaxis(array, 0, -1)  # [3, H, W] -> [H, W, 3]
    channels = array.shape[-1] if array.shape[-1] in (1, 4) else array.shape[0]
    if channels == 1:
        hint = "copy the one channel to three: np.repeat(a, 3, axis=-1) (or axis=0 for channel-first)"
    elif channels == 4:
        hint = "drop the alpha channel, a[..., :3] (a[:3] for channel-first), or pass PIL.Image.fromarray(a)"
    else:
        hint = "neither the first nor the last axis has length 3"
    raise ValueError(f"an image must have 3 colour channels (RGB), got shape {array.shape}: {hint}")


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """Pixels as uint8: integers must lie in 0..255, floats must be finite and in [0, 1]."""
    kind, name = array.dtype.kind, array.dtype.name
    if kind == "b":
        raise TypeError("got a bool array; an image needs intensities: pass a.astype(np.uint8) * 255")
    if kind in "ui":
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise ValueError(f"integer pixels must be in 0..255, got values in {low}..{high}")
        return array.astype(np.uint8)
    if kind == "f" or name.startswith(("bfloat", "float")):  # bfloat16 and float8 are numpy "void" kinds
        array = array.astype(np.float32)
        if not np.isfinite(array).all():
            raise ValueError("image has NaN or infinite values; float pixels must be finite and in [0, 1]")
        low, high = float(array.min()), float(array.max())
        if low < 0.0 or high > 1.0:
            if low >= 0.0:
                hint = "for pixels in 0..255 divide by 255"
            elif low >= -1.0 and high <= 1.0:
                hint = "for pixels in [-1, 1] use (a + 1) / 2"
            else:
                hint = "rescale them to [0, 1]"
            raise ValueError(f"float pixels must be in [0, 1], got values in [{low:.3g}, {high:.3g}] ({hint})")
        return np.round(array * 255.0).astype(np.uint8)
    raise TypeError(f"an image must hold integer or float pixels, got dtype {array.dtype}")


def _check_size(pixels: np.ndarray) -> np.ndarray:
    height, width = pixels.shape[:2]
    if min(height, width) < MIN_IMAGE_SIZE:
        raise ValueError(
            f"image is {height} x {width} pixels; below {MIN_IMAGE_SIZE} x {MIN_IMAGE_SIZE} a small object is "
            "too few pixels wide to read its shape"
        )
    return pixels


def _resize(pixels: np.ndarray, size: int) -> np.ndarray:
    height, width = pixels.shape[:2]
    if (height, width) == (size, size):
        return pixels
    shrinking = height >= size and width >= size
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(pixels).resize((size, size), resample))


def as_image_array(image, size: int = IMAGE_SIZE) -> np.ndarray:
    """One picture in any accepted form (module docstring) -> uint8 ``[size, size, 3]``."""
    size = check_image_size(size)
    if isinstance(image, Image.Image):
        pixels = _from_pil(image)
    elif isinstance(image, (str, os.PathLike)):
        pixels = _from_path(Path(image))
    elif isinstance(image, np.ndarray) or hasattr(image, "__array__"):
        array = np.asarray(image)
        if array.dtype.kind in "OUScMm":
            raise TypeError(f"an image must hold integer or float pixels, got dtype {array.dtype}")
        pixels = _to_uint8(_check_size(_channels_last(array)))
    elif isinstance(image, (list, tuple)):
        raise TypeError(
            f"got a {type(image).__name__}; pass one image, or use the batched API (as_image_batch, "
            "generate_texts) for several"
        )
    else:
        raise TypeError(f"cannot read a {type(image).__name__} as an image; expected {ACCEPTED}")
    return _resize(np.ascontiguousarray(_check_size(pixels)), size)


def as_image_batch(images, size: int = IMAGE_SIZE) -> np.ndarray:
    """Several pictures -> uint8 ``[N, size, size, 3]``.

    ``images`` is a list or tuple of pictures, each in any form :func:`as_image_array` accepts, or one array
    holding a batch, ``N x H x W x 3`` or ``N x 3 x H x W``. Errors name the picture they are about.
    """
    if isinstance(images, (str, os.PathLike, Image.Image)):
        raise TypeError("as_image_batch takes a list of images; for one image use as_image_array")
    if not isinstance(images, (list, tuple)):
        if not hasattr(images, "__array__"):
            raise TypeError(f"images must be a list of images or an N x H x W x 3 array, got {type(images).__name__}")
        array = np.asarray(images)
        if array.ndim != 4:
            raise ValueError(
                f"a batch of images must be a 4-D array N x H x W x 3, got shape {array.shape} "
                "(for one image use as_image_array / generate_text)"
            )
        images = list(array)
    if not images:
        raise ValueError("no images given: pass at least one")
    out = []
    for index, image in enumerate(images):
        try:
            out.append(as_image_array(image, size))
        except (ValueError, TypeError, FileNotFoundError) as error:
            raise type(error)(f"image {index}: {error}") from None
    return np.stack(out)  # [N, size, size, 3]
