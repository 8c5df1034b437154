# Exercise 1
from jax.sharding import NamedSharding

from mmjax.utils.selfcheck import check


def ex_max_difference(params, reference=None):
    reference = params_one if reference is None else reference
    return max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(reference)))


try:
    jax.device_put(state["params"], NamedSharding(mesh, P("data")))
    ex1_error = None
except ValueError as error:
    ex1_error = error
print(type(ex1_error).__name__, str(ex1_error)[:160])
assert type(ex1_error).__name__ == "IndivisibleError" and "dimension size is 4" in str(ex1_error)
# shard only the hidden kernel's 32 columns (4 per device); everything else stays replicated
ex1_specs = jax.tree.map(lambda a: P(None, "data") if a.shape == (4, 32) else P(), state["params"])
ex1_params = jax.tree.map(lambda a, spec: jax.device_put(a, NamedSharding(mesh, spec)), state["params"], ex1_specs)
assert ex1_params["hidden"]["kernel"].addressable_shards[0].data.shape == (4, 32 // N)
hlo = jit_step.lower(ex1_params, sharded).compile().as_text()
print("all-gather:", hlo.count("all-gather("), "all-reduce:", hlo.count("all-reduce("))
assert check(hlo.count("all-gather("), expected=2, tol=0)
assert hlo.count("all-reduce(") == 1
ex1_out, _ = jit_step(ex1_params, sharded)
print(f"tensor-parallel step vs one device: {ex_max_difference(ex1_out):.1e}")
assert ex_max_difference(ex1_out) < 1e-6


# Exercise 2
def ex2_local_step(params, batch):
    """local_step without the pmean: each device steps by its own 8-row gradient."""
    loss, grads = jax.value_and_grad(loss_of)(params, batch)
    return optax.apply_updates(params, optimizer.update(grads, optimizer.init(params))[0]), loss


ex2_map_step = jax.jit(
    jax.shard_map(ex2_local_step, mesh=mesh, in_specs=(P(), P("data")), out_specs=(P(), P()), check_vma=False)
)
max_difference = ex_max_difference(ex2_map_step(state["params"], sharded)[0])
print(f"without pmean: {max_difference:.3f} from the one-device parameters")
assert check(max_difference, expected=0.12, tol=0.01)
# every copy, with a leading axis of 1 per device
ex2_copies = jax.jit(
    jax.shard_map(
        lambda params, batch: jax.tree.map(lambda a: a[None], ex2_local_step(params, batch)[0]),
        mesh=mesh,
        in_specs=(P(), P("data")),
        out_specs=P("data"),
        check_vma=False,
    )
)(state["params"], sharded)
ex2_spread = max(float(jnp.max(a.max(0) - a.min(0))) for a in jax.tree.leaves(ex2_copies))
print(f"the {N} copies are up to {ex2_spread:.2f} apart")
assert check(ex2_spread, expected=0.36, tol=0.02, name="spread of the copies")

# Exercise 3
ex3_parameters, ex3_devices = 100e6, 8
bytes_per_device = 2 * (ex3_devices - 1) / ex3_devices * ex3_parameters * 4  # float32 gradient, ring all-reduce
assert check(bytes_per_device, expected=7e8, rtol=0.01)
