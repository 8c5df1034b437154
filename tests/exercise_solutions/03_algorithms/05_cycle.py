# Exercise 1
from mmjax.utils.selfcheck import check

r = run_cycle(generator(shipped), lambda images: list(prompts["test"]), judge, prompts["test"], 3)
print("perfect captioner:", [(x["round"], x["image_agreement"], x["caption_agreement"]) for x in r])
assert check(r[-1]["caption_agreement"], expected=1.0, tol=0)
assert all(x["caption_agreement"] == 1.0 for x in r)
assert r[0]["image_agreement"] == before["test"][0]["image_agreement"]  # round 1 is G's picture either way
# G alone, round after round: each round redraws the prompt itself (new latents), so it stays near round 1
assert max(x["image_agreement"] for x in r) - min(x["image_agreement"] for x in r) <= 0.15
# What the captioner's errors cost shows over more prompts and rounds than quick mode's 16 and 3: 64 prompts,
# 5 rounds, the shipped captioner against the perfect one.
ex1_prompts = step.prompts(config, "test", 64)[0]
ex1_real = run_cycle(generator(shipped), caption, judge, ex1_prompts, 5)
ex1_perfect = run_cycle(generator(shipped), lambda images: list(ex1_prompts), judge, ex1_prompts, 5)
for name, runs in (("captioner", ex1_real), ("perfect", ex1_perfect)):
    print(f"{name:9s} image agreement per round:", [round(x["image_agreement"], 3) for x in runs])
assert ex1_real[0]["image_agreement"] == ex1_perfect[0]["image_agreement"]
assert ex1_perfect[-1]["image_agreement"] > ex1_real[-1]["image_agreement"]  # the captioner's errors cost the gap

# Exercise 2


def ex2_caption_nll_rounded(g_params, tokens, z):
    fake = F.call(g_graph, {"params": g_params, "state": shipped["state"]}, z, tokens)[0]
    pixels = jnp.round((fake + 1.0) * 127.5)  # whole intensity levels, as a saved picture has them
    logits = captioner_model.logits(captioner_config, captioner, {"image": pixels, "tokens": tokens})
    labels = tokens[:, 1:]
    log_p = jnp.take_along_axis(jax.nn.log_softmax(logits), labels[..., None], axis=-1)[..., 0]
    real = labels != tokenizer.pad_id
    return -jnp.sum(log_p * real) / jnp.sum(real)


rounded, rounded_grads = jax.jit(jax.value_and_grad(ex2_caption_nll_rounded))(shipped["params"], tokens, z)
print(f"rounded pixels: loss {float(rounded):.5f} (unrounded {float(hand):.5f}), "
      f"gradient norm {float(optax.tree.norm(rounded_grads))}")  # fmt: skip
# round() is flat between half-integers, so its derivative is 0 wherever it is defined: no gradient reaches G.
assert check(float(optax.tree.norm(rounded_grads)), expected=0, tol=0, name="gradient norm")
# The value hardly changes: rounding moves each pixel by at most half a level of 255.
assert abs(float(rounded) - float(hand)) < 0.02 * float(hand)

# Exercise 3


def ex3_caption_beam(images) -> list[str]:
    return caption_images(captioner_config, captioner, images, "beam", beam_size=4)


ex3_beam = run_cycle(generator(shipped), ex3_caption_beam, judge, prompts["test"], ROUNDS)
ex3_greedy = before["test"]
for name, runs in (("greedy", ex3_greedy), ("beam", ex3_beam)):
    print(f"{name:6s} caption agreement per round:", [round(x["caption_agreement"], 3) for x in runs])
assert np.array_equal(ex3_beam[0]["images"], ex3_greedy[0]["images"])  # the same prompts and key: the same pictures
ex3_changed = sum(a != b for a, b in zip(ex3_beam[0]["captions"], ex3_greedy[0]["captions"]))
print(f"round 1: beam changes {ex3_changed} of {COUNT} captions; agreement "
      f"{ex3_greedy[0]['caption_agreement']:.3f} greedy, {ex3_beam[0]['caption_agreement']:.3f} beam")  # fmt: skip
# Beam search rewrites most captions, but as other paraphrases of the same facts: the round trip agrees as often.
ex3_same_facts = caption_agreement(ex3_greedy[0]["captions"], ex3_beam[0]["captions"]).mean()
print(f"beam and greedy captions state the same facts for {ex3_same_facts:.3f} of the pictures")
assert ex3_same_facts >= 0.85
assert abs(ex3_beam[0]["caption_agreement"] - ex3_greedy[0]["caption_agreement"]) <= 2 / COUNT
