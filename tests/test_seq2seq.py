"""The seq2seq task: data is held out by construction, and the task follows the training contract.

That a short run learns (loss falls, held-out exact match far above chance) is asserted by the quick run
of chapters/03_algorithms/04_transformer_reversal.py itself (same TINY config), run by test_chapters.py.
"""

import dataclasses

import numpy as np
import pytest

from mmjax.seq2seq.config import EOS_ID, Seq2SeqConfig, Seq2SeqModelConfig
from mmjax.seq2seq.data import SequenceSource, is_heldout

# Same widths and vocabulary (3 + 8 = 11) as the other Transformer tests, so compiled inits are shared.
TINY = Seq2SeqConfig(
    model=Seq2SeqModelConfig(d_model=32, num_heads=4, num_layers=1, d_hidden=64),
    num_symbols=8,
    min_length=2,
    max_length=5,
    batch_size=32,
    learning_rate=3e-3,
    warmup_steps=20,
    num_test_examples=128,
)


def test_source_targets_are_the_reversed_sources_and_test_is_held_out():
    train, test = SequenceSource(TINY, "train"), SequenceSource(TINY, "test")
    for source, split in ((train, False), (test, True)):
        for i in range(50):
            example = source[i]
            symbols = example["source"][example["source"] != 0]
            assert 2 <= len(symbols) <= 5 and is_heldout(symbols, TINY.heldout_modulus) == split
            np.testing.assert_array_equal(example["target"][1 : len(symbols) + 1], symbols[::-1])
            assert example["target"][len(symbols) + 1] == EOS_ID
    np.testing.assert_array_equal(train[7]["source"], SequenceSource(TINY, "train")[7]["source"])  # pure
    sorted_target = SequenceSource(dataclasses.replace(TINY, transform="sort"), "train")[3]["target"]
    symbols = sorted_target[1:][sorted_target[1:] > EOS_ID]
    assert np.all(np.diff(symbols) >= 0)


def test_bad_config_and_split_raise():
    with pytest.raises(ValueError, match="reverse, copy, sort"):
        Seq2SeqConfig(transform="rotate")
    with pytest.raises(ValueError, match="min_length <= max_length"):
        Seq2SeqConfig(min_length=5, max_length=3)
    with pytest.raises(ValueError, match="train, test"):
        SequenceSource(TINY, "validation")


def test_task_follows_the_training_contract(tmp_path):
    import jax

    from mmjax.seq2seq.task import TASK

    config = dataclasses.replace(TINY, num_test_examples=8)
    state = TASK.init_state(config, jax.random.key(0), num_steps=200)
    assert all(isinstance(leaf, jax.Array) for leaf in jax.tree.leaves(state))
    batch = SequenceSource(config, "train").batch(range(config.batch_size))
    step = jax.jit(TASK.bound_train_step(config, num_steps=200), donate_argnums=0)
    state, metrics = step(state, batch, jax.random.key(1))
    assert int(state["step"]) == 1 and np.isfinite(float(metrics["loss"]))
    assert set(TASK.evaluate(state, config)) == {"exact_match", "token_accuracy"} == set(TASK.eval_keys)
    TASK.sample(state, config, jax.random.key(2), tmp_path)
    assert (tmp_path / "cross_attention.png").stat().st_size > 1000 and (tmp_path / "decoded.txt").exists()
