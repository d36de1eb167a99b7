"""Training throughput against particle number: PairDrift bosons vs MLPDrift distinguishable.

For each N (default 1, 2, 4, 8) two systems in 2D are timed with the real training update,
`fkdrift.lowlevel.make_train_step` (forward window, `jax.value_and_grad`, one optax
update) and the drift network from `fkdrift.lowlevel.make_drift_model`:

* `bosons`: `potentials.trapped_bosons(N, g)` (statistics "bosons", so the drift is the
  permutation-equivariant `PairDrift`: a pair MLP on all N×N differences r_i − r_j, summed
  over j, then a node MLP per particle), and the Gaussian pair interaction in V;
* `distinguishable`: `potentials.harmonic(dim=2, particles=N)` (the flat `MLPDrift` on the
  2N coordinates; V is a plain sum).

Per walker-step the PairDrift evaluates its pair MLP N² times (the diagonal is computed
and masked) and its node MLP N times, and V has N(N−1)/2 pair terms, so the cost per
walker-step should grow like N² once the pair work dominates; the MLPDrift only changes
the width of its first and last layers (2N), so it should stay nearly flat at small N.

Compile time is excluded (each step is compiled and called twice before timing); the
measurements are interleaved round by round (the order reversed every other round) so
load changes on a shared machine hit all configurations alike; the median walker-steps per
second over the rounds is reported. Where the jax version offers it, the compiled update's
memory analysis (`jit(...).lower(...).compile().memory_analysis()`) gives the scratch
("temp") bytes XLA allocates for one update.

Run: ``python benchmarks/particles.py [--particles 1 2 4 8 --batch 512 --window 40]``.

``--forward`` measures instead what evaluation and reweighting spend their time on: one
compiled forward window (`fkdrift.lowlevel.integrate_window`, drift and V at every step)
for every drift network: of trapped bosons for the free `PairDrift` and the gradient
drifts of `PairLogPsi` and `PooledLogPsi`, of distinguishable particles in a 2D trap for
the free `MLPDrift` and the gradient drift of `MLPLogPsi`; at the given N: seconds
per walker-step, XLA's scratch bytes, the exponent of a log-log fit of cost against N
over N ≥ 8, and a log-log plot (``--plot PATH``).
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
import numpy as np
from jaxtyping import Array

import fkdrift  # noqa: F401  (enables float64 before any array is created)
from fkdrift import Config
from fkdrift.lowlevel import (
    TrainState,
    count_parameters,
    init_drift_params,
    init_walkers,
    integrate_window,
    make_drift_model,
    make_optimizer,
    make_train_step,
)
from potentials import harmonic, trapped_bosons

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
from harness import machine, time_updates  # noqa: E402

StepFn = Callable[[TrainState], tuple[TrainState, dict[str, Array]]]
KINDS = ("bosons", "distinguishable")


def build(kind: str, particles: int, g: float, config: Config, seed: int):
    """(system, model, jitted step, initial state) for one configuration."""
    if kind == "bosons":
        system = trapped_bosons(particles, g=g)
    else:
        system = harmonic(dim=2, particles=particles)
    model = make_drift_model(system, config.network, config.drift_form)
    optimizer = make_optimizer(config.learning_rate, config.grad_clip)
    key_params, key_walkers, key_run = jax.random.split(jax.random.PRNGKey(seed), 3)
    params = init_drift_params(model, key_params, system)
    walkers = init_walkers(key_walkers, config.batch, system.shape, config.init_width)
    state = TrainState(params, optimizer.init(params), walkers, key_run, jnp.asarray(0))
    step = make_train_step(model, system.potential, optimizer, dt=config.dt,
                           n_steps=config.window)
    return system, model, step, state


def memory_stats(step: StepFn, state: TrainState) -> dict[str, int] | None:
    """XLA's memory analysis of the compiled update, or None where jax does not offer it."""
    try:
        analysis = step.lower(state).compile().memory_analysis()
    except Exception:  # noqa: BLE001  (optional diagnostics: any failure means "not available")
        return None
    if analysis is None:
        return None
    names = ("temp_size_in_bytes", "argument_size_in_bytes", "output_size_in_bytes",
             "alias_size_in_bytes", "peak_memory_in_bytes")
    stats = {name: int(getattr(analysis, name)) for name in names if hasattr(analysis, name)}
    return stats or None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--particles", type=int, nargs="+", default=[1, 2, 4, 8],
                        help="particle numbers N (the first is the reference for ratios)")
    parser.add_argument("--g", type=float, default=3.0, help="boson coupling g")
    parser.add_argument("--batch", type=int, default=512, help="walkers per update")
    parser.add_argument("--window", type=int, default=40, help="Euler–Maruyama steps per update")
    parser.add_argument("--dt", type=float, default=0.01, help="time step of the updates")
    parser.add_argument("--width", type=int, default=64, help="hidden width of the networks")
    parser.add_argument("--depth", type=int, default=2, help="hidden layers of the networks")
    parser.add_argument("--repeats", type=int, default=3, help="updates per timed measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved measurement rounds")
    parser.add_argument("--seed", type=int, default=0, help="PRNG seed")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip XLA's compiled memory analysis")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="also write the numbers to this JSON file")
    parser.add_argument("--forward", action="store_true",
                        help="forward walker-step cost of every boson drift network")
    parser.add_argument("--plot", type=Path, default=None, metavar="PATH",
                        help="--forward: log-log plot of cost against N")
    return parser.parse_args(argv)


NETWORKS = {  # name: (drift_form, boson_network or None for distinguishable particles)
    "PairDrift (free)": ("free", "pair"),
    "PairLogPsi (gradient)": ("gradient", "pair"),
    "PooledLogPsi (gradient)": ("gradient", "pooled"),
    "MLPDrift (free, distinguishable)": ("free", None),
    "MLPLogPsi (gradient, distinguishable)": ("gradient", None),
}


def forward_window(network: str, particles: int, args):
    """(jitted window, walkers, key, parameters) of one forward window: trapped bosons
    for the boson networks, the 2D harmonic trap of distinguishable particles (whose
    networks read the smooth pair distances) for the others."""
    form, boson_network = NETWORKS[network]
    system = (trapped_bosons(particles, g=args.g) if boson_network
              else harmonic(dim=2, particles=particles))
    config = Config(width=args.width, depth=args.depth, drift_form=form,
                    boson_network=boson_network)
    model = make_drift_model(system, config.network, form)
    params = init_drift_params(model, jax.random.PRNGKey(args.seed), system)
    walkers = init_walkers(jax.random.PRNGKey(args.seed + 1), args.batch, system.shape, 1.0)

    @jax.jit
    def window(params, walkers, key):
        return integrate_window(lambda r: model.apply(params, r), system.potential, walkers,
                                key, dt=args.dt, n_steps=args.window).r

    return window, walkers, jax.random.PRNGKey(args.seed + 2), params


def measure_forward(args) -> dict:
    """Median seconds per walker-step and scratch bytes of each network at each N: every
    configuration compiled first, then `rounds` rounds over all of them, the order
    reversed every other round, so that load changes on a shared machine hit all alike."""
    compiled = {}
    for network in NETWORKS:
        for n in args.particles:
            window, walkers, key, params = forward_window(network, n, args)
            fn = window.lower(params, walkers, key).compile()
            jax.block_until_ready(fn(params, walkers, key))
            compiled[network, n] = (fn, [params, walkers, key], fn.memory_analysis())
    times = {config: [] for config in compiled}
    for round_ in range(args.rounds):
        for config in (list(compiled) if round_ % 2 == 0 else list(compiled)[::-1]):
            fn, state, _ = compiled[config]
            start = time.perf_counter()
            for _ in range(args.repeats):
                state[1] = fn(*state)
            jax.block_until_ready(state[1])
            times[config].append((time.perf_counter() - start) / args.repeats)
    rows = []
    for (network, n), (_, state, memory) in compiled.items():
        per_step = statistics.median(times[network, n]) / (args.batch * args.window)
        rows.append({"network": network, "particles": n,
                     "parameters": count_parameters(state[0]),
                     "seconds_per_walker_step": per_step,
                     "min_seconds_per_walker_step": min(times[network, n])
                     / (args.batch * args.window),
                     "temp_bytes": int(getattr(memory, "temp_size_in_bytes", 0))})
        print(f"{network:<24} N={n:>3}: {per_step * 1e9:10.0f} ns per walker-step, "
              f"scratch {rows[-1]['temp_bytes'] / 2**20:.1f} MiB", flush=True)
    exponents = {}
    for network in NETWORKS:
        points = [(r["particles"], r["seconds_per_walker_step"]) for r in rows
                  if r["network"] == network and r["particles"] >= 8]
        if len(points) >= 2:
            x, y = np.log([p[0] for p in points]), np.log([p[1] for p in points])
            exponents[network] = float(np.polyfit(x, y, 1)[0])
    return {"batch": args.batch, "window": args.window, "width": args.width,
            "depth": args.depth, "g": args.g, "dt": args.dt, "machine": machine(),
            "jax": jax.__version__, "rows": rows, "exponents_from_N8": exponents}


def print_forward(result: dict) -> None:
    """The forward-cost table (markdown) and the fitted exponents."""
    ns = sorted({r["particles"] for r in result["rows"]})
    print(f"\nforward walker-step cost, 2D traps, batch {result['batch']}, "
          f"window {result['window']}, width {result['width']}; {result['machine']}")
    print("| network | " + " | ".join(f"N = {n}" for n in ns) + " | exponent (N ≥ 8) |")
    print("|---|" + "---|" * (len(ns) + 1))
    for network in NETWORKS:
        cells = {r["particles"]: r for r in result["rows"] if r["network"] == network}
        print(f"| {network} | " + " | ".join(
            f"{cells[n]['seconds_per_walker_step'] * 1e9:,.0f} ns, "
            f"{cells[n]['temp_bytes'] / 2**20:.1f} MiB" for n in ns)
            + f" | {result['exponents_from_N8'].get(network, float('nan')):.2f} |")
    print("\ncost ratio N = 8 -> 16 (median of the rounds; fastest round):")
    for network in NETWORKS:
        cells = {r["particles"]: r for r in result["rows"] if r["network"] == network}
        if 8 in cells and 16 in cells:
            median, fastest = (cells[16][k] / cells[8][k] for k in (
                "seconds_per_walker_step", "min_seconds_per_walker_step"))
            print(f"  {network}: {median:.2f}x; {fastest:.2f}x")


def plot_forward(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for network in NETWORKS:
        rows = [r for r in result["rows"] if r["network"] == network]
        ax.loglog([r["particles"] for r in rows],
                  [r["seconds_per_walker_step"] * 1e9 for r in rows], "o-",
                  label=f"{network}, N^{result['exponents_from_N8'].get(network, 0):.2f}")
    ax.set_xlabel("particles N")
    ax.set_ylabel("ns per walker-step (forward window)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print the table and return the numbers (also written to --json)."""
    args = parse_args(argv)
    if args.forward:
        result = measure_forward(args)
        print_forward(result)
        if args.plot is not None:
            plot_forward(result, args.plot)
        if args.json is not None:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, indent=2) + "\n")
        return result
    config = Config(batch=args.batch, window=args.window, dt=args.dt, width=args.width,
                    depth=args.depth, drift_form="free")  # the path-window update
    names = [(kind, n) for n in args.particles for kind in KINDS]

    steps: dict[tuple[str, int], StepFn] = {}
    states: dict[tuple[str, int], TrainState] = {}
    info: dict[tuple[str, int], dict] = {}
    for kind, n in names:  # warm-up: compile, then one more update
        system, model, step, state = build(kind, n, args.g, config, args.seed)
        start = time.perf_counter()
        memory = None if args.no_memory else memory_stats(step, state)
        state, _ = step(state)
        jax.block_until_ready(state)
        first_call = time.perf_counter() - start
        _, state = time_updates(step, state, 1)
        steps[kind, n], states[kind, n] = step, state
        info[kind, n] = {
            "system": system.name,
            "drift": type(model).__name__,
            "parameters": count_parameters(state.params),
            "first_call_s": first_call,
            "memory": memory,
        }

    walker_steps = config.batch * config.window * args.repeats
    rates: dict[tuple[str, int], list[float]] = {name: [] for name in names}
    for round_index in range(args.rounds):
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            seconds, states[name] = time_updates(steps[name], states[name], args.repeats)
            rates[name].append(walker_steps / seconds)

    reference = args.particles[0]
    rows = []
    for kind, n in names:
        median = statistics.median(rates[kind, n])
        rows.append({
            "kind": kind,
            "particles": n,
            **info[kind, n],
            "walker_steps_per_s": rates[kind, n],
            "median_walker_steps_per_s": median,
        })
    by_name = {(row["kind"], row["particles"]): row for row in rows}
    for row in rows:
        base = by_name[row["kind"], reference]["median_walker_steps_per_s"]
        row["ratio_to_reference"] = row["median_walker_steps_per_s"] / base
        row["expected_pair_ratio"] = (reference / row["particles"]) ** 2
    result = {
        "batch": config.batch,
        "window": config.window,
        "width": config.width,
        "depth": config.depth,
        "dim": 2,
        "g": args.g,
        "dt": config.dt,
        "network_dtype": config.network_dtype,
        "reference_particles": reference,
        "repeats": args.repeats,
        "rounds": args.rounds,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "machine": machine(),
        "jax": jax.__version__,
        "rows": rows,
    }
    print_table(result)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


def _mib(row: dict) -> str:
    memory = row["memory"]
    if not memory or "temp_size_in_bytes" not in memory:
        return "n/a"
    return f"{memory['temp_size_in_bytes'] / 2**20:.1f}"


def print_table(result: dict) -> None:
    """Print the settings and one row per (N, kind)."""
    print(
        f"training throughput vs particles: 2D, batch={result['batch']} "
        f"window={result['window']} width={result['width']} depth={result['depth']} "
        f"g={result['g']:g} (network {result['network_dtype']}, walkers float64)"
    )
    print(
        f"backend={result['backend']} jax={result['jax']} "
        f"rounds={result['rounds']} x repeats={result['repeats']} updates, interleaved"
    )
    ref = result["reference_particles"]
    header = (f"{'N':>3} {'drift':<10}{'params':>8}{'walker-steps/s':>16}{'min':>11}{'max':>11}"
              f"{f'vs N={ref}':>9}{f'(N/{ref})^-2':>10}{'temp MiB':>10}{'first s':>9}")
    print(header)
    print("-" * len(header))
    for row in result["rows"]:
        r = row["walker_steps_per_s"]
        print(
            f"{row['particles']:>3} {row['drift']:<10}{row['parameters']:>8}"
            f"{row['median_walker_steps_per_s']:>16,.0f}{min(r):>11,.0f}{max(r):>11,.0f}"
            f"{row['ratio_to_reference']:>9.3f}{row['expected_pair_ratio']:>10.3f}"
            f"{_mib(row):>10}{row['first_call_s']:>9.2f}"
        )
    by_name = {(row["kind"], row["particles"]): row for row in result["rows"]}
    ratios = []
    for (kind, n), row in by_name.items():
        if kind == "bosons" and ("distinguishable", n) in by_name:
            other = by_name["distinguishable", n]["median_walker_steps_per_s"]
            ratios.append(f"N={n}: {row['median_walker_steps_per_s'] / other:.2f}")
    print("PairDrift bosons / MLPDrift distinguishable throughput: " + ", ".join(ratios))
    print(f"(expected for pure O(N^2) pair cost: throughput ratio to N={ref} = (N/{ref})^-2)")


if __name__ == "__main__":
    main()
