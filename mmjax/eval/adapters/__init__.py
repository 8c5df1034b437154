"""Trained models as generators ``mmjax eval`` can score: one module per model, listed in
``mmjax.eval.generators.ADAPTER_MODULES``, each exposing ``KIND`` and ``load(checkpoint)``.

Adapters live here, on the evaluation side, so that model packages never depend on ``mmjax.eval``.
"""
