# Exercise 1
from mmjax.utils.selfcheck import check

ex1_candidate = "a red circle".split()
ex1_closest = min((len(r) for r in references), key=lambda length: (abs(length - len(ex1_candidate)), length))
assert ex1_closest == 8  # "a red circle is above a blue square" (8 words) is closer to 3 than the 9-word one
ex1_bp = 1.0 if len(ex1_candidate) > ex1_closest else np.exp(1 - ex1_closest / len(ex1_candidate))
ex1_best = Counter()
for ex1_ref in references:
    ex1_best |= grams(ex1_ref, 1)
ex1_p1 = sum(min(c, ex1_best[g]) for g, c in grams(ex1_candidate, 1).items()) / len(ex1_candidate)
bleu_1 = ex1_bp * ex1_p1
ex1_library = corpus_bleu(["a red circle"], [[" ".join(r) for r in references]])
print(f"BP = {ex1_bp:.4f}, p_1 = {ex1_p1}, BLEU-1 by hand {bleu_1:.4f}, library {ex1_library['bleu_1']:.4f}")
assert ex1_p1 == 1.0 and np.isclose(bleu_1, ex1_bp)
assert check(bleu_1, expected=0.1889, tol=0.001) and check(ex1_library["bleu_1"], expected=0.1889, tol=0.001)
# Without the penalty "a" would score p_1 = 1, a perfect BLEU-1; with it, exp(1 - 8 / 1), almost nothing.
ex1_a = corpus_bleu(["a"], [[" ".join(r) for r in references]])
assert np.isclose(ex1_a["bleu_1"] / ex1_a["brevity_penalty"], 1.0) and ex1_a["bleu_1"] < 1e-3

# Exercise 2
scores = evaluate_captions(G.BUILTIN["constant_captioner"][1], "test", 500, seed=0)
print({k: round(v, 3) for k, v in scores.items()})
assert check(scores["bleu_1"], expected=0.434, tol=0.02)
assert check(scores["bleu_4"], expected=0.095, tol=0.02)
assert check(scores["f1"], expected=0.16, tol=0.02, name="attribute F1")
# Which order separates it from a right captioner best: the highest, 4. Single words ("a", "red", "circle")
# are shared by any Shapes sentence; four words in a row only by one that states the same facts in order.
ex2_oracle = evaluate_captions(G.BUILTIN["oracle_captioner"][1], "test", 500, seed=0)
ex2_ratio = [ex2_oracle[f"bleu_{n}"] / scores[f"bleu_{n}"] for n in range(1, 5)]
print("oracle / constant BLEU-n, n = 1..4:", np.round(ex2_ratio, 2))
assert int(np.argmax(ex2_ratio)) == 3 and all(np.diff(ex2_ratio) > 0)
