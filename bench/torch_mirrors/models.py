"""The mirrors' layers: spectral norm, the sub-pixel generator, the conv features and projection, the
DCGAN and text-to-image players with the Transformer caption encoder (NCHW, as a PyTorch user writes them)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------------------------------
# Blocks


def _l2_normalise(x: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    return x / (torch.linalg.vector_norm(x) + eps)


class SpectralNorm(nn.Module):
    """W / sigma(W), sigma from one power iteration of the persistent u (as mmjax.gan.spectral_norm).

    The weight is read as the matrix [out, fan_in]; torch's OIHW flattening permutes fan_in relative to
    JAX's HWIO, which changes neither sigma nor u.
    """

    def __init__(self, out_features: int):
        super().__init__()
        self.register_buffer("u", _l2_normalise(torch.randn(out_features)))

    def forward(self, weight: torch.Tensor, out_axis: int = 0, update_u: bool = True) -> torch.Tensor:
        matrix = weight.movedim(out_axis, 0).reshape(weight.shape[out_axis], -1)  # [out, fan_in]
        with torch.no_grad():
            v = _l2_normalise(matrix.T @ self.u)
            u = _l2_normalise(matrix @ v)
            v = _l2_normalise(matrix.T @ u)
            if update_u:
                self.u.copy_(u)
        sigma = u @ matrix @ v
        return weight / sigma


class SNConv(nn.Module):
    """Conv2d ('SAME' padding for the kernels used here: 3x3 stride 1, 4x4 stride 2) with spectral norm."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride, padding=1)
        self.sn = SpectralNorm(c_out)

    def forward(self, x, update_u: bool = True):
        weight = self.sn(self.conv.weight, 0, update_u)
        return F.conv2d(x, weight, self.conv.bias, self.conv.stride, self.conv.padding)


class SNLinear(nn.Module):
    def __init__(self, d_in: int, d_out: int):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out)
        self.sn = SpectralNorm(d_out)

    def forward(self, x, update_u: bool = True):
        return F.linear(x, self.sn(self.linear.weight, 0, update_u), self.linear.bias)


def pixel_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:  # NCHW: over channels
    return x * torch.rsqrt(torch.mean(x * x, dim=1, keepdim=True) + eps)


def unit(x: torch.Tensor) -> torch.Tensor:
    return x * torch.rsqrt(torch.sum(x * x, dim=-1, keepdim=True) + 1e-12)


class UpBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, embed_dim: int):
        super().__init__()
        self.conv = nn.Conv2d(c_in, 4 * c_out, 3, padding=1)
        self.film = nn.Linear(embed_dim, 2 * c_out)
        nn.init.zeros_(self.film.weight)

    def forward(self, h, e):
        h = pixel_norm(F.pixel_shuffle(self.conv(h), 2))  # [B, C, 2H, 2W]
        gamma, beta = self.film(e)[:, :, None, None].chunk(2, dim=1)
        return F.relu(h * (1.0 + gamma) + beta)


def _channels(width: int, image_size: int) -> tuple[list[int], list[int]]:
    num = int(math.log2(image_size / 4))
    up = [width * min(2 ** (num - 1 - i), 4) for i in range(num)]
    down = [width * min(2 ** (i + 1), 4) for i in range(num)]
    return up, down


class SubPixelGenerator(nn.Module):
    def build_drawing(self, latent_dim: int, width: int, embed_dim: int, image_size: int):
        up, _ = _channels(width, image_size)
        self.stem = nn.Linear(latent_dim + embed_dim, 4 * 4 * 4 * width)
        self.blocks = nn.ModuleList([UpBlock(c_in, c_out, embed_dim) for c_in, c_out in zip([4 * width] + up[:-1], up)])
        self.to_rgb = nn.Conv2d(up[-1], 3, 3, padding=1)
        self.width = width

    def draw(self, z, s):
        h = self.stem(torch.cat([z, s], dim=1)).reshape(z.shape[0], 4, 4, 4 * self.width).permute(0, 3, 1, 2)
        h = F.relu(pixel_norm(h))
        for block in self.blocks:
            h = block(h, s)
        return torch.tanh(self.to_rgb(h))  # [B, 3, H, W]


class ConvFeatures(nn.Module):
    def build_features(self, width: int, image_size: int, in_channels: int = 3) -> int:
        _, down = _channels(width, image_size)
        self.stem = SNConv(in_channels, width, 3)
        self.downs = nn.ModuleList([SNConv(c_in, c_out, 4, 2) for c_in, c_out in zip([width] + down[:-1], down)])
        return 4 * 4 * down[-1]

    def conv_features(self, x, update_u: bool = True):
        h = F.leaky_relu(self.stem(x, update_u), 0.2)
        for down in self.downs:
            h = F.leaky_relu(down(h, update_u), 0.2)
        return h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)  # flattened as JAX's NHWC map


def projection(psi: SNLinear, phi, projected, update_u: bool = True):
    return psi(phi, update_u)[:, 0] + torch.sum(projected * phi, dim=1)


# --------------------------------------------------------------------------------------------------
# DCGAN


class DCGANGenerator(SubPixelGenerator):
    def __init__(self, config, vocab: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, config.embed_dim)
        self.build_drawing(config.latent_dim, config.width, config.embed_dim, config.image_size)

    def forward(self, z, condition):
        return self.draw(z, self.embed(condition).sum(dim=1))


class DCGANDiscriminator(ConvFeatures):
    def __init__(self, config, vocab: int):
        super().__init__()
        feature_dim = self.build_features(config.width, config.image_size)
        self.psi = SNLinear(feature_dim, 1)
        self.embed = nn.Embedding(vocab, feature_dim)

    def forward(self, x, condition, update_u: bool = True):
        phi = self.conv_features(x, update_u)
        return projection(self.psi, phi, self.embed(condition).sum(dim=1), update_u)


# --------------------------------------------------------------------------------------------------
# Text to image


def sinusoidal_encoding(length: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    position = np.arange(length)[:, None]
    angle = position * base ** (-np.arange(0, d_model, 2) / d_model)
    table = np.zeros((length, d_model), np.float32)
    table[:, 0::2], table[:, 1::2] = np.sin(angle), np.cos(angle)
    return torch.from_numpy(table)


class Attention(nn.Module):
    def __init__(self, d_model: int, heads: int):
        super().__init__()
        self.query, self.key, self.value, self.out = (nn.Linear(d_model, d_model) for _ in range(4))
        self.heads = heads

    def forward(self, x, mask):  # x [B, T, D], mask [B, 1, 1, T] True = may attend
        b, t, d = x.shape

        def split(y):
            return y.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)  # [B, H, T, Dh]

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        logits = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        logits = logits.masked_fill(~mask, torch.finfo(logits.dtype).min)
        heads = torch.softmax(logits, dim=-1) @ v  # [B, H, T, Dh]
        return self.out(heads.transpose(1, 2).reshape(b, t, d))


class EncoderBlock(nn.Module):
    def __init__(self, d_model: int, heads: int, hidden: int):
        super().__init__()
        self.attention_norm = nn.LayerNorm(d_model, eps=1e-6)
        self.attention = Attention(d_model, heads)
        self.mlp_norm = nn.LayerNorm(d_model, eps=1e-6)
        self.hidden = nn.Linear(d_model, hidden)
        self.output = nn.Linear(hidden, d_model)

    def forward(self, x, mask):
        x = x + self.attention(self.attention_norm(x), mask)
        return x + self.output(F.gelu(self.hidden(self.mlp_norm(x)), approximate="tanh"))


class CaptionEncoder(nn.Module):
    def __init__(self, text, out_dim: int):
        super().__init__()
        self.embed = nn.Embedding(text.vocab_size, text.d_model)
        self.register_buffer("position", sinusoidal_encoding(text.max_length, text.d_model))
        self.scale = math.sqrt(text.d_model)
        self.blocks = nn.ModuleList(
            [EncoderBlock(text.d_model, text.num_heads, text.d_hidden) for _ in range(text.num_layers)]
        )
        self.final_norm = nn.LayerNorm(text.d_model, eps=1e-6)
        self.out = nn.Linear(text.d_model, out_dim)
        self.pad_id = text.pad_id

    def forward(self, tokens):
        h = self.embed(tokens) * self.scale + self.position[: tokens.shape[1]]
        keep = tokens != self.pad_id
        mask = keep[:, None, None, :]
        for block in self.blocks:
            h = block(h, mask)
        h = self.final_norm(h)
        keep = keep[..., None].to(h.dtype)
        return self.out(torch.sum(h * keep, dim=1) / torch.clamp(torch.sum(keep, dim=1), min=1.0))


class TextToImageGenerator(SubPixelGenerator):
    def __init__(self, config):
        super().__init__()
        self.text = CaptionEncoder(config.text(), config.text_dim)
        self.build_drawing(config.latent_dim, config.width, config.text_dim, config.image_size)

    def forward(self, z, tokens):
        return self.draw(z, self.text(tokens))


class TextToImageDiscriminator(ConvFeatures):
    def __init__(self, config):
        super().__init__()
        feature_dim = self.build_features(config.width, config.image_size)
        self.psi = SNLinear(feature_dim, 1)
        self.text = CaptionEncoder(config.text(), config.text_dim)
        self.project = nn.Linear(config.text_dim, feature_dim)
        self.image_match = nn.Linear(feature_dim, config.contrastive_dim)
        self.text_match = nn.Linear(config.text_dim, config.contrastive_dim)
        self.words = nn.Linear(feature_dim, config.text().vocab_size)

    def heads(self, x, tokens, update_u: bool = True) -> dict:
        phi = self.conv_features(x, update_u)
        s = self.text(tokens)
        return {
            "logits": projection(self.psi, phi, self.project(s), update_u),
            "u": unit(self.image_match(phi)),
            "v": unit(self.text_match(s)),
            "words": self.words(phi),
        }

    def forward(self, x, tokens, update_u: bool = True):
        return self.heads(x, tokens, update_u)["logits"]
