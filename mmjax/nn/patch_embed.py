"""An image as a sequence of tokens (ViT): cut it into P x P patches and project each one linearly.

    x_n = W vec(patch_n) + b + PE[n],   n = 0 .. (H/P)(W/P) - 1   (row-major patch order)

This is exactly a convolution with kernel size = stride = P, written as a reshape and a matmul.
"""

from __future__ import annotations

import jax
from flax import nnx

from mmjax.nn.position import PositionEncoding


def patchify(images: jax.Array, patch_size: int) -> jax.Array:
    """[B, H, W, C] -> [B, (H/P)(W/P), P*P*C]: each row is one patch, flattened as (row, col, channel)."""
    if images.ndim != 4:
        raise ValueError(f"images must be [batch, height, width, channels], got shape {tuple(images.shape)}")
    batch, height, width, channels = images.shape
    if height % patch_size or width % patch_size:
        raise ValueError(f"image size {height}x{width} is not divisible by patch_size {patch_size}")
    rows, cols = height // patch_size, width // patch_size
    x = images.reshape(batch, rows, patch_size, cols, patch_size, channels)
    x = x.transpose(0, 1, 3, 2, 4, 5)  # [B, rows, cols, P, P, C]
    return x.reshape(batch, rows * cols, patch_size * patch_size * channels)


class PatchEmbedding(nnx.Module):
    """[B, H, W, C] images -> [B, N, D] patch tokens with position codes (one per patch)."""

    def __init__(
        self,
        image_size: int,
        patch_size: int,
        channels: int,
        d_model: int,
        *,
        position: str = "learned",
        rngs: nnx.Rngs,
    ):
        if image_size % patch_size:
            raise ValueError(f"image_size {image_size} is not divisible by patch_size {patch_size}")
        self.patch_size = patch_size
        self.num_patches = (image_size // patch_size) ** 2
        self.projection = nnx.Linear(patch_size * patch_size * channels, d_model, rngs=rngs)
        self.position = PositionEncoding(position, self.num_patches, d_model, rngs=rngs)

    def __call__(self, images: jax.Array) -> jax.Array:
        tokens = self.projection(patchify(images, self.patch_size))  # [B, N, D]
        return tokens + self.position(tokens.shape[1])
