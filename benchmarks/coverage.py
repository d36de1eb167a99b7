"""Held-out coverage of the reported E0: full `fkdrift.solve` runs over many seeds on
potentials that no test uses, against finite-difference references. Writes
results/coverage.md (per potential and pooled: pulls within 1σ and 2σ, mean pull).

    python benchmarks/coverage.py                       # 2 potentials × 8 seeds
    python benchmarks/coverage.py --seeds 16 --train-steps 2000

The coverage wanted: over 16 seeds, E0 within 1σ in at least half of the runs, within 2σ in
at least 14, mean pull within ±0.75.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import fkdrift
from potentials.finite_difference import ground_state_energy

OUT = Path(__file__).resolve().parent.parent / "results" / "coverage.md"

# name: (V for one configuration r: (1, 1), the same NumPy-vectorised on points (m, 1))
HELD_OUT = {
    "cubic_well": (lambda r: jnp.sum(jnp.abs(r) ** 3), lambda x: np.abs(x[:, 0]) ** 3),
    "tilted_anharmonic": (lambda r: jnp.sum(0.5 * r**2 + 0.3 * r**3 + 0.2 * r**4),
                          lambda x: 0.5 * x[:, 0] ** 2 + 0.3 * x[:, 0] ** 3
                          + 0.2 * x[:, 0] ** 4),
}


def run(seeds: int, train_steps: int) -> dict[str, list[tuple[float, float, float]]]:
    """{name: [(energy, error, reference), ...]} over seeds 0 .. seeds−1."""
    out: dict[str, list[tuple[float, float, float]]] = {}
    for name, (V, V_np) in HELD_OUT.items():
        reference = ground_state_energy(V_np, dim=1).energy
        system = fkdrift.System(potential=V, name=name)
        for seed in range(seeds):
            result = fkdrift.solve(system, seed=seed,
                                   config=fkdrift.Config(train_steps=train_steps))
            out.setdefault(name, []).append((result.energy, result.energy_error, reference))
            z = (result.energy - reference) / result.energy_error
            print(f"{name} seed {seed}: {result.energy:.6f} ± {result.energy_error:.6f} "
                  f"(ref {reference:.6f}, {z:+.2f}σ)", flush=True)
    return out


def table(runs: dict[str, list[tuple[float, float, float]]], train_steps: int,
          seconds: float) -> str:
    rows = ["# Held-out coverage of the reported E0", "",
            f"`python benchmarks/coverage.py` with `Config(train_steps={train_steps})`, "
            f"{platform.machine()}, {jax.devices()[0].platform}, {seconds:.0f} s in all. "
            "Reference: finite differences (potentials/finite_difference.py).", "",
            "| potential | runs | within 1σ | within 2σ | mean pull | pulls |",
            "|---|---|---|---|---|---|"]
    pooled = []
    for name, values in runs.items():
        z = np.array([(e - ref) / s for e, s, ref in values])
        pooled.extend(z)
        rows.append(f"| {name} | {len(z)} | {np.sum(np.abs(z) < 1)} | {np.sum(np.abs(z) < 2)} "
                    f"| {z.mean():+.2f} | {' '.join(f'{x:+.1f}' for x in z)} |")
    z = np.array(pooled)
    rows.append(f"| **pooled** | {len(z)} | {np.sum(np.abs(z) < 1)} | "
                f"{np.sum(np.abs(z) < 2)} | {z.mean():+.2f} | |")
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--train-steps", type=int, default=500)
    args = parser.parse_args()
    start = time.perf_counter()
    runs = run(args.seeds, args.train_steps)
    OUT.write_text(table(runs, args.train_steps, time.perf_counter() - start))
    print(OUT.read_text())


if __name__ == "__main__":
    main()
