"""``mmjax train captioner``: a patch encoder and a Transformer decoder learn to caption Shapes images."""

from __future__ import annotations

from mmjax.captioner import export, step
from mmjax.captioner.config import CaptionerConfig
from mmjax.train.task import Task

TASK = Task.of(
    step,
    name="captioner",
    config_cls=CaptionerConfig,
    make_source=step.make_source,
    export=export.export,
    best_metric="test_heldout_all_correct",
    best_mode="max",
    description="image-to-text Transformer (patch encoder, cross-attention decoder) captions Shapes images",
    tiny={
        "model.patch_size": 8,
        "model.d_model": 16,
        "model.num_heads": 2,
        "model.num_encoder_layers": 1,
        "model.num_decoder_layers": 1,
        "model.d_hidden": 32,
        "num_train_examples": 16,
        "num_eval_examples": 4,
        "batch_size": 4,
    },
    bench="transformer",
    eval_adapter="mmjax.eval.adapters.captioner",
)
