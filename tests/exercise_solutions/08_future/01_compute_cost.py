# Exercise 1
from mmjax.utils.selfcheck import check


def ex1_attention_share(n, d, d_h):
    """Attention's share of one encoder block's FLOPs over n tokens, from the count above."""
    return 4 * n**2 * d / (8 * n * d**2 + 4 * n * d * d_h + 4 * n**2 * d)


fraction = ex1_attention_share(64, 64, 128)
fraction_64 = ex1_attention_share(256, 64, 128)
assert check(fraction, expected=0.2, tol=0.005)
assert check(fraction_64, expected=0.5, tol=0.005)
assert 2 * 64 + 128 == 256  # half at N = T* = 2 d + d_h, where attention's T^2 term equals the projections'

# Exercise 2
# FLOPs only: XLA's count of the lowered program (what the compiled one reports too, to about 1%; lowering
# skips the compile, which is most of the minute the exercise quotes).
ex2_widths = (32, 64, 128, 256)


def ex2_flops(d_model):
    model = Seq2SeqModelConfig(d_model=d_model, num_heads=4, num_layers=SEQ.num_layers, d_hidden=2 * d_model)
    config = Seq2SeqConfig(model=model, min_length=64, max_length=64, batch_size=8)
    state = SEQ2SEQ.init_state(config, jax.random.key(0), NUM_STEPS)
    batch = SequenceSource(config, "train").batch(range(8))
    lowered = jax.jit(SEQ2SEQ.bound_train_step(config, NUM_STEPS)).lower(state, batch, jax.random.key(1))
    return float(lowered.cost_analysis()["flops"])


ex2_counts = [ex2_flops(width) for width in ex2_widths]
exponent = scaling.fit_power_law(ex2_widths, ex2_counts)[0]
print("FLOPs by d_model:", dict(zip(ex2_widths, ex2_counts)), f"exponent {exponent:.3f}")
assert check(exponent, expected=1.75, tol=0.05)

# Exercise 3
# One compile, with donate_argnums=0 as mmjax.train.loop does: donation leaves the plan's arguments and outputs
# as they are (the same bytes as without it), so the first check reads them here too, and a plan without
# donation holds at least arguments + outputs, so a donated plan below that has dropped. (Compiling this
# step is most of the exercise's time; one compile instead of two halves it.)
config, state = text2image_state(BASE_SIZE)
source = ShapesSource("train", 1, ("image", "caption"), seed=0, image_size=BASE_SIZE)
batch = {name: source[0][name][None] for name in ("image", "tokens")}
compiled = (
    jax.jit(TEXT2IMAGE.bound_train_step(config, NUM_STEPS), donate_argnums=0)
    .lower(state, batch, jax.random.key(1))
    .compile()
)
stats = compiled.memory_analysis()
state_bytes = sum(leaf.nbytes for leaf in jax.tree.leaves(state))
ex3_both = stats.argument_size_in_bytes + stats.output_size_in_bytes
print(f"state {state_bytes} B; plan: arguments + outputs {ex3_both}, temporaries {stats.temp_size_in_bytes}, "
      f"reused {stats.alias_size_in_bytes}; memory_bytes {flops.memory_bytes(compiled)}")  # fmt: skip
assert check(ex3_both / state_bytes, expected=2.0, tol=0.05)
assert check(stats.alias_size_in_bytes / state_bytes, expected=1.0, tol=0.05, name="old state's buffers reused")
assert flops.memory_bytes(compiled) < ex3_both  # below what any plan without donation holds: it drops
