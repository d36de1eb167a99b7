"""Which learned guide: network inputs and training moves, by the guide's own quality.

    python benchmarks/guides.py                                   # helium, the table below
    python benchmarks/guides.py --features distances coordinates --moves metropolis:0.04:2 \
        euler:0.01:20 --updates 1000 --seeds 0 1
    python benchmarks/guides.py --system trapped_bosons -o particles=3 -o g=16 \
        --features coordinates --moves metropolis:0.04:2 euler:0.01:20   # bosons

For every combination of network inputs (`NetworkConfig.features`: "distances" or
"coordinates") and training moves (`train_moves:dt:window`, the walkers' moves between
two updates) it trains a gradient drift for a fixed number of updates, with the learning
rate decaying exponentially from 1e-2 to 1e-4, then measures the guide itself: its
variational energy ⟨E_L⟩ over |ψ|² (Metropolis-adjusted Langevin chains, which sample
|ψ|² exactly at their step) with an error bar from batch means, and the local-energy
variance σ_L², which sets the cost of the reweighted stage to a given error bar. Prints
the training seconds (the first update, mostly compilation, apart). One CPU thread:

    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
"""

from __future__ import annotations

import argparse
import itertools
import json
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

import fkdrift
from fkdrift import registry
from fkdrift.lowlevel import (
    TrainState,
    exponential_decay,
    gradient_walkers,
    init_drift_params,
    init_walkers,
    langevin_moves,
    local_energies,
    make_drift_model,
    make_local_energy_step,
    make_optimizer,
    train,
    trial_log_psi,
)

BLOCKS = 20
"""Batch means of the variational energy's error bar."""


def train_guide(system, features: str, moves: str, updates: int, seed: int, batch: int):
    """A guide trained `updates` times; returns (model, params, walkers, first-update s,
    training s after it)."""
    kind, dt, window = moves.split(":")
    config = fkdrift.Config(drift_form="gradient", features=features, train_moves=kind,
                            dt=float(dt), window=int(window), batch=batch
                            ).for_system(system)
    model = make_drift_model(system, config.network, "gradient")
    keys = jax.random.split(jax.random.PRNGKey(seed), 3)
    params = init_drift_params(model, keys[0], system)
    optimizer = make_optimizer(1e-2, config.grad_clip)
    step = make_local_energy_step(model, system.potential, optimizer, dt=config.dt,
                                  n_steps=config.window,
                                  metropolis=config.train_moves == "metropolis")
    walkers = init_walkers(keys[1], batch, system.shape, config.init_width)
    state = TrainState(params, optimizer.init(params), walkers, keys[2], jnp.zeros((), int))
    state, history, _ = train(state, step, updates,
                              learning_rate=exponential_decay(1e-2, 1e-4, updates))
    clock = history["wall_time"]  # seconds at the end of each update
    return model, state.params, state.walkers, clock[0], clock[-1] - clock[0]


def measure(system, model, params, walkers, walkers_out: int, chunks: int, seed: int,
            dt: float = 0.04, steps: int = 10) -> dict:
    """⟨E_L⟩ over |ψ|² from `walkers_out` MALA walkers, `chunks` chunks of `steps` steps
    (the first tenth discarded): energy, batch-means error and σ_L²."""
    log_psi = partial(trial_log_psi(model), params)

    @jax.jit
    def chunk(r, key):
        moved, accepted = langevin_moves(log_psi, gradient_walkers(log_psi, r), key,
                                         dt=dt, n_steps=steps)
        return moved.r, local_energies(log_psi, system.potential, moved.r), accepted

    reps = -(-walkers_out // walkers.shape[0])
    r = jnp.concatenate([walkers] * reps)[:walkers_out]
    key, energies, acceptance = jax.random.PRNGKey(seed + 99), [], []
    for i in range(chunks):
        key, sub = jax.random.split(key)
        r, e, a = chunk(r, sub)
        if i >= chunks // 10:
            energies.append(np.asarray(e))
            acceptance.append(float(a))
    e = np.array(energies)  # (chunks kept, walkers)
    blocks = np.array_split(e.mean(axis=1), BLOCKS)
    means = np.array([b.mean() for b in blocks])
    return {"energy": float(e.mean()), "error": float(means.std(ddof=1) / np.sqrt(BLOCKS)),
            "variance": float(e.var()), "acceptance": float(np.mean(acceptance))}


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--system", default="helium")
    p.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                   help="an option of the system (numbers), e.g. -o particles=3 -o g=16")
    p.add_argument("--features", nargs="+", default=["distances", "coordinates"])
    p.add_argument("--moves", nargs="+", default=["metropolis:0.04:2", "euler:0.01:20"],
                   help="train_moves:dt:window")
    p.add_argument("--updates", type=int, default=1000)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--seeds", type=int, nargs="+", default=[1])
    p.add_argument("--eval-walkers", type=int, default=2048)
    p.add_argument("--eval-chunks", type=int, default=2000)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    options = {k: float(v) if "." in v or "e" in v else int(v)
               for k, v in (o.split("=", 1) for o in args.option)}
    system = registry.build(args.system, **options)
    rows = []
    for features, moves, seed in itertools.product(args.features, args.moves, args.seeds):
        model, params, walkers, first, seconds = train_guide(system, features, moves,
                                                       args.updates, seed, args.batch)
        row = {"features": features, "moves": moves, "seed": seed, "first_update_s": first,
               "training_s": seconds,
               **measure(system, model, params, walkers, args.eval_walkers,
                         args.eval_chunks, seed)}
        if system.exact_energy is not None:
            row["from_exact"] = row["energy"] - system.exact_energy
        rows.append(row)
        print(f"{features:11s} {moves:18s} seed {seed}: training {seconds:6.1f} s "
              f"(+{first:.1f} s first update); E_VMC {row['energy']:.6f} ± "
              f"{row['error']:.6f}" + (f" ({1e3 * row['from_exact']:+.3f} m)"
                                       if "from_exact" in row else "")
              + f"; σ_L² {row['variance']:.5f}; acceptance {row['acceptance']:.3f}",
              flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return rows


if __name__ == "__main__":
    main()
