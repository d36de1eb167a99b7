"""Accelerator benchmark: throughput vs batch, helium to 0.1 mHa, bosons N = 16 per update.

    python benchmarks/gpu.py [--json results/gpu.json] [--budget 240] [--quick]

Runs on whatever device JAX sees (install with `pip install -e '.[cuda]'` for an NVIDIA
GPU) and records, in about 8 minutes on a GPU:

1. **Throughput vs batch size**: walker-steps per second of the helium evaluation chunk
   (four correlated chains, the default gradient drift, its analytic cusps) at batch
   sizes 512 … 65,536 walkers per chain (64 … 256 with --quick).
2. **Helium to 0.1 mHa**: `fkdrift.solve("helium", target_error=1e-4,
   time_budget=--budget)`: its wall time, energy and error bar, and whether the bar
   reached 0.1 mHa within the budget.
3. **Bosons N = 16, g = 3**: seconds per training update of the default gradient drift
   (batch 512, 20 steps per update).

Compile time is excluded from 1 and 3 (each function is run once before timing) and
included in 2 (it is part of the time to an answer). The device name goes into every
record; compare figures only between runs on the same device.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp

import fkdrift
import potentials
from fkdrift.lowlevel import (
    TrainState,
    init_drift_params,
    init_walkers,
    make_drift_model,
    make_evaluation_chunk,
    make_local_energy_step,
    make_optimizer,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
from harness import machine, time_updates  # noqa: E402

BATCHES = (512, 2048, 8192, 32768, 65536)
QUICK_BATCHES = (64, 128, 256)


def device_name() -> str:
    device = jax.devices()[0]
    return f"{device.platform}:{getattr(device, 'device_kind', '')} ×{jax.device_count()}"


def throughput(batches: tuple[int, ...], repeats: int) -> list[dict]:
    """Walker-steps per second of the helium evaluation chunk at each batch size."""
    system = potentials.helium()
    config = fkdrift.Config().for_system(system)
    model = make_drift_model(system, config.network, config.drift_form)
    params = init_drift_params(model, jax.random.PRNGKey(0), system)
    chunk = make_evaluation_chunk(model, system.potential, config.eval_dts,
                                  config.chunk_time)
    steps = sum(round(config.chunk_time / dt) for dt in config.eval_dts)
    rows = []
    for batch in batches:
        walkers = jnp.broadcast_to(
            init_walkers(jax.random.PRNGKey(1), batch, system.shape, 1.0),
            (len(config.eval_dts), batch, *system.shape))

        def step(state, walkers=walkers):
            key, i = state
            out = chunk(params, walkers, jax.random.fold_in(key, i))
            return (key, i + 1), out[1]

        _, state = time_updates(step, (jax.random.PRNGKey(2), 0), 1)  # compile
        seconds, _ = time_updates(step, state, repeats)
        rows.append({"batch": batch, "walker_steps_per_s": batch * steps * repeats / seconds,
                     "seconds_per_chunk": seconds / repeats})
        print(f"  batch {batch:6d}: {rows[-1]['walker_steps_per_s']:,.0f} walker-steps/s",
              flush=True)
    return rows


def helium_to_a_tenth_millihartree(budget: float) -> dict:
    """A helium run asked for 0.1 mHa within `budget` seconds."""
    start = time.perf_counter()
    result = fkdrift.solve("helium", seed=0, config=fkdrift.Config(target_error=1e-4,
                                                                    time_budget=budget))
    seconds = time.perf_counter() - start
    exact = result.exact_energy
    return {"seconds": seconds, "energy": result.energy, "error": result.energy_error,
            "exact": exact, "deviation": result.energy - exact,
            "reached": bool(result.energy_error <= 1e-4
                            and abs(result.energy - exact) <= 3 * result.energy_error),
            "stop_reason": result.info["stop_reason"]}


def bosons_update(particles: int, repeats: int, batch: int = 512) -> dict:
    """Seconds per training update of the default (gradient) drift for trapped bosons."""
    system = potentials.trapped_bosons(particles=particles, g=3.0)
    config = fkdrift.Config(batch=batch).for_system(system)
    model = make_drift_model(system, config.network, config.drift_form)
    params = init_drift_params(model, jax.random.PRNGKey(0), system)
    optimizer = make_optimizer(config.learning_rate)
    step = make_local_energy_step(model, system.potential, optimizer, dt=config.dt,
                                  n_steps=config.window)
    walkers = init_walkers(jax.random.PRNGKey(1), batch, system.shape, config.init_width)
    state = TrainState(params, optimizer.init(params), walkers, jax.random.PRNGKey(2),
                       jnp.zeros((), int))
    _, state = time_updates(step, state, 1)  # compile
    seconds, _ = time_updates(step, state, repeats)
    return {"particles": particles, "batch": batch, "window": config.window,
            "seconds_per_update": seconds / repeats}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--budget", type=float, default=240.0,
                        help="seconds allowed for the helium run")
    parser.add_argument("--quick", action="store_true",
                        help="toy batches, fewer repeats, bosons N = 4 (a smoke test)")
    parser.add_argument("--skip-helium", action="store_true", help="leave out part 2")
    args = parser.parse_args(argv)
    record = {"device": device_name(), "machine": machine(), "jax": jax.__version__,
              "fkdrift": fkdrift.__version__}
    print(f"{record['device']} ({record['machine']})", flush=True)
    record["throughput"] = throughput(QUICK_BATCHES if args.quick else BATCHES,
                                      2 if args.quick else 5)
    if not args.skip_helium:
        record["helium"] = helium_to_a_tenth_millihartree(args.budget)
        h = record["helium"]
        print(f"  helium: {h['energy']:.6f} ± {h['error']:.6f} in {h['seconds']:.0f} s "
              f"({'reached' if h['reached'] else 'not reached'} 0.1 mHa)", flush=True)
    record["bosons"] = (bosons_update(4, 2, batch=64) if args.quick
                        else bosons_update(16, 5))
    b = record["bosons"]
    print(f"  bosons N = {b['particles']}: {b['seconds_per_update']:.3f} s per update",
          flush=True)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=1) + "\n")
    return record


if __name__ == "__main__":
    main()
