"""The mirrors' losses (as ``mmjax.gan.losses`` and the text-to-image terms) and their train steps: one D update,
then one G update, Adam as in JAX (and G's EMA for text to image)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from bench.torch_mirrors.models import (
    DCGANDiscriminator,
    DCGANGenerator,
    TextToImageDiscriminator,
    TextToImageGenerator,
)

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
