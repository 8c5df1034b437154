"""Copying a JAX train state into a mirror (NHWC kernels to NCHW, sub-pixel channel order), counting parameters."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from bench.torch_mirrors.models import CaptionEncoder, ConvFeatures, SubPixelGenerator
from bench.torch_mirrors.steps import DCGANStep

# --------------------------------------------------------------------------------------------------
# Copying JAX weights in, counting parameters


def _t(array) -> torch.Tensor:
    return torch.from_numpy(np.array(array, dtype=np.float32))


def _conv_weight(kernel, sub_pixel: bool = False) -> torch.Tensor:
    """HWIO -> OIHW; for a sub-pixel conv, output channels from JAX's (i, j, c) order to pixel_shuffle's (c, i, j)."""
    w = _t(kernel).permute(3, 2, 0, 1)
    if sub_pixel:
        w = w.reshape(4, w.shape[0] // 4, *w.shape[1:]).transpose(0, 1).reshape(w.shape)
    return w.contiguous()


def _sub_pixel_bias(bias) -> torch.Tensor:
    b = _t(bias)
    return b.reshape(4, -1).T.reshape(-1).contiguous()


def _linear(module: nn.Linear, p: dict) -> None:
    module.weight.copy_(_t(p["kernel"]).T)
    module.bias.copy_(_t(p["bias"]))


def _conv(module: nn.Conv2d, p: dict, sub_pixel: bool = False) -> None:
    module.weight.copy_(_conv_weight(p["kernel"], sub_pixel))
    module.bias.copy_(_sub_pixel_bias(p["bias"]) if sub_pixel else _t(p["bias"]))


def _sn(module, p: dict, s: dict, conv: bool) -> None:
    (_conv if conv else _linear)(module.conv if conv else module.linear, p["conv" if conv else "linear"])
    module.sn.u.copy_(_t(s["u"]))


def _drawing(g: SubPixelGenerator, p: dict) -> None:
    _linear(g.stem, p["stem"])
    for i, block in enumerate(g.blocks):
        _conv(block.conv, p["blocks"][str(i)]["conv"], sub_pixel=True)
        _linear(block.film, p["blocks"][str(i)]["film"])
    _conv(g.to_rgb, p["to_rgb"])


def _features(d: ConvFeatures, p: dict, s: dict) -> None:
    _sn(d.stem, p["stem"], s["stem"], conv=True)
    for i, down in enumerate(d.downs):
        _sn(down, p["downs"][str(i)], s["downs"][str(i)], conv=True)
    _sn(d.psi, p["psi"], s["psi"], conv=False)


def _caption_encoder(enc: CaptionEncoder, p: dict) -> None:
    enc.embed.weight.copy_(_t(p["embedding"]["embed"]["embedding"]))
    for i, block in enumerate(enc.blocks):
        q = p["encoder"]["blocks"][str(i)]
        for norm in ("attention_norm", "mlp_norm"):
            getattr(block, norm).weight.copy_(_t(q[norm]["scale"]))
            getattr(block, norm).bias.copy_(_t(q[norm]["bias"]))
        for name in ("query", "key", "value", "out"):
            _linear(getattr(block.attention, name), q["attention"][name])
        _linear(block.hidden, q["mlp"]["hidden"])
        _linear(block.output, q["mlp"]["output"])
    enc.final_norm.weight.copy_(_t(p["encoder"]["final_norm"]["scale"]))
    enc.final_norm.bias.copy_(_t(p["encoder"]["final_norm"]["bias"]))
    _linear(enc.out, p["out"])


@torch.no_grad()
def load_jax_params(step, state: dict) -> None:
    """Copy a JAX GAN train state's G and D (``state[player]["params"/"state"]``) into a mirror step."""
    gp, dp, ds = state["generator"]["params"], state["discriminator"]["params"], state["discriminator"]["state"]
    g, d = step.generator, step.discriminator
    _drawing(g, gp)
    _features(d, dp, ds)
    if isinstance(step, DCGANStep):
        g.embed.weight.copy_(_t(gp["embed"]["embedding"]))
        d.embed.weight.copy_(_t(dp["embed"]["embedding"]))
    else:
        _caption_encoder(g.text, gp["text"])
        _caption_encoder(d.text, dp["text"])
        for name in ("project", "image_match", "text_match", "words"):
            _linear(getattr(d, name), dp[name])
        for e, p in zip(step.ema, step.g_params):
            e.copy_(p)


def num_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def images_nchw(batch_images) -> torch.Tensor:
    """uint8 [B, H, W, 3] (a Loader batch) -> float [B, 3, H, W] in [-1, 1], as the JAX model_batch."""
    x = torch.from_numpy(np.array(batch_images)).float() / 127.5 - 1.0
    return x.permute(0, 3, 1, 2).contiguous()
