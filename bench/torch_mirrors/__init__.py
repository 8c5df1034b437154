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

Files: ``models.py`` (layers and players), ``steps.py`` (losses, the two train steps), ``weights.py`` (copying a
JAX state in, counting parameters).
"""

from bench.torch_mirrors.steps import DCGANStep, TextToImageStep, _grad_norm
from bench.torch_mirrors.weights import images_nchw, load_jax_params, num_params

__all__ = ["DCGANStep", "TextToImageStep", "_grad_norm", "images_nchw", "load_jax_params", "num_params"]
