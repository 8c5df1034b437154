"""Trained models as generators ``mmjax eval`` can score: one module per model, named by its task's
``eval_adapter`` (:func:`mmjax.eval.generators.adapter_modules`), each exposing ``KIND`` and ``load(checkpoint)``.

Adapters live here, on the evaluation side, so that model packages never depend on ``mmjax.eval``.
"""
