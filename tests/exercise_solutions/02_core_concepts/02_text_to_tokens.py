# Exercise 1
from mmjax.utils.selfcheck import check

ex1_source = ShapesSource("train", 1000, ("caption",))
ex1_captions = [ex1_source[i]["caption"] for i in range(1000)]
ex1_characters = sorted(set("".join(ex1_captions)))
ex1_vocabulary = ["<bos>", "<eos>", *ex1_characters]  # one token per character, spaces included
ex1_index = {token: i for i, token in enumerate(ex1_vocabulary)}


def ex1_encode(text: str) -> list[int]:
    return [ex1_index["<bos>"], *(ex1_index[c] for c in text), ex1_index["<eos>"]]


assert "".join(ex1_vocabulary[i] for i in ex1_encode(ex1_captions[0])[1:-1]) == ex1_captions[0]
mean_chars = np.mean([len(ex1_encode(text)) for text in ex1_captions])
ex1_mean_words = np.mean([len(tokenizer.encode(text, max_len=None)) for text in ex1_captions])
print(
    f"{mean_chars:.1f} characters against {ex1_mean_words:.1f} words: "
    f"attention costs {(mean_chars / ex1_mean_words) ** 2:.1f} times as much"
)
assert check(mean_chars, expected=48.9, tol=0.2)
assert check(ex1_mean_words, expected=11.7, tol=0.1, name="mean words")

# Exercise 2


def ex2_attention(ids, mask_pad: bool) -> jax.Array:
    x = E[ids]
    scores = x @ x.T / jnp.sqrt(8.0)
    if mask_pad:
        scores = jnp.where((ids != tokenizer.pad_id)[None, :], scores, -jnp.inf)
    return jax.nn.softmax(scores, axis=-1) @ x


ex2_short, ex2_long = tokenizer.encode(caption, max_len=24), tokenizer.encode(caption, max_len=32)
ex2_real = int((ex2_short != tokenizer.pad_id).sum())
assert ex2_real == 10 and ex2_short[ex2_real - 1] == tokenizer.eos_id  # <eos> is one of the real positions
diff_unmasked, diff_masked = (
    float(jnp.abs(ex2_attention(ex2_short, m)[:ex2_real] - ex2_attention(ex2_long, m)[:ex2_real]).max())
    for m in (False, True)
)
print(f"max difference at the real positions: {diff_unmasked:.3f} without a mask, {diff_masked} with one")
assert check(diff_unmasked, expected=0.30, tol=0.05, name="diff_unmasked")
assert check(diff_masked, expected=0.0, tol=1e-6)
