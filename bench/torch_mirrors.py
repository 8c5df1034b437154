"""PyTorch mirrors of the DCGAN and text-to-image train steps, layer for layer, loss for loss.

What ``bench/bench_torch.py`` times against the JAX steps: the same layers and sizes (read from the JAX
configs), the same losses, Adam with the same step sizes and betas, the same batch. Weights can be copied
from a JAX train state (:func:`load_jax_params`), so ``tests/test_bench_torch.py`` can check that a mirror
computes the same losses as the JAX model for the same weights and inputs.

Layout: PyTorch's own NCHW for convolutions (what a PyTorch user writes); where the JAX model's NHWC order
matters (flattening D's 4x4 map, laying out G's stem, depth-to-space) the mirror permutes so that copied
weights mean the same thing. Sub-pixel upsampling is ``F.pixel_shuffle``; the JAX conv's output channels
are reordered when copied (JAX's depth-to-space reads channel ``(i * 2 + j) * C + c``, pixel_shuffle reads
``c * 4 + i * 2 + j``).

Mirrored, per step:
* DCGAN (``mmjax.gan.dcgan``): sub-pixel G (stem [z; e], up-blocks conv -> depth-to-space -> pixel norm ->
  FiLM -> ReLU, tanh RGB), projection D with spectral norm (one power iteration per call, u persistent, u
  and v constants for the gradient), non-saturating loss, one D update on [real; fake] in one call, then
  one G update against the new D (its power iteration run and discarded), Adam(2e-4, 0.5, 0.999).
* text2image (``mmjax.text2image``): the same G and D features, plus a pre-LN Transformer caption encoder
  in each player (sinusoidal positions, padding mask, GELU-tanh MLP, LayerNorm eps 1e-6, masked mean pool),
  D's heads (projection logits, matching vectors u, v, word logits), matching-aware pairs [real; fake; real]
  with captions [t; t; roll(t, 1)], InfoNCE (tau 0.1), the word classifier (reals: their words, fakes:
  none), G's non-saturating + NCE + word losses, Adam(5e-4, 0.0, 0.999), then G's EMA.
Also reported as in JAX: the players' gradient norms and D's mean probabilities.
"""

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


# --------------------------------------------------------------------------------------------------
# Losses (as mmjax.gan.losses, mmjax.text2image.step)


def d_loss_plain(real_logits, fake_logits):
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def d_loss_matching_aware(real_logits, wrong_logits, fake_logits):
    return F.softplus(-real_logits).mean() + 0.5 * (F.softplus(wrong_logits).mean() + F.softplus(fake_logits).mean())


def g_loss_non_saturating(fake_logits):
    return F.softplus(-fake_logits).mean()


def info_nce(u, v, temperature: float):
    logits = u @ v.T / temperature
    labels = torch.arange(u.shape[0])
    loss = 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))
    return loss, (logits.argmax(dim=1) == labels).float().mean()


def caption_words(tokens, vocab_size: int, num_specials: int):
    multi_hot = torch.zeros(tokens.shape[0], vocab_size).scatter_(1, tokens.long(), 1.0)
    multi_hot[:, :num_specials] = 0.0
    return multi_hot


def word_loss(word_logits, targets):
    return F.binary_cross_entropy_with_logits(word_logits, targets, reduction="none").sum(dim=-1).mean()


def _grad_norm(grads) -> torch.Tensor:
    return torch.sqrt(sum(torch.sum(g * g) for g in grads))


# --------------------------------------------------------------------------------------------------
# Train steps


class DCGANStep:
    """``step(real [B, 3, H, W] in [-1, 1], condition ids [B, 8])``: one D update, then one G update."""

    def __init__(self, config, vocab: int, seed: int = 0):
        torch.manual_seed(seed)
        self.config = config
        self.generator, self.discriminator = DCGANGenerator(config, vocab), DCGANDiscriminator(config, vocab)
        self.g_params = list(self.generator.parameters())
        self.d_params = list(self.discriminator.parameters())
        self.g_opt = torch.optim.Adam(self.g_params, config.g_learning_rate, betas=(config.beta1, config.beta2))
        self.d_opt = torch.optim.Adam(self.d_params, config.d_learning_rate, betas=(config.beta1, config.beta2))

    def d_loss(self, real, condition, z):
        with torch.no_grad():
            fake = self.generator(z, condition)
        logits = self.discriminator(torch.cat([real, fake]), torch.cat([condition, condition]))
        real_logits, fake_logits = logits.chunk(2)
        return d_loss_plain(real_logits, fake_logits), real_logits, fake_logits

    def g_loss(self, condition, z):
        fake = self.generator(z, condition)
        return g_loss_non_saturating(self.discriminator(fake, condition, update_u=False))

    def step(self, real, condition, z_d=None, z_g=None) -> dict:
        b, latent = real.shape[0], self.config.latent_dim
        z_d = torch.randn(b, latent) if z_d is None else z_d
        z_g = torch.randn(b, latent) if z_g is None else z_g
        d_loss, real_logits, fake_logits = self.d_loss(real, condition, z_d)
        d_grads = torch.autograd.grad(d_loss, self.d_params)
        for p, g in zip(self.d_params, d_grads):
            p.grad = g
        self.d_opt.step()
        # JAX runs D's power iteration in G's update too and discards it: update_u=False does the same work
        g_loss = self.g_loss(condition, z_g)
        g_grads = torch.autograd.grad(g_loss, self.g_params)
        for p, g in zip(self.g_params, g_grads):
            p.grad = g
        self.g_opt.step()
        d_norm, g_norm = _grad_norm(d_grads), _grad_norm(g_grads)
        return {
            "d_loss": d_loss.detach(),
            "g_loss": g_loss.detach(),
            "d_real": torch.sigmoid(real_logits).mean().detach(),
            "d_fake": torch.sigmoid(fake_logits).mean().detach(),
            "grad_norm": torch.sqrt(d_norm**2 + g_norm**2),
        }


class TextToImageStep:
    """``step(real [B, 3, H, W] in [-1, 1], tokens [B, T])``: D update, G update, G's EMA."""

    def __init__(self, config, num_specials: int, seed: int = 0):
        torch.manual_seed(seed)
        self.config = config
        self.num_specials = num_specials
        self.vocab = config.text().vocab_size
        self.generator, self.discriminator = TextToImageGenerator(config), TextToImageDiscriminator(config)
        self.g_params = list(self.generator.parameters())
        self.d_params = list(self.discriminator.parameters())
        self.ema = [p.detach().clone() for p in self.g_params]
        self.g_opt = torch.optim.Adam(self.g_params, config.g_learning_rate, betas=(config.beta1, config.beta2))
        self.d_opt = torch.optim.Adam(self.d_params, config.d_learning_rate, betas=(config.beta1, config.beta2))
        self.g_steps = 0

    def d_loss(self, real, tokens, z):
        c = self.config
        with torch.no_grad():
            fake = self.generator(z, tokens)
        images = torch.cat([real, fake, real])
        captions = torch.cat([tokens, tokens, torch.roll(tokens, 1, 0)])
        out = self.discriminator.heads(images, captions)
        real_logits, fake_logits, wrong_logits = out["logits"].chunk(3)
        n = real.shape[0]
        if c.matching_aware:
            loss = d_loss_matching_aware(real_logits, wrong_logits, fake_logits)
        else:
            loss = d_loss_plain(real_logits, fake_logits)
        nce, nce_accuracy = info_nce(out["u"][:n], out["v"][:n], c.temperature)
        targets = caption_words(tokens, self.vocab, self.num_specials)
        words = word_loss(out["words"][:n], targets) + word_loss(out["words"][n : 2 * n], torch.zeros_like(targets))
        loss = loss + c.contrastive_weight * nce + c.word_weight * words
        return loss, {"real": real_logits, "fake": fake_logits, "wrong": wrong_logits, "nce": nce,
                      "nce_accuracy": nce_accuracy, "word_loss": words}  # fmt: skip

    def g_loss(self, tokens, z):
        c = self.config
        fake = self.generator(z, tokens)
        out = self.discriminator.heads(fake, tokens, update_u=False)
        nce, nce_accuracy = info_nce(out["u"], out["v"], c.temperature)
        words = word_loss(out["words"], caption_words(tokens, self.vocab, self.num_specials))
        loss = g_loss_non_saturating(out["logits"]) + c.contrastive_weight * nce + c.word_weight * words
        return loss, {"g_nce": nce, "g_nce_accuracy": nce_accuracy, "g_word_loss": words}

    def step(self, real, tokens, z_d=None, z_g=None) -> dict:
        b, latent = real.shape[0], self.config.latent_dim
        z_d = torch.randn(b, latent) if z_d is None else z_d
        z_g = torch.randn(b, latent) if z_g is None else z_g
        d_loss, d_aux = self.d_loss(real, tokens, z_d)
        d_grads = torch.autograd.grad(d_loss, self.d_params)
        for p, g in zip(self.d_params, d_grads):
            p.grad = g
        self.d_opt.step()
        g_loss, g_aux = self.g_loss(tokens, z_g)
        g_grads = torch.autograd.grad(g_loss, self.g_params)
        for p, g in zip(self.g_params, g_grads):
            p.grad = g
        self.g_opt.step()
        self.g_steps += 1
        with torch.no_grad():  # G's moving average, d_t = min(d, (1 + t) / (10 + t)), t = G's updates so far
            t = float(self.g_steps)
            decay = min(self.config.ema_decay, (1.0 + t) / (10.0 + t))
            torch._foreach_lerp_(self.ema, [p.detach() for p in self.g_params], 1.0 - decay)
        d_norm, g_norm = _grad_norm(d_grads), _grad_norm(g_grads)
        metrics = {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(), "grad_norm": torch.sqrt(d_norm**2 + g_norm**2)}
        for group in ("real", "fake", "wrong"):
            metrics[f"d_{group}"] = torch.sigmoid(d_aux[group]).mean().detach()
        return {**metrics, **{k: v.detach() for k, v in {**d_aux, **g_aux}.items() if v.ndim == 0}}


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
