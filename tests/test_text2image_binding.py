"""Issue 22's binding options of the text-to-image GAN: G's word attention and D's swapped-caption negatives."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from test_text2image import TINY, one_train_step  # the text-to-image tests' tiny players and one step

from mmjax.data.caption_parse import parse_prompt
from mmjax.data.caption_swap import COLOUR, swap_binding, tables
from mmjax.data.shapes import example
from mmjax.data.tokenizer import Tokenizer
from mmjax.gan.blocks import WordAttention, pixel_norm
from mmjax.gan.export import variables_of
from mmjax.nn.attention import padding_mask
from mmjax.text2image import export, step
from mmjax.text2image.config import TextToImageConfig
from mmjax.text2image.model import TextToImageGenerator, build_players

BOTH = dataclasses.replace(TINY, word_attention=True, hard_negative_weight=1.0)


def captions(count: int, split: str = "train") -> np.ndarray:
    return np.stack([example(0, split, i, modalities=("caption",))["tokens"] for i in range(count)])


def paths(tree) -> set[str]:
    flat = jax.tree_util.tree_flatten_with_path(tree)[0]
    return {"/".join(str(getattr(k, "key", getattr(k, "idx", k))) for k in path) for path, _ in flat}


def test_word_attention_is_a_masked_cross_attention_from_places_to_words():
    block = WordAttention(8, 6, 2, rngs=nnx.Rngs(0))
    h = jax.random.normal(jax.random.key(1), (2, 4, 4, 8))  # [B, H, W, C]
    words = jax.random.normal(jax.random.key(2), (2, 5, 6))  # [B, T, D]
    tokens = jnp.array([[1, 7, 8, 2, 0], [1, 9, 2, 0, 0]])  # row 0: one pad, row 1: two
    mask = padding_mask(tokens)  # [B, 1, 1, T]
    graph, variables = nnx.split(block)

    @jax.jit  # one compile, not one per eager operation
    def outputs(variables, h, words):
        block = nnx.merge(graph, variables)
        att, (b, c) = block.attention, (h.shape[0], h.shape[-1])
        # Reference: the residual of jax.nn.dot_product_attention with the same projections and mask.
        q = att.query(pixel_norm(h).reshape(b, 16, c)).reshape(b, 16, 2, c // 2)
        k, v = att.key(words).reshape(b, 5, 2, c // 2), att.value(words).reshape(b, 5, 2, c // 2)
        ref = jax.nn.dot_product_attention(q, k, v, mask=mask)  # [B, HW, K, d]
        return {
            "out": block(h, words, mask),
            "expected": h + att.out(ref.reshape(b, 16, c)).reshape(h.shape),
            # Padding gets zero weight: whatever sits at a pad's place, the output does not move.
            "noisy_pads": block(h, words.at[0, 4].set(100.0).at[1, 3:].set(-50.0), mask),
            "word_moved": block(h, words.at[0, 1].add(1.0), mask),
        }

    out = outputs(variables, h, words)
    assert out["out"].shape == h.shape
    np.testing.assert_allclose(out["out"], out["expected"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["noisy_pads"], out["out"], atol=1e-6)
    assert float(jnp.abs(out["word_moved"] - out["out"])[0].max()) > 1e-4  # a word does move it


def test_word_attention_adds_parameters_only_when_on_so_the_shipped_file_loads():
    shipped_config, players = export.load_players()
    assert not shipped_config.word_attention and shipped_config.hard_negative_weight == 0.0
    assert paths(variables_of(build_players, shipped_config)) == paths(players)  # its config builds its tree
    default = variables_of(build_players, TextToImageConfig())
    reader = {p for p in paths(players) if p.startswith("generator/params/reader/")}  # the slots' reading
    assert reader and not reader & paths(default)  # the shipped G reads slots, the default one is pooled
    on = paths(variables_of(build_players, dataclasses.replace(TextToImageConfig(), word_attention=True)))
    added = on - paths(default)
    assert paths(default) <= on and added and all("word_attention" in p for p in added)
    assert {p.split("/")[3] for p in added if "word_attention" in p} == {"0", "1"}  # at 8x8 and 16x16


def test_with_word_attention_the_words_reach_g_beside_the_sentence_vector():
    z = jax.random.normal(jax.random.key(2), (2, BOTH.latent_dim))
    tokens = jnp.asarray(captions(2))
    longest = int((tokens != 0).sum(1).max())
    # G alone, initialised in one compiled call (eager initialisation is an XLA compile per operation)
    graph = nnx.graphdef(nnx.eval_shape(lambda: TextToImageGenerator(BOTH, rngs=nnx.Rngs(1))))
    variables = jax.jit(lambda: nnx.split(TextToImageGenerator(BOTH, rngs=nnx.Rngs(1)))[1])()

    @jax.jit  # one compile for every picture the test compares
    def pictures(variables, z, tokens):
        g = nnx.merge(graph, variables)
        h, mask = g.text.states(tokens)
        s = g.text.pool(h, tokens)
        return {
            "a": g(z, tokens),
            "swapped": g(z, swap_binding(tokens)),  # the same words, bound otherwise (one or two words changed)
            "held_s": g.draw(z, s, (h[::-1], mask[::-1])),  # s held fixed, only the token states change
            "unpadded": g(z, tokens[:, :longest]),
        }

    out = pictures(variables, z, tokens)
    assert float(jnp.abs(out["a"] - out["swapped"]).max()) > 1e-4
    assert float(jnp.abs(out["held_s"] - out["a"]).max()) > 1e-4  # through the attention alone
    np.testing.assert_allclose(out["unpadded"], out["a"], atol=1e-5)  # padding still changes nothing


def test_swap_binding_is_an_involution_that_breaks_the_binding_and_still_parses():
    tokenizer = Tokenizer.default()
    kind = tables()[0]
    tokens = captions(96)
    swapped = np.asarray(swap_binding(tokens))
    np.testing.assert_array_equal(np.asarray(swap_binding(swapped)), tokens)
    kinds_of = {"size": 1, "colour": 2, "shape": 3}
    two = 0
    for before, after in zip(tokens, swapped):
        old, new = parse_prompt(tokenizer.decode(before)), parse_prompt(tokenizer.decode(after))
        assert new != old and new.relation == old.relation and len(new.objects) == len(old.objects)
        changed = np.flatnonzero(before != after)
        if len(old.objects) == 1:  # exactly one attribute word changes: the colour, to its partner
            assert len(changed) == 1 and kind[before[changed[0]]] == COLOUR
            assert new.objects[0] == dataclasses.replace(old.objects[0], colour=new.objects[0].colour)
            continue
        two += 1
        first, second = old.objects
        differ = [k for k in ("colour", "shape", "size") if getattr(first, k) != getattr(second, k)]
        if not differ:  # two alike objects: both colours change
            assert {kind[before[i]] for i in changed} == {COLOUR} and new.objects[0].colour != first.colour
            continue
        k = differ[0]  # colour first, then shape, then size: that attribute trades objects, nothing else
        assert {kind[before[i]] for i in changed} == {kinds_of[k]} and len(changed) == 2
        assert new.objects == (
            dataclasses.replace(first, **{k: getattr(second, k)}),
            dataclasses.replace(second, **{k: getattr(first, k)}),
        )
    assert two > 10  # both kinds of caption were checked


def test_the_documented_example_and_specials_are_left_alone():
    tokenizer = Tokenizer.default()
    ids = tokenizer.encode_batch(["a small blue square above a large yellow triangle", "a big red circle at the top"])
    out = [tokenizer.decode(row) for row in np.asarray(swap_binding(ids))]
    assert out == ["a small yellow square above a large blue triangle", "a big green circle at the top"]
    np.testing.assert_array_equal(np.asarray(swap_binding(np.zeros((1, 24), np.int32))), 0)


@pytest.mark.slow  # compiles the whole train step, as tests/test_text2image.py's own step test (slow tier)
def test_a_train_step_with_both_options_reports_finite_losses_and_the_hard_negative_term():
    state, new, metrics = one_train_step(BOTH)
    assert {"hard_negative_loss", "d_swapped", "d_loss", "g_loss"} <= set(metrics)
    assert all(np.isfinite(float(v)) for v in metrics.values())
    moved = jax.tree.map(
        lambda a, b: float(jnp.abs(a - b).max()),
        new["generator"]["params"]["word_attention"],
        state["generator"]["params"]["word_attention"],
    )
    assert max(jax.tree.leaves(moved)) > 0  # G's word attention learns
    assert all(term.name != "hard_negative" for term in step.game(TINY).d_terms)  # off by default


def test_bad_options_are_a_clear_error():
    with pytest.raises(ValueError, match="divisible by text_heads"):
        dataclasses.replace(TINY, word_attention=True, width=3, text_heads=4, text_dim=16)
    with pytest.raises(ValueError, match="loss weights must be >= 0"):
        dataclasses.replace(TINY, hard_negative_weight=-1.0)
