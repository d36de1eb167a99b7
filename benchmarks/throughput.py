"""Training throughput of fkdrift's diffrax step against a hand-written `lax.scan` loop.

Both sides do the same work per update: one window of `window` Euler–Maruyama steps for
`batch` walkers of a 1-particle harmonic oscillator in `dim` dimensions, the loss

    mean ℓ_T/T − mean(stop_grad(v(r_T))·r_T)/T,   ℓ_T = Σ [(½|v|² + V) dt + v·ΔB],

its gradient (`jax.value_and_grad`) and one optax update, with the same flax drift model,
the same optimizer and the same dtypes (walkers and ℓ in float64). The fkdrift side is
`fkdrift.lowlevel.make_train_step` (diffrax `diffeqsolve` with a per-step checkpointed
adjoint and a `LatticeBrownianPath`); the plain side is a `jax.lax.scan` whose noise is
drawn up front with one `jax.random.normal` call and differentiated by JAX's ordinary
scan reverse mode.

Compile time is excluded (each step is warmed up first); the two measurements are
interleaved (A, B, A, B, ...) so slow drifts of the machine hit both alike, and the
median walker-steps per second of each is reported.

Run: ``python benchmarks/throughput.py [--batch 512 --window 100 --width 64 --dim 3]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array

import fkdrift  # noqa: F401  (enables float64 before any array is created)
from fkdrift import Config
from fkdrift.lowlevel import (
    PotentialFn,
    TrainState,
    count_parameters,
    init_drift_params,
    init_walkers,
    make_drift_model,
    make_optimizer,
    make_train_step,
)
from potentials import harmonic

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import machine, time_updates  # noqa: E402

StepFn = Callable[[TrainState], tuple[TrainState, dict[str, Array]]]


def make_plain_train_step(
    model,
    potential: PotentialFn,
    optimizer: optax.GradientTransformation,
    *,
    dt: float,
    n_steps: int,
    remat: bool = False,
) -> StepFn:
    """The reference update: a minimal `lax.scan` Euler–Maruyama window, same loss and update.

    Mirrors `fkdrift.lowlevel.make_train_step` (same state, same metrics) with the diffrax
    solve replaced by a scan over pre-drawn increments ΔB ~ N(0, dt); v is taken at the
    left point of each step, so ℓ is the Itô sum. With `remat` the scan body is wrapped in
    `jax.checkpoint` (the backward pass recomputes each step instead of storing residuals,
    which is what fkdrift's per-step checkpointed adjoint does).
    """

    def loss_fn(params: dict, walkers: Array, key: Array) -> tuple[Array, tuple]:
        def drift(r: Array) -> Array:
            return model.apply(params, r)

        noise = jnp.sqrt(dt) * jax.random.normal(key, (n_steps, *walkers.shape), walkers.dtype)

        def em_step(carry: tuple[Array, Array], dB: Array) -> tuple[tuple[Array, Array], None]:
            r, ell = carry
            v = drift(r)
            rate = 0.5 * jnp.sum(v**2, axis=(-2, -1)) + jax.vmap(potential)(r)
            # the Itô sum enters the gradient detached, exactly as in fkdrift._sde._ito_sum
            ell = ell + rate * dt + jnp.sum(jax.lax.stop_gradient(v) * dB, axis=(-2, -1))
            return (r + v * dt + dB, ell), None

        if remat:
            em_step = jax.checkpoint(em_step)
        ell0 = jnp.zeros(walkers.shape[0], dtype=jnp.float64)
        (r_T, ell), _ = jax.lax.scan(em_step, (walkers, ell0), noise)
        T = n_steps * dt
        energy = jnp.mean(ell) / T
        v_T = jax.lax.stop_gradient(drift(r_T))
        boundary = jnp.mean(jnp.sum(v_T * r_T, axis=(-2, -1))) / T
        return energy - boundary, (energy, jnp.std(ell) / T, r_T)

    @jax.jit
    def train_step(state: TrainState) -> tuple[TrainState, dict[str, Array]]:
        key, window_key = jax.random.split(state.key)
        (loss, (energy, spread, r_T)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            state.params, state.walkers, window_key
        )
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        new_state = TrainState(params, opt_state, jax.lax.stop_gradient(r_T), key, state.step + 1)
        metrics = {
            "loss": loss,
            "energy": energy,
            "energy_spread": spread,
            "grad_norm": optax.tree.norm(grads),
        }
        return new_state, metrics

    return train_step


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=512, help="walkers per update")
    parser.add_argument("--window", type=int, default=100, help="Euler–Maruyama steps per update")
    parser.add_argument("--dt", type=float, default=0.01, help="time step of the updates")
    parser.add_argument("--width", type=int, default=64, help="hidden width of the drift MLP")
    parser.add_argument("--dim", type=int, default=3, help="dimensions of the harmonic well")
    parser.add_argument("--repeats", type=int, default=20, help="updates per timed measurement")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved A/B measurement rounds")
    parser.add_argument("--seed", type=int, default=0, help="PRNG seed")
    parser.add_argument("--plain-remat", action="store_true",
                        help="wrap the plain scan body in jax.checkpoint (a stronger baseline)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="also write the numbers to this JSON file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print the table and return the numbers (also written to --json)."""
    args = parse_args(argv)
    config = Config(batch=args.batch, window=args.window, dt=args.dt, width=args.width,
                    drift_form="free")  # the path-window update against a plain scan
    system = harmonic(dim=args.dim)
    model = make_drift_model(system, config.network, config.drift_form)
    optimizer = make_optimizer(config.learning_rate, config.grad_clip)

    key_params, key_walkers, key_run = jax.random.split(jax.random.PRNGKey(args.seed), 3)
    params = init_drift_params(model, key_params, system)
    walkers = init_walkers(key_walkers, config.batch, system.shape, config.init_width)
    state0 = TrainState(params, optimizer.init(params), walkers, key_run, jnp.asarray(0))

    kwargs = {"dt": config.dt, "n_steps": config.window}
    steps: dict[str, StepFn] = {
        "fkdrift": make_train_step(model, system.potential, optimizer, **kwargs),
        "plain": make_plain_train_step(
            model, system.potential, optimizer, remat=args.plain_remat, **kwargs
        ),
    }
    states: dict[str, TrainState] = {}
    compile_s: dict[str, float] = {}
    for name, step in steps.items():  # warm-up: compile, then one more update
        start = time.perf_counter()
        state, _ = step(state0)
        jax.block_until_ready(state)
        compile_s[name] = time.perf_counter() - start
        _, states[name] = time_updates(step, state, 1)

    walker_steps = config.batch * config.window * args.repeats
    rates: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            seconds, states[name] = time_updates(step, states[name], args.repeats)
            rates[name].append(walker_steps / seconds)

    median = {name: statistics.median(r) for name, r in rates.items()}
    ratio = median["fkdrift"] / median["plain"]
    paired = statistics.median(a / b for a, b in zip(rates["fkdrift"], rates["plain"], strict=True))
    result = {
        "batch": config.batch,
        "window": config.window,
        "width": config.width,
        "depth": config.depth,
        "dim": args.dim,
        "dt": config.dt,
        "plain_remat": args.plain_remat,
        "network_dtype": config.network_dtype,
        "parameters": count_parameters(params),
        "repeats": args.repeats,
        "rounds": args.rounds,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "machine": machine(),
        "jax": jax.__version__,
        "first_call_s": compile_s,
        "walker_steps_per_s": rates,
        "median_walker_steps_per_s": median,
        "ratio": ratio,
        "median_round_ratio": paired,
    }
    print_table(result)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


def print_table(result: dict) -> None:
    """Print the settings, the per-side medians and the final ratio line."""
    print(
        f"training throughput: batch={result['batch']} window={result['window']} "
        f"width={result['width']} depth={result['depth']} dim={result['dim']} "
        f"({result['parameters']} params, network {result['network_dtype']}, walkers float64)"
    )
    print(
        f"backend={result['backend']} jax={result['jax']} "
        f"rounds={result['rounds']} x repeats={result['repeats']} updates; "
        f"plain scan body {'rematerialised' if result['plain_remat'] else 'not rematerialised'}"
    )
    header = f"{'step':<10}{'median walker-steps/s':>24}{'min':>14}{'max':>14}{'first call s':>14}"
    print(header)
    print("-" * len(header))
    for name, median in result["median_walker_steps_per_s"].items():
        r = result["walker_steps_per_s"][name]
        print(
            f"{name:<10}{median:>24,.0f}{min(r):>14,.0f}{max(r):>14,.0f}"
            f"{result['first_call_s'][name]:>14.2f}"
        )
    print(f"(median of the per-round ratios: {result['median_round_ratio']:.2f})")
    print(f"ratio diffrax/plain = {result['ratio']:.2f}")


if __name__ == "__main__":
    main()
