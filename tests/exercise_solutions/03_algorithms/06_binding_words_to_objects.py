# Exercise 1
from mmjax.data.caption_swap import swap_binding
from mmjax.utils.selfcheck import check

ex1_ids = tokenizer.encode_batch(["a small blue square above a large yellow triangle"])
ex1_swapped = tokenizer.decode(np.asarray(swap_binding(jnp.asarray(ex1_ids)))[0])
print(f"swapped: {ex1_swapped}")
assert check(ex1_swapped == "a small yellow square above a large blue triangle", expected=1, tol=0)

# Exercise 2
ex2_drawn = step.generate(
    VARIANTS["per object"], states["per object"], tokenizer.encode_batch([pair] * 24), jax.random.key(1)
)
ex2_columns = len(set(judge_labels(judge, ex2_drawn)["col"][:, 0].tolist()))
print(f"the pair stands in {ex2_columns} column(s) over 24 seeds")
if not chapter.quick:  # 10 steps have learned no layout yet
    assert check(ex2_columns, expected=3, tol=0, name="columns")

# Exercise 3
ex3_reading = F.merge(g_graph, trained_vars).read(jnp.asarray(tokenizer.encode_batch(["a circle"])))
ex3_colours = np.asarray(jax.nn.softmax(ex3_reading["colour"][0, 0, : len(A.COLOURS)]))
print("p(colour | 'a circle'):", dict(zip(A.COLOURS, ex3_colours.round(3))))
print("held-out pairs:", A.HELDOUT_PAIRS)  # blue circles never occur in training
if not chapter.quick:
    assert check(int(np.argmin(ex3_colours)), expected=A.COLOURS.index("blue"), tol=0, name="least likely colour")
