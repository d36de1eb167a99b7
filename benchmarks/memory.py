"""Training memory against window length, batch and rematerialisation.

    python benchmarks/memory.py [--windows 40 160 640] [--batches 512 2048] [--repeats 3]

For each training step of fkdrift (`fkdrift.lowlevel.make_train_step`, the path loss of a
free drift, whose gradient runs back through the window; and
`make_local_energy_step`, the gradient drift's forward window plus local energies) on a
3D harmonic well, it compiles one update and reads XLA's memory analysis: the scratch
memory one update allocates (`temp_size_in_bytes`), the part that grows with the window
and the batch. The path loss is compiled with each `window_checkpoints` setting: every
step stored (0, the default) or k stored steps recomputed between (`jax.checkpoint`
through diffrax's `RecursiveCheckpointAdjoint`). Seconds per update are the median of
`--repeats` timed updates after one untimed one (context only: a shared CPU is noisy).

The evaluation stages are not here: they run in compiled chunks of fixed length, so
their memory does not grow with the evaluation time.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import fkdrift
import potentials
from fkdrift.lowlevel import (
    TrainState,
    init_drift_params,
    init_walkers,
    make_drift_model,
    make_local_energy_step,
    make_optimizer,
    make_train_step,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
from harness import machine  # noqa: E402


def measure(form: str, window: int, batch: int, checkpoints: int | None,
            repeats: int) -> dict:
    """Scratch bytes and seconds of one training update."""
    system = potentials.harmonic(dim=3)
    config = fkdrift.Config(batch=batch, window=window, drift_form=form).for_system(system)
    model = make_drift_model(system, config.network, form)
    params = init_drift_params(model, jax.random.PRNGKey(0), system)
    optimizer = make_optimizer(config.learning_rate)
    if form == "free":
        step = make_train_step(model, system.potential, optimizer, dt=config.dt,
                               n_steps=window, window_checkpoints=checkpoints or 0)
    else:
        step = make_local_energy_step(model, system.potential, optimizer, dt=config.dt,
                                      n_steps=window)
    walkers = init_walkers(jax.random.PRNGKey(1), batch, system.shape, 1.0)
    state = TrainState(params, optimizer.init(params), walkers, jax.random.PRNGKey(2),
                       jnp.zeros((), int))
    compiled = step.lower(state).compile()
    analysis = compiled.memory_analysis()
    state, _ = compiled(state)
    jax.block_until_ready(state)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        state, metrics = compiled(state)
        jax.block_until_ready((state, metrics))
        seconds.append(time.perf_counter() - start)
    return {"form": form, "window": window, "batch": batch, "checkpoints": checkpoints,
            "temp_bytes": int(analysis.temp_size_in_bytes),
            "seconds_per_update": float(np.median(seconds))}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, nargs="+", default=[40, 160, 640])
    parser.add_argument("--batches", type=int, nargs="+", default=[512, 2048])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = []
    print(machine())
    print("| drift | window | batch | stored steps | scratch MiB | s per update |")
    print("|---|---|---|---|---|---|")
    for window in args.windows:
        for batch in args.batches:
            settings = [("free", None), ("free", max(1, round(math.sqrt(window)))),
                        ("gradient", None)]
            for form, checkpoints in settings:
                row = measure(form, window, batch, checkpoints, args.repeats)
                rows.append(row)
                stored = "every" if checkpoints is None else str(checkpoints)
                stored = "— (forward only)" if form == "gradient" else stored
                print(f"| {form} | {window} | {batch} | {stored} "
                      f"| {row['temp_bytes'] / 2**20:.1f} | {row['seconds_per_update']:.3f} |",
                      flush=True)
    record = {"machine": machine(), "rows": rows}
    if args.json is not None:
        args.json.write_text(json.dumps(record, indent=1) + "\n")
    return record


if __name__ == "__main__":
    main()
